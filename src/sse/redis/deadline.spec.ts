import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { RedisTimeoutError, withDeadline } from './deadline.js';

describe('withDeadline', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('answers what the call answers in time, and leaves no timer behind', async () => {
    await expect(withDeadline(Promise.resolve('ok'), 1000, 'a read')).resolves.toBe('ok');
    await expect(withDeadline(Promise.reject(new Error('no')), 1000, 'a read')).rejects.toThrow(
      'no',
    );
    expect(jest.getTimerCount()).toBe(0);
  });

  it('fails with a RedisTimeoutError once the deadline passes without an answer', async () => {
    const late = withDeadline(new Promise(() => undefined), 1000, 'a publish to t');
    jest.advanceTimersByTime(1000);
    await expect(late).rejects.toBeInstanceOf(RedisTimeoutError);
    await expect(late).rejects.toThrow('Redis did not answer a publish to t within 1000 ms');
  });
});
