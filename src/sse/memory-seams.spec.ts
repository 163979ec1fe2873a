import { describeHistoryContract } from '../../test/contracts/history.contract.js';
import type { MakeSeams } from '../../test/contracts/seams.js';
import { describeTransportContract } from '../../test/contracts/transport.contract.js';
import { MemoryHistory } from './history/memory-history.js';
import { compareEventIds } from './wire/event-id.js';
import { MemoryTransport } from './transport/memory-transport.js';

const makeMemory: MakeSeams = ({ historySize }) => {
  const history = new MemoryHistory(historySize);
  const transport = new MemoryTransport(history);
  return Promise.resolve({ transport, history, close: () => Promise.resolve() });
};

describeTransportContract('memory', makeMemory);
describeHistoryContract('memory', makeMemory);

describe('memory history, beyond the contract', () => {
  it('treats a cursor from before a restart as unknown, not as a position', async () => {
    const before = await makeMemory({ historySize: 10 });
    const old = await before.transport.publish('t', { data: '1' });
    await new Promise((resolve) => setTimeout(resolve, 2));
    const after = await makeMemory({ historySize: 10 });
    await after.transport.publish('t', { data: '2' });
    expect((await after.history.readAfter('t', old.id, 10)).gap).toBe('unknown-position');
  });

  it('gives ids that grow across all topics, in publish order', async () => {
    const { history } = await makeMemory({ historySize: 10 });
    const memory = history as MemoryHistory;
    const now = Date.now();
    // The same millisecond for all, and the clock going back: order is still publish order.
    const ids = ['a', 'b', 'a', 'c', 'b'].map((topic, i) =>
      memory.append(topic, { data: String(i) }, i === 4 ? now - 1000 : now),
    );
    const sorted = [...ids].sort((x, y) => compareEventIds(x.id, y.id));
    expect(sorted).toEqual(ids);
    expect(new Set(ids.map((event) => event.id)).size).toBe(ids.length);
  });

  it('forgets the Subject of a topic when its last subscriber leaves', async () => {
    const { transport } = await makeMemory({ historySize: 10 });
    const memory = transport as MemoryTransport;
    const a = memory.subscribe('x').subscribe();
    const b = memory.subscribe('x').subscribe();
    expect(memory.subscribedTopics).toEqual(['x']);
    a.unsubscribe();
    expect(memory.subscribedTopics).toEqual(['x']);
    b.unsubscribe();
    expect(memory.subscribedTopics).toEqual([]);
  });
});
