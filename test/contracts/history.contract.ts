import { compareEventIds } from '../../src/sse/wire/event-id.js';
import { until } from '../utils/until.js';
import { freshTopic, type MakeSeams, type Seams } from './seams.js';

/** A page larger than any test's history: one read answers everything. */
const PAGE = 100;

/** What every History must do; events are written through the paired Transport, as in use. */
export function describeHistoryContract(name: string, make: MakeSeams): void {
  describe(`History contract: ${name}`, () => {
    let seams: Seams;
    const publishMany = async (topic: string, count: number) => {
      const stored = [];
      for (let i = 0; i < count; i++) {
        stored.push(await seams.transport.publish(topic, { data: String(i) }));
      }
      return stored;
    };

    beforeEach(async () => {
      seams = await make({ historySize: 5 });
    });
    afterEach(async () => {
      await seams.close();
    });

    it('has a head for a topic it never saw, from which nothing is missing', async () => {
      const topic = freshTopic('empty');
      const head = await seams.history.head(topic);
      expect(await seams.history.readAfter(topic, head, PAGE)).toEqual({
        events: [],
        more: false,
        head,
      });
    });

    it('reads exactly the events after a position, oldest first', async () => {
      const topic = freshTopic('read');
      const start = await seams.history.head(topic);
      const stored = await publishMany(topic, 4);
      expect((await seams.history.readAfter(topic, start, PAGE)).events).toEqual(stored);
      expect((await seams.history.readAfter(topic, stored[1].id, PAGE)).events).toEqual(
        stored.slice(2),
      );
      const atHead = await seams.history.readAfter(topic, stored[3].id, PAGE);
      expect(atHead).toEqual({ events: [], more: false, head: stored[3].id });
      expect(await seams.history.head(topic)).toBe(stored[3].id);
    });

    it('keeps the last historySize events and says when a position fell off', async () => {
      const topic = freshTopic('trim');
      const start = await seams.history.head(topic);
      const stored = await publishMany(topic, 8);
      const trimmed = await seams.history.readAfter(topic, start, PAGE);
      expect(trimmed).toEqual({ events: [], more: false, head: stored[7].id, gap: 'trimmed' });
      expect((await seams.history.readAfter(topic, stored[1].id, PAGE)).gap).toBe('trimmed');
      // The event just before the oldest kept one is still a position with nothing missing.
      const edge = await seams.history.readAfter(topic, stored[2].id, PAGE);
      expect(edge.gap).toBeUndefined();
      expect(edge.events).toEqual(stored.slice(3));
    });

    it('refuses a position it never issued: one from the future', async () => {
      const topic = freshTopic('future');
      const [only] = await publishMany(topic, 1);
      const dash = only.id.indexOf('-');
      const future = `${Number(only.id.slice(0, dash)) + 3_600_000}-0`;
      expect(compareEventIds(future, only.id)).toBeGreaterThan(0);
      expect(await seams.history.readAfter(topic, future, PAGE)).toEqual({
        events: [],
        more: false,
        head: only.id,
        gap: 'unknown-position',
      });
    });

    it('reads a page at a time, and says whether more follow', async () => {
      const topic = freshTopic('page');
      const start = await seams.history.head(topic);
      const stored = await publishMany(topic, 5);
      const first = await seams.history.readAfter(topic, start, 2);
      expect(first).toEqual({ events: stored.slice(0, 2), more: true, head: stored[4].id });
      const second = await seams.history.readAfter(topic, stored[1].id, 2);
      expect(second).toEqual({ events: stored.slice(2, 4), more: true, head: stored[4].id });
      // A page that ends exactly at the head has nothing more after it.
      const last = await seams.history.readAfter(topic, stored[2].id, 2);
      expect(last).toEqual({ events: stored.slice(3, 5), more: false, head: stored[4].id });
      const one = await seams.history.readAfter(topic, stored[3].id, 2);
      expect(one).toEqual({ events: [stored[4]], more: false, head: stored[4].id });
    });

    it('pages through a history trimmed meanwhile, then says the position fell off', async () => {
      const topic = freshTopic('page-trim');
      const start = await seams.history.head(topic);
      const stored = await publishMany(topic, 5);
      const first = await seams.history.readAfter(topic, start, 2);
      expect(first.more).toBe(true);
      const later = await publishMany(topic, 5);
      const next = await seams.history.readAfter(topic, first.events[1].id, 2);
      expect(next).toEqual({ events: [], more: false, head: later[4].id, gap: 'trimmed' });
      expect(stored).toHaveLength(5);
    });

    it('refuses a position no history can hold, without reading', async () => {
      const topic = freshTopic('absurd');
      const [only] = await publishMany(topic, 1);
      const ms = only.id.slice(0, only.id.indexOf('-'));
      for (const absurd of [`${ms}-${'9'.repeat(20)}`, '18446744073709551616-0', 'x', '']) {
        expect(await seams.history.readAfter(topic, absurd, PAGE)).toEqual({
          events: [],
          more: false,
          head: only.id,
          gap: 'unknown-position',
        });
      }
    });

    it('keeps each topic to itself', async () => {
      const a = freshTopic('a');
      const b = freshTopic('b');
      const startB = await seams.history.head(b);
      await publishMany(a, 3);
      const [onlyB] = await publishMany(b, 1);
      expect((await seams.history.readAfter(b, startB, PAGE)).events).toEqual([onlyB]);
    });

    it('starts a recent history at the last N events, or all it keeps when fewer (issue 16)', async () => {
      const topic = freshTopic('recent');
      expect(
        (
          await seams.history.readAfter(
            topic,
            await seams.history.recentStart(topic, { last: 3 }),
            PAGE,
          )
        ).events,
      ).toEqual([]);
      const stored = await publishMany(topic, 4);
      const lastTwo = await seams.history.recentStart(topic, { last: 2 });
      expect(await seams.history.readAfter(topic, lastTwo, PAGE)).toEqual({
        events: stored.slice(2),
        more: false,
        head: stored[3].id,
      });
      const all = await seams.history.recentStart(topic, { last: 50 });
      expect((await seams.history.readAfter(topic, all, PAGE)).events).toEqual(stored);
      const none = await seams.history.recentStart(topic, { last: 0 });
      expect((await seams.history.readAfter(topic, none, PAGE)).events).toEqual([]);
    });

    it('starts a recent history of a trimmed topic at what it still keeps, never a gap', async () => {
      const topic = freshTopic('recent-trim');
      const stored = await publishMany(topic, 8);
      const read = await seams.history.readAfter(
        topic,
        await seams.history.recentStart(topic, { last: 50 }),
        PAGE,
      );
      expect(read.gap).toBeUndefined();
      expect(read.events).toEqual(stored.slice(3));
    });

    it('starts a recent history at a time: the events published from then on', async () => {
      const topic = freshTopic('recent-since');
      const [first] = await publishMany(topic, 1);
      // The next millisecond at least: ids and publish times are in ms.
      const since = Number(first.id.split('-')[0]) + 1;
      await until(() => Date.now() > since + 1, 'the next millisecond');
      const later = await publishMany(topic, 2);
      const from = await seams.history.recentStart(topic, { since });
      expect((await seams.history.readAfter(topic, from, PAGE)).events).toEqual(later);
      const both = await seams.history.recentStart(topic, { since, last: 1 });
      expect((await seams.history.readAfter(topic, both, PAGE)).events).toEqual(later.slice(1));
    });
  });
}
