import { batches } from './redis-transport.js';

const call = (data: string) => ({ event: { data } });

describe('batches', () => {
  it('cuts a turn of publishes at 256 events, in order', () => {
    const queue = Array.from({ length: 600 }, (_, i) => call(String(i)));
    const cut = batches(queue);
    expect(cut.map((batch) => batch.length)).toEqual([256, 256, 88]);
    expect(cut.flat()).toEqual(queue);
  });

  it('cuts at 256 Ki characters of data, and gives an event bigger than that a batch alone', () => {
    const big = call('x'.repeat(300 * 1024));
    const half = call('y'.repeat(128 * 1024));
    const cut = batches([half, half, call('z'), big, half]);
    expect(cut.map((batch) => batch.length)).toEqual([2, 1, 1, 1]);
    expect(cut.flat()).toEqual([half, half, call('z'), big, half]);
  });
});
