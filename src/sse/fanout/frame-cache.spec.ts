import { ev } from '../../../test/utils/scripted-transport.js';
import { FrameCache } from './frame-cache.js';
import { sharedFrame } from '../wire/sse-frame.js';

describe('FrameCache', () => {
  it('encodes an event once for all its one-topic connections, found again by topic and id', () => {
    const cache = new FrameCache(64 * 1024);
    const event = ev('t', 1);
    const frame = cache.frameOf(event);
    expect(frame).toEqual(sharedFrame(event));
    expect(cache.frameOf(event)).toBe(frame);
    // A Redis history reads a new object for the same event each time.
    expect(cache.frameOf({ ...event })).toBe(frame);
  });

  it('keeps at most its bytes, the oldest frames going first', () => {
    const one = new FrameCache(1 << 20);
    one.frameOf(ev('t', 1));
    const cost = one.size;
    const cache = new FrameCache(cost * 3);
    const frames = [1, 2, 3, 4].map((ms) => cache.frameOf(ev('t', ms)));
    expect(cache.size).toBeLessThanOrEqual(cost * 3);
    expect(cache.frameOf(ev('t', 4))).toBe(frames[3]);
    expect(cache.frameOf(ev('t', 2))).toBe(frames[1]);
    // The first went when the fourth came.
    expect(cache.frameOf(ev('t', 1))).not.toBe(frames[0]);
  });

  it('stays within its bytes over many more frames than it holds, keeping the newest', () => {
    const one = new FrameCache(1 << 20);
    one.frameOf(ev('t', 1));
    const cost = one.size;
    const cache = new FrameCache(cost * 100);
    const kept: ReturnType<FrameCache['frameOf']>[] = [];
    for (let ms = 1; ms <= 5000; ms++) {
      kept.push(cache.frameOf(ev('t', ms)));
      expect(cache.size).toBeLessThanOrEqual(cost * 100);
    }
    expect(cache.size).toBeGreaterThan(cost * 80);
    expect(cache.frameOf(ev('t', 5000))).toBe(kept[4999]);
    expect(cache.frameOf(ev('t', 4951))).toBe(kept[4950]);
    expect(cache.frameOf(ev('t', 3000))).not.toBe(kept[2999]);
  });

  it('keeps nothing at 0, and still encodes', () => {
    const cache = new FrameCache(0);
    const event = ev('t', 1);
    expect(cache.frameOf(event)).toEqual(sharedFrame(event));
    expect(cache.frameOf(event)).not.toBe(cache.frameOf(event));
    expect(cache.size).toBe(0);
  });
});
