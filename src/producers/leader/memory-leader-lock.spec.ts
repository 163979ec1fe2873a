import { describe, expect, it } from '@jest/globals';
import { describeLeaderLockContract } from '../../../test/contracts/leader-lock.contract.js';
import { MemoryLeaderLock, type MemoryLeaderStore } from './memory-leader-lock.js';

// One store for every lock the contract makes: the in-process stand-in for a shared Redis.
const store: MemoryLeaderStore = new Map();

describeLeaderLockContract('MemoryLeaderLock', () =>
  Promise.resolve({ lock: new MemoryLeaderLock(store), close: () => Promise.resolve() }),
);

describe('MemoryLeaderLock', () => {
  it('decides at subscription, synchronously', () => {
    const lock = new MemoryLeaderLock();
    const values: boolean[] = [];

    const subscription = lock.lead('a').subscribe((value) => values.push(value));

    expect(values).toEqual([true]);
    subscription.unsubscribe();
  });

  it('hands the lease over in arrival order', () => {
    const lock = new MemoryLeaderLock();
    const seen: string[] = [];
    const first = lock.lead('a').subscribe((leading) => seen.push(`first:${leading}`));
    const second = lock.lead('a').subscribe((leading) => seen.push(`second:${leading}`));
    const third = lock.lead('a').subscribe((leading) => seen.push(`third:${leading}`));

    first.unsubscribe();
    second.unsubscribe();

    expect(seen).toEqual([
      'first:true',
      'second:false',
      'third:false',
      'second:true',
      'third:true',
    ]);
    third.unsubscribe();
  });

  it('forgets a name once its last candidate leaves', () => {
    const shared: MemoryLeaderStore = new Map();
    const lock = new MemoryLeaderLock(shared);
    const a = lock.lead('a').subscribe();
    const b = new MemoryLeaderLock(shared).lead('a').subscribe();

    a.unsubscribe();
    b.unsubscribe();

    expect(shared.size).toBe(0);
  });

  it('excludes between locks only when they share a store', () => {
    const values: boolean[] = [];

    const a = new MemoryLeaderLock().lead('a').subscribe((value) => values.push(value));
    const b = new MemoryLeaderLock().lead('a').subscribe((value) => values.push(value));

    expect(values).toEqual([true, true]);
    a.unsubscribe();
    b.unsubscribe();
  });
});
