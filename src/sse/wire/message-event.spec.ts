import type { MessageEvent } from '@nestjs/common';
import { SseStream } from '@nestjs/core/router/sse-stream.js';
import { encodeFrame, frameBytes } from './sse-frame.js';
import { serializePayload } from './payload.js';
import {
  HEARTBEAT,
  openingMessage,
  resetMessage,
  sharedTopicMessage,
  topicMessage,
} from './message-event.js';
import type { TopicEvent } from '../topic-event.interface.js';

/** The bytes Ripple's writer puts on the wire for a message. */
function wire(message: MessageEvent): Promise<string> {
  const bytes = frameBytes(message);
  const text = Array.isArray(bytes) ? Buffer.concat(bytes).toString() : bytes.toString();
  expect(text).toBe(encodeFrame(message));
  return Promise.resolve(text);
}

/** The bytes Nest's own SSE writer puts on the wire, for `hub.stream()` under plain `@Sse()`. */
function nestWire(message: MessageEvent): Promise<string> {
  const stream = new SseStream();
  return new Promise((resolve, reject) => {
    let out = '';
    stream.on('data', (chunk: Buffer | string) => (out += chunk.toString()));
    stream.writeMessage(message, (err) => (err ? reject(err) : resolve(out)));
  });
}

/** A spec-compliant reading of one frame's data lines (HTML Standard, "interpreting a stream"). */
function dataOf(frame: string): string {
  return frame
    .split(/\r\n|\r|\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).replace(/^ /, ''))
    .join('\n');
}

function event(data: unknown, type?: string): TopicEvent {
  return { topic: 'news', id: '5-1', type, data: serializePayload(data), publishedAt: 0 };
}

describe('wire encoding', () => {
  it('writes id, type and one data line, and never lets Nest number the event', async () => {
    expect(await wire(topicMessage(event({ a: 1 }), 'news=5-1'))).toBe(
      'event: news\nid: news=5-1\ndata: {"a":1}\n\n',
    );
    expect(await wire(topicMessage(event(1, 'price'), 'news=5-1'))).toBe(
      'event: price\nid: news=5-1\ndata: 1\n\n',
    );
  });

  it.each([
    ['multi-line', 'line one\nline two\n'],
    ['CR', 'a\rb'],
    ['CRLF', 'a\r\nb\r\n\r\n'],
    ['NUL', 'a\u0000b'],
    ['unicode', 'h\u00e9llo \u{1F30A} \u2028\u2029 \u0085 \uFEFF'],
    ['empty string', ''],
    ['a fake frame', 'x\n\nid: 99\nevent: evil\ndata: pwned\n\n'],
  ])('keeps %s data intact on one data line', async (_name, text) => {
    const frame = await wire(topicMessage(event({ text }), 'news=5-1'));
    expect(frame.match(/\n\n/g)).toHaveLength(1);
    expect(frame.split('\n').filter((line) => line.startsWith('data:'))).toHaveLength(1);
    expect(JSON.parse(dataOf(frame))).toEqual({ text });
  });

  it('carries a 64 KiB payload and a 1 MiB one whole', async () => {
    for (const size of [64 * 1024, 1024 * 1024]) {
      const text = 'x\n'.repeat(size / 2);
      const frame = await wire(topicMessage(event(text), 'news=5-1'));
      expect(JSON.parse(dataOf(frame))).toBe(text);
    }
  });

  it('serialises empty and falsy payloads, and refuses what is not JSON', () => {
    expect(serializePayload(null)).toBe('null');
    expect(serializePayload('')).toBe('""');
    expect(serializePayload(0)).toBe('0');
    expect(serializePayload(false)).toBe('false');
    expect(() => serializePayload(undefined)).toThrow(TypeError);
    expect(() => serializePayload(() => 1)).toThrow(TypeError);
    expect(() => serializePayload(10n)).toThrow(TypeError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => serializePayload(circular)).toThrow(TypeError);
  });

  it('opens with a retry line and the starting cursor, and no data', async () => {
    expect(await wire(openingMessage(2000, 'a=1-0'))).toBe('id: a=1-0\nretry: 2000\n\n');
  });

  it('sends heartbeats as comments, with no id', async () => {
    expect(await wire(HEARTBEAT)).toBe(': \n\n');
  });

  it('names the reason and the topics of a reset', async () => {
    const frame = await wire(resetMessage('trimmed', ['a', 'b'], 'a=1-0,b=2-0'));
    expect(frame).toBe(
      'event: ripple.reset\nid: a=1-0,b=2-0\ndata: {"reason":"trimmed","topics":["a","b"]}\n\n',
    );
  });

  it('frames the same under plain @Sse(), as Nest writes them', async () => {
    const messages = [
      topicMessage(event({ text: 'a\r\nb' }, 'price'), 'news=5-1'),
      openingMessage(1500, 'a=1-0'),
      HEARTBEAT,
      resetMessage('trimmed', ['a'], 'a=1-0'),
    ];
    for (const message of messages) {
      expect(dataOf(await nestWire(message))).toBe(dataOf(await wire(message)));
      expect(await nestWire(message)).toContain(
        message.id === undefined ? ':' : `id: ${message.id}`,
      );
    }
  });

  it('encodes a one-topic event once for all its connections, and multi-topic data lines once', async () => {
    const stored = event({ shared: true });
    const one = sharedTopicMessage(stored);
    expect(sharedTopicMessage(stored)).toBe(one);
    expect(frameBytes(one)).toBe(frameBytes(one));
    const [headA, tailA] = frameBytes(topicMessage(stored, 'news=5-1,b=1-0')) as Buffer[];
    const [headB, tailB] = frameBytes(topicMessage(stored, 'news=5-1,c=2-0')) as Buffer[];
    expect(tailA).toBe(tailB);
    expect(headA.toString()).toBe('event: news\nid: news=5-1,b=1-0\n');
    expect(headB.toString()).toBe('event: news\nid: news=5-1,c=2-0\n');
  });

  it('splits raw text data on every kind of line break into data lines', () => {
    expect(encodeFrame({ data: 'a\r\nb\rc\nd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n');
    expect(encodeFrame({ data: '' })).toBe('data: \n\n');
    expect(encodeFrame({ comment: 'x\ny' })).toBe(': x\n: y\n\n');
  });

  it('keeps ids and types on one line whatever they hold', () => {
    expect(encodeFrame({ id: 'a\nb\r\0c', type: 'x\ny', data: 'z' })).toBe(
      'event: xy\nid: abc\ndata: z\n\n',
    );
  });
});
