import { describeHistoryContract } from '../../../test/contracts/history.contract.js';
import { freshTopic, redisSeams, type MakeSeams } from '../../../test/contracts/seams.js';
import { describeWithRedis, dropPrefix, TEST_REDIS_URL } from '../../../test/utils/redis.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import type { History, HistoryRead, Recent } from './history.interface.js';
import { MemoryHistory } from './memory-history.js';
import { SharedReads } from './shared-reads.js';

const describeRedis = await describeWithRedis();

const memory: MakeSeams = ({ historySize }) => {
  const history = new MemoryHistory(historySize);
  return Promise.resolve({
    transport: new MemoryTransport(history),
    history,
    close: () => Promise.resolve(),
  });
};

const redis = redisSeams(
  'shared-reads',
  (prefix) => new RedisConnections(TEST_REDIS_URL, prefix),
  (prefix) => dropPrefix(TEST_REDIS_URL, prefix),
);

/** The same seams, their history read through SharedReads (in one epoch: nothing live here). */
const shared =
  (make: MakeSeams): MakeSeams =>
  async (options) => {
    const seams = await make(options);
    return { ...seams, history: new SharedReads(seams.history, () => 0) };
  };

/** A History that counts the reads that reach it. */
class Counted implements History {
  reads = 0;
  constructor(private readonly inner: History) {}
  head(topic: string): Promise<string> {
    this.reads++;
    return this.inner.head(topic);
  }
  readAfter(topic: string, after: string, limit: number): Promise<HistoryRead> {
    this.reads++;
    return this.inner.readAfter(topic, after, limit);
  }
  recentStart(topic: string, recent: Recent): Promise<string> {
    this.reads++;
    return this.inner.recentStart(topic, recent);
  }
}

function describeSharing(name: string, make: MakeSeams): void {
  describe(`shared history reads: ${name}`, () => {
    describeHistoryContract(`${name}, read through SharedReads`, shared(make));

    it('makes one read for the streams that ask the same at once, and gives each its answer', async () => {
      const seams = await make({ historySize: 50 });
      try {
        const topic = freshTopic('storm');
        const start = await seams.history.head(topic);
        const stored = [];
        for (let i = 0; i < 10; i++) {
          stored.push(await seams.transport.publish(topic, { data: String(i) }));
        }
        const counted = new Counted(seams.history);
        const reads = new SharedReads(counted, () => 0);
        // A storm: 200 streams, from four cursors, and a head for those without one.
        const cursors = [start, stored[2].id, stored[5].id, stored[8].id];
        const answers = await Promise.all([
          ...Array.from({ length: 200 }, (_, i) => reads.readAfter(topic, cursors[i % 4], 4)),
          reads.head(topic),
          reads.head(topic),
        ]);
        expect(counted.reads).toBe(5);
        for (let i = 0; i < 200; i++) {
          expect(answers[i]).toEqual(await seams.history.readAfter(topic, cursors[i % 4], 4));
        }
        expect(answers[200]).toBe(stored[9].id);
        expect(answers[201]).toBe(stored[9].id);
        // Settled reads are forgotten: the next asks again.
        expect(reads.pending).toBe(0);
        await reads.readAfter(topic, start, 4);
        expect(counted.reads).toBe(6);
      } finally {
        await seams.close();
      }
    });

    it('shares no read begun before the epoch changed: a later stream sees what was published since', async () => {
      const seams = await make({ historySize: 50 });
      try {
        const topic = freshTopic('epoch');
        const start = await seams.history.head(topic);
        let epoch = 0;
        const counted = new Counted(seams.history);
        const reads = new SharedReads(counted, () => epoch);
        const early = reads.readAfter(topic, start, 10);
        // An event goes live here while the first read is out: the channels count it.
        const published = await seams.transport.publish(topic, { data: 'x' });
        epoch++;
        const late = await reads.readAfter(topic, start, 10);
        expect(counted.reads).toBe(2);
        expect(late.events.map((event) => event.id)).toEqual([published.id]);
        await early;
      } finally {
        await seams.close();
      }
    });
  });
}

describeSharing('memory', memory);
describeRedis('Redis', () => describeSharing('redis', redis));

describe('shared history reads, failing', () => {
  it('gives every waiting stream the failure, and reads again next time', async () => {
    let calls = 0;
    let fail = true;
    const failing: History = {
      head: () => Promise.resolve('0-0'),
      recentStart: () => Promise.resolve('0-0'),
      readAfter: () => {
        calls++;
        return fail
          ? Promise.reject(new Error('Redis is away'))
          : Promise.resolve({ events: [], more: false, head: '0-0' });
      },
    };
    const reads = new SharedReads(failing, () => 0);
    const results = await Promise.allSettled([
      reads.readAfter('t', '0-0', 10),
      reads.readAfter('t', '0-0', 10),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    expect(reads.pending).toBe(0);
    fail = false;
    await expect(reads.readAfter('t', '0-0', 10)).resolves.toMatchObject({ events: [] });
    expect(calls).toBe(2);
  });
});
