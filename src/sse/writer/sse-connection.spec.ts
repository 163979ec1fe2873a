import type { ServerResponse } from 'node:http';
import type { MessageEvent } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { HEARTBEAT } from '../wire/message-event.js';
import { SseConnection, type SseConnectionEvents } from './sse-connection.js';

/**
 * A response with no socket (Ripple then writes through it) whose backlog the test sets: what
 * SseConnection reads of a ServerResponse, and nothing more.
 */
function fakeResponse(backlog = 0) {
  return {
    writableLength: backlog,
    socket: null,
    written: [] as Buffer[],
    destroyed: false,
    ended: false,
    end() {
      this.ended = true;
    },
    flushHeaders: () => undefined,
    write(bytes: Buffer) {
      this.written.push(bytes);
      return this.writableLength === 0;
    },
    once: () => undefined,
    destroy() {
      this.destroyed = true;
    },
  };
}

function events(): SseConnectionEvents & { ends: string[]; drops: string[] } {
  const ends: string[] = [];
  const drops: string[] = [];
  return {
    ends,
    drops,
    dropped: (reason) => drops.push(reason),
    ended: (reason) => ends.push(reason),
    delivered: () => undefined,
  };
}

/** A source that counts its subscriptions and teardowns, and emits `messages` synchronously. */
function countingSource(messages: MessageEvent[]) {
  const counts = { subscribed: 0, tornDown: 0 };
  const source = new Observable<MessageEvent>((subscriber) => {
    counts.subscribed++;
    for (const message of messages) {
      subscriber.next(message);
    }
    return () => counts.tornDown++;
  });
  return { source, counts };
}

const limits = { maxBufferBytes: 1024, writeTimeoutMs: 1000, maxAgeMs: 0 };
const opening: MessageEvent = { retry: 1000, id: 'a=1-0' };

describe('SseConnection', () => {
  it('subscribes nothing for a client that left before it started', () => {
    const ev = events();
    const connection = new SseConnection(fakeResponse() as unknown as ServerResponse, limits, ev);
    const { source, counts } = countingSource([opening]);
    connection.clientLeft();
    let started = false;
    connection.start(
      source,
      () => (started = true),
      () => undefined,
    );
    expect(counts.subscribed).toBe(0);
    expect(started).toBe(false);
    expect(ev.ends).toEqual(['client']);
  });

  it('releases a source that ended the stream while it was being subscribed', () => {
    // Its backlog is past the bound at the first write: dropped inside subscribe().
    const response = fakeResponse(1024 * 1024);
    const ev = events();
    const connection = new SseConnection(response as unknown as ServerResponse, limits, ev);
    const { source, counts } = countingSource([opening, { id: 'a=2-0', data: 'x' }]);
    connection.start(
      source,
      () => connection.open(),
      () => undefined,
    );
    expect(ev.drops).toEqual(['slow-consumer']);
    expect(response.destroyed).toBe(true);
    expect(counts.tornDown).toBe(1);
  });

  it('ends at the first frame with nothing written when asked to (HEAD)', () => {
    const response = fakeResponse();
    const ev = events();
    const connection = new SseConnection(response as unknown as ServerResponse, limits, ev);
    const { source, counts } = countingSource([opening, { id: 'a=2-0', data: 'x' }]);
    connection.start(
      source,
      () => connection.endEmpty(),
      () => undefined,
    );
    expect(response.written).toEqual([]);
    expect(counts.tornDown).toBe(1);
    expect(response.ended).toBe(true);
    expect(ev.ends).toEqual(['server-end']);
  });

  it('does not count a heartbeat as a write, so the next tick sends one again', () => {
    const connection = new SseConnection(
      fakeResponse() as unknown as ServerResponse,
      limits,
      events(),
    );
    const source = new Subject<MessageEvent>();
    connection.start(
      source,
      () => connection.open(),
      () => undefined,
    );
    source.next(opening);
    expect(connection.takeWrote()).toBe(true);
    source.next(HEARTBEAT);
    expect(connection.takeWrote()).toBe(false);
    source.next({ id: 'a=2-0', data: 'x' });
    expect(connection.takeWrote()).toBe(true);
  });
});
