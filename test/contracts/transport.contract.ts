import { firstValueFrom, Observable, filter, take, toArray } from 'rxjs';
import type { TopicEvent } from '../../src/sse/topic-event.interface.js';
import {
  SUBSCRIBED,
  UNSUBSCRIBED,
  type TransportSignal,
} from '../../src/sse/transport/transport.interface.js';
import { compareEventIds } from '../../src/sse/wire/event-id.js';
import { freshTopic, type MakeSeams, type Seams } from './seams.js';
import { until } from '../utils/until.js';

/** Subscribes and resolves once the subscription is in place, collecting what arrives after. */
async function listen(source: Observable<TransportSignal>) {
  const events: TopicEvent[] = [];
  let ready!: () => void;
  const subscribed = new Promise<void>((resolve) => (ready = resolve));
  const subscription = source.subscribe((signal) => {
    if (signal === SUBSCRIBED) {
      ready();
    } else if (signal !== UNSUBSCRIBED) {
      events.push(signal);
    }
  });
  await subscribed;
  return { events, subscription };
}

/** What every Transport must do, whatever carries its events. */
export function describeTransportContract(name: string, make: MakeSeams): void {
  describe(`Transport contract: ${name}`, () => {
    let seams: Seams;

    beforeEach(async () => {
      seams = await make({ historySize: 100 });
    });
    afterEach(async () => {
      await seams.close();
    });

    it('signals SUBSCRIBED first, then delivers what is published after it', async () => {
      const topic = freshTopic('t');
      const first = await firstValueFrom(seams.transport.subscribe(topic));
      expect(first).toBe(SUBSCRIBED);
      const { events, subscription } = await listen(seams.transport.subscribe(topic));
      const stored = await seams.transport.publish(topic, { data: '{"a":1}', type: 'kind' });
      await until(() => events.length === 1, 'the event');
      expect(events[0]).toEqual(stored);
      expect(stored).toMatchObject({ topic, type: 'kind', data: '{"a":1}' });
      expect(stored.id).toMatch(/^\d+-\d+$/);
      expect(typeof stored.publishedAt).toBe('number');
      subscription.unsubscribe();
    });

    it('gives every subscriber every event once, in one order of growing ids', async () => {
      const topic = freshTopic('order');
      const a = await listen(seams.transport.subscribe(topic));
      const b = await listen(seams.transport.subscribe(topic));
      // Concurrent publishers: the transport, not the caller, decides the order.
      const stored = await Promise.all(
        Array.from({ length: 50 }, (_, i) => seams.transport.publish(topic, { data: String(i) })),
      );
      await until(() => a.events.length === 50 && b.events.length === 50, '50 events each');
      expect(b.events.map((e) => e.id)).toEqual(a.events.map((e) => e.id));
      const ids = a.events.map((e) => e.id);
      expect([...ids].sort(compareEventIds)).toEqual(ids);
      expect(new Set(ids).size).toBe(50);
      expect(new Set(stored.map((e) => e.id))).toEqual(new Set(ids));
      a.subscription.unsubscribe();
      b.subscription.unsubscribe();
    });

    it('takes publishes to many topics at once, each topic in its order', async () => {
      // Issued in one turn, as a busy publisher does: on a cluster they span shards.
      const topics = Array.from({ length: 6 }, (_, i) => freshTopic(`many${i}`));
      const listeners = await Promise.all(topics.map((t) => listen(seams.transport.subscribe(t))));
      const stored = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          seams.transport.publish(topics[i % 6], { data: String(i) }),
        ),
      );
      await until(() => listeners.every((l) => l.events.length === 10), '10 events per topic');
      listeners.forEach((listener, t) => {
        expect(listener.events.map((e) => e.data)).toEqual(
          Array.from({ length: 10 }, (_, k) => String(t + 6 * k)),
        );
        expect(listener.events.map((e) => e.id)).toEqual(
          stored.filter((e) => e.topic === topics[t]).map((e) => e.id),
        );
        listener.subscription.unsubscribe();
      });
    });

    it('keeps topics apart', async () => {
      const one = freshTopic('one');
      const two = freshTopic('two');
      const listener = await listen(seams.transport.subscribe(one));
      await seams.transport.publish(two, { data: '"other"' });
      await seams.transport.publish(one, { data: '"mine"' });
      await until(() => listener.events.length >= 1, 'the event of its topic');
      expect(listener.events.map((e) => e.data)).toEqual(['"mine"']);
      listener.subscription.unsubscribe();
    });

    it('stops delivering after unsubscribe, and serves a later subscriber afresh', async () => {
      const topic = freshTopic('leave');
      const gone = await listen(seams.transport.subscribe(topic));
      gone.subscription.unsubscribe();
      const later = await listen(seams.transport.subscribe(topic));
      await seams.transport.publish(topic, { data: '1' });
      await until(() => later.events.length === 1, 'the later subscriber');
      expect(gone.events).toEqual([]);
      later.subscription.unsubscribe();
    });

    it('stores what it publishes, so history holds it', async () => {
      const topic = freshTopic('stored');
      const before = await seams.history.head(topic);
      const stored = await seams.transport.publish(topic, { data: '"kept"' });
      const read = await seams.history.readAfter(topic, before, 1000);
      expect(read.events).toEqual([stored]);
      expect(read.head).toBe(stored.id);
    });

    it('hands a late subscriber of a shared topic its own SUBSCRIBED', async () => {
      const topic = freshTopic('shared');
      const early = await listen(seams.transport.subscribe(topic));
      const signals = firstValueFrom(
        seams.transport.subscribe(topic).pipe(
          filter((s) => s === SUBSCRIBED),
          take(1),
          toArray(),
        ),
      );
      await expect(signals).resolves.toEqual([SUBSCRIBED]);
      early.subscription.unsubscribe();
    });
  });
}
