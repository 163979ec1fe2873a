import { compareEventIds } from '../../src/sse/wire/event-id.js';
import { freshTopic, type MakeSeams, type Seams } from './seams.js';

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
      expect(await seams.history.readAfter(topic, head)).toEqual({ events: [], head });
    });

    it('reads exactly the events after a position, oldest first', async () => {
      const topic = freshTopic('read');
      const start = await seams.history.head(topic);
      const stored = await publishMany(topic, 4);
      expect((await seams.history.readAfter(topic, start)).events).toEqual(stored);
      expect((await seams.history.readAfter(topic, stored[1].id)).events).toEqual(stored.slice(2));
      const atHead = await seams.history.readAfter(topic, stored[3].id);
      expect(atHead).toEqual({ events: [], head: stored[3].id });
      expect(await seams.history.head(topic)).toBe(stored[3].id);
    });

    it('keeps the last historySize events and says when a position fell off', async () => {
      const topic = freshTopic('trim');
      const start = await seams.history.head(topic);
      const stored = await publishMany(topic, 8);
      const trimmed = await seams.history.readAfter(topic, start);
      expect(trimmed).toEqual({ events: [], head: stored[7].id, gap: 'trimmed' });
      expect((await seams.history.readAfter(topic, stored[1].id)).gap).toBe('trimmed');
      // The event just before the oldest kept one is still a position with nothing missing.
      const edge = await seams.history.readAfter(topic, stored[2].id);
      expect(edge.gap).toBeUndefined();
      expect(edge.events).toEqual(stored.slice(3));
    });

    it('refuses a position it never issued: one from the future', async () => {
      const topic = freshTopic('future');
      const [only] = await publishMany(topic, 1);
      const dash = only.id.indexOf('-');
      const future = `${Number(only.id.slice(0, dash)) + 3_600_000}-0`;
      expect(compareEventIds(future, only.id)).toBeGreaterThan(0);
      expect(await seams.history.readAfter(topic, future)).toEqual({
        events: [],
        head: only.id,
        gap: 'unknown-position',
      });
    });

    it('keeps each topic to itself', async () => {
      const a = freshTopic('a');
      const b = freshTopic('b');
      const startB = await seams.history.head(b);
      await publishMany(a, 3);
      const [onlyB] = await publishMany(b, 1);
      expect((await seams.history.readAfter(b, startB)).events).toEqual([onlyB]);
    });
  });
}
