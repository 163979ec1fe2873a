import { MemoryTransport } from '../transport/memory-transport.js';
import { compareEventIds } from '../wire/event-id.js';
import {
  eventBytes,
  EVENT_OVERHEAD_BYTES,
  MemoryHistory,
  TOPIC_OVERHEAD_BYTES,
} from './memory-history.js';

/** A page larger than anything these tests store: every event at once. */
const ALL = 1_000_000;

/** What one log of `topic` holding these events is counted as. */
const logBytes = (topic: string, ...data: string[]) =>
  TOPIC_OVERHEAD_BYTES + topic.length + data.reduce((sum, d) => sum + eventBytes({ data: d }), 0);

describe('MemoryHistory, bounded in bytes across topics (issue 13, item 7)', () => {
  it('counts data, type and a fixed overhead per event and per topic', () => {
    const history = new MemoryHistory(100, 1024 * 1024);
    history.append('a', { data: '"xyz"', type: 'kind' });
    expect(history.bytes).toBe(TOPIC_OVERHEAD_BYTES + 1 + 5 + 4 + EVENT_OVERHEAD_BYTES);
  });

  it('never holds more than its bound, evicting the oldest events of any topic first', async () => {
    const data = 'x'.repeat(100);
    // Room for the two logs and three events.
    const max = logBytes('a', data, data) + logBytes('b', data);
    const history = new MemoryHistory(100, max);
    const a1 = history.append('a', { data });
    const b1 = history.append('b', { data });
    const a2 = history.append('a', { data });
    expect(history.bytes).toBe(max);
    const b2 = history.append('b', { data });
    expect(history.bytes).toBeLessThanOrEqual(max);
    // a1 went, the oldest of all, though a is not the topic just published to.
    expect((await history.readAfter('a', a1.id, ALL)).events).toEqual([a2]);
    expect((await history.readAfter('b', b1.id, ALL)).events).toEqual([b2]);
    for (let i = 0; i < 200; i++) {
      history.append(i % 2 ? 'a' : 'b', { data });
      expect(history.bytes).toBeLessThanOrEqual(max);
    }
  });

  it('answers a position whose events were evicted with trimmed, never a gap', async () => {
    const data = 'x'.repeat(100);
    const history = new MemoryHistory(100, logBytes('a', data, data, data));
    const start = await history.head('a');
    const [e1, e2, e3] = [1, 2, 3].map(() => history.append('a', { data }));
    expect((await history.readAfter('a', start, ALL)).events).toEqual([e1, e2, e3]);
    const e4 = history.append('a', { data });
    expect(await history.readAfter('a', start, ALL)).toEqual({
      events: [],
      more: false,
      head: e4.id,
      gap: 'trimmed',
    });
    // The last evicted one is a position from which nothing is missing.
    expect(await history.readAfter('a', e1.id, ALL)).toEqual({
      events: [e2, e3, e4],
      more: false,
      head: e4.id,
    });
    expect((await history.readAfter('a', e3.id, ALL)).events).toEqual([e4]);
  });

  it('forgets a topic whose events are all evicted and that nobody reads, and still answers its cursors', async () => {
    const data = 'x'.repeat(100);
    const history = new MemoryHistory(100, logBytes('busy', data, data) + 1);
    const quietStart = await history.head('quiet');
    const once = history.append('once', { data });
    history.append('busy', { data });
    history.append('busy', { data });
    // `once` had one event; it was evicted, and its log is gone with it.
    expect(history.topicCount).toBe(1);
    expect(history.bytes).toBeLessThanOrEqual(logBytes('busy', data, data) + 1);
    // A position before what was evicted: trimmed, not unknown (this history gave it).
    expect((await history.readAfter('once', quietStart, ALL)).gap).toBe('trimmed');
    // Its own last event: what came before it is gone, nothing after it was: no gap.
    const head = await history.head('once');
    expect(await history.readAfter('once', once.id, ALL)).toEqual({
      events: [],
      more: false,
      head,
    });
    // Nor from a position given while it had no log.
    expect(await history.readAfter('once', head, ALL)).toEqual({ events: [], more: false, head });
    // Never issued: from the future, or from before this history began.
    const future = `${Number(head.split('-')[0]) + 3_600_000}-0`;
    expect((await history.readAfter('once', future, ALL)).gap).toBe('unknown-position');
    expect((await history.readAfter('once', '1-0', ALL)).gap).toBe('unknown-position');
  });

  it('keeps the empty log of a topic with a subscriber, so that its resume stays exact', async () => {
    const data = 'x'.repeat(100);
    const history = new MemoryHistory(100, logBytes('busy', data, data) + logBytes('read'));
    history.subscribe('read');
    const last = history.append('read', { data });
    history.append('busy', { data });
    history.append('busy', { data });
    expect(history.topicCount).toBe(2);
    expect(await history.readAfter('read', last.id, ALL)).toEqual({
      events: [],
      more: false,
      head: last.id,
    });
    history.unsubscribe('read');
    expect(history.topicCount).toBe(1);
  });

  it('still keeps at most historySize events per topic, and counts only those', () => {
    const history = new MemoryHistory(10, 64 * 1024 * 1024);
    for (let i = 0; i < 5000; i++) {
      history.append('t', { data: '1' });
    }
    expect(history.bytes).toBe(logBytes('t', ...Array<string>(10).fill('1')));
  });

  it('gives ids that grow across all topics', () => {
    const history = new MemoryHistory(10);
    const ids = Array.from(
      { length: 100 },
      (_, i) => history.append(`t${i % 7}`, { data: '1' }, 5).id,
    );
    expect([...ids].sort(compareEventIds)).toEqual(ids);
    expect(new Set(ids).size).toBe(100);
  });

  it('holds 50,000 one-off topics within the bound, and no feed lingers', async () => {
    const max = 4 * 1024 * 1024;
    const history = new MemoryHistory(1000, max);
    const transport = new MemoryTransport(history);
    const data = JSON.stringify({ v: 'x'.repeat(100) });
    for (let i = 0; i < 50_000; i++) {
      const topic = `one-off-${i}`;
      // Some are read while published: their feeds go with their last reader.
      const reader = i % 100 === 0 ? transport.subscribe(topic).subscribe() : undefined;
      await transport.publish(topic, { data });
      reader?.unsubscribe();
      expect(history.bytes).toBeLessThanOrEqual(max);
    }
    expect(history.topicCount).toBeLessThanOrEqual(
      max / (TOPIC_OVERHEAD_BYTES + EVENT_OVERHEAD_BYTES),
    );
    // The newest are kept: about 4,800 of them (each log with one event, about 880 bytes).
    expect(history.topicCount).toBeGreaterThan(4000);
    expect(transport.subscribedTopics).toEqual([]);
  });
});

