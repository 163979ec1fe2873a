import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { MessageEvent } from '@nestjs/common';
import { Subject } from 'rxjs';
import { endAtExpiry, TOKEN_EXPIRED_EVENT_TYPE } from './token-expiry.interceptor.js';

describe('endAtExpiry', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const run = (expiresAt: number) => {
    const source = new Subject<MessageEvent>();
    const got: MessageEvent[] = [];
    let completed = false;
    const subscription = endAtExpiry(source, expiresAt).subscribe({
      next: (message) => got.push(message),
      complete: () => (completed = true),
    });
    return { source, got, done: () => completed, subscription };
  };

  it('passes events through until the expiry, then sends one last event, with the last id, and ends', () => {
    const { source, got, done } = run(Date.now() + 5000);
    source.next({ retry: 2000, id: 'a=1-0' });
    source.next({ id: 'a=2-0', type: 'a', data: '1' });
    source.next({ comment: '' });
    jest.advanceTimersByTime(4999);
    expect(done()).toBe(false);
    jest.advanceTimersByTime(1);
    expect(done()).toBe(true);
    expect(got.at(-1)).toEqual({
      id: 'a=2-0',
      type: TOKEN_EXPIRED_EVENT_TYPE,
      data: '{"reason":"token-expired"}',
    });
    expect(source.observed).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('ends without the last event when nothing with an id went out yet', () => {
    const { got, done } = run(Date.now() + 10);
    jest.advanceTimersByTime(10);
    expect(done()).toBe(true);
    expect(got).toEqual([]);
  });

  it('ends at once (on the next tick) for a token already past its expiry', () => {
    const { done } = run(Date.now() - 1000);
    expect(done()).toBe(false);
    jest.advanceTimersByTime(0);
    expect(done()).toBe(true);
  });

  it('clears its timer when the client leaves first', () => {
    const { subscription, source } = run(Date.now() + 60_000);
    expect(jest.getTimerCount()).toBe(1);
    subscription.unsubscribe();
    expect(jest.getTimerCount()).toBe(0);
    expect(source.observed).toBe(false);
  });

  it('clears its timer when the stream ends first', () => {
    const { source, done } = run(Date.now() + 60_000);
    source.complete();
    expect(done()).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('waits out expiries beyond what one timer can hold (24.8 days)', () => {
    const days = 40;
    const { source, done } = run(Date.now() + days * 86_400_000);
    source.next({ id: 'a=1-0' });
    jest.advanceTimersByTime((days - 1) * 86_400_000);
    expect(done()).toBe(false);
    jest.advanceTimersByTime(86_400_000);
    expect(done()).toBe(true);
  });
});
