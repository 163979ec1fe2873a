import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { MessageEvent } from '@nestjs/common';
import { AsyncDemoController } from './async-demo.controller.js';

describe('AsyncDemoController', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('sends 42 at once, 100 a second later, then the end marker, and completes', () => {
    const seen: MessageEvent[] = [];
    let completed = false;

    new AsyncDemoController().demo().subscribe({
      next: (event) => seen.push(event),
      complete: () => (completed = true),
    });

    expect(seen).toEqual([{ data: { val: 42 } }]);
    jest.advanceTimersByTime(999);
    expect(seen).toHaveLength(1);
    expect(completed).toBe(false);

    jest.advanceTimersByTime(1);
    expect(seen).toEqual([{ data: { val: 42 } }, { data: { val: 100 } }, { data: { msg: 'end' } }]);
    expect(completed).toBe(true);
  });

  it('clears its timer when the client leaves early', () => {
    const subscription = new AsyncDemoController().demo().subscribe();
    expect(jest.getTimerCount()).toBe(1);

    subscription.unsubscribe();

    expect(jest.getTimerCount()).toBe(0);
  });
});