describe('MemoryHistory, pages read again from the same position (a reconnect storm)', () => {
  it('gives the same page to every read until the topic changes, then what is stored now', async () => {
    const history = new MemoryHistory(3, 1024 * 1024);
    const first = history.append('t', { data: '1' });
    history.append('t', { data: '2' });
    const a = await history.readAfter('t', first.id, 10);
    const b = await history.readAfter('t', first.id, 10);
    expect(b).toBe(a);
    expect(a.events.map((e) => e.data)).toEqual(['2']);

    // An append: the same position now has the new event, and the new head.
    const third = history.append('t', { data: '3' });
    const c = await history.readAfter('t', first.id, 10);
    expect(c.events.map((e) => e.data)).toEqual(['2', '3']);
    expect(c.head).toBe(third.id);
    // Another limit is another page.
    expect((await history.readAfter('t', first.id, 1)).events.map((e) => e.data)).toEqual(['2']);
    expect((await history.readAfter('t', first.id, 1)).more).toBe(true);

    // A drop (past historySize): the position before the oldest kept is trimmed, not a page.
    history.append('t', { data: '4' });
    const d = await history.readAfter('t', first.id, 10);
    expect(d.events.map((e) => e.data)).toEqual(['2', '3', '4']);
    history.append('t', { data: '5' });
    expect((await history.readAfter('t', first.id, 10)).gap).toBe('trimmed');
  });
});
