import { describeHistoryContract } from '../../test/contracts/history.contract.js';
import type { MakeSeams } from '../../test/contracts/seams.js';
import { describeTransportContract } from '../../test/contracts/transport.contract.js';
import { MemoryHistory } from './history/memory-history.js';
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
    expect((await after.history.readAfter('t', old.id)).gap).toBe('unknown-position');
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
