import type { MessageEvent } from '@nestjs/common';
import {
  isSharedTopicMessage,
  SOURCE_EVENT,
  topicMessage,
  type TopicMessage,
} from './message-event.js';
import type { TopicEvent } from '../topic-event.interface.js';

const LINE_BREAK = /\r\n|\r|\n/;

/** One `field: value` line per line of `value`: a CR or LF in it can never end the frame early. */
function lines(field: string, value: string): string {
  if (!value.includes('\n') && !value.includes('\r')) {
    return `${field}: ${value}\n`;
  }
  return value
    .split(LINE_BREAK)
    .map((line) => `${field}: ${line}\n`)
    .join('');
}

/** A value that must fit on one line: line breaks are dropped, and NUL, which makes EventSource ignore an id. */
function oneLine(value: string): string {
  return value.replace(/[\r\n\0]/g, '');
}

function dataText(data: MessageEvent['data']): string {
  return typeof data === 'string' ? data : JSON.stringify(data);
}

/**
 * The head of a frame, every field but the data: comment, event type, id, retry. (The order of the
 * fields within a frame does not matter to EventSource.)
 */
export function encodeHead(message: MessageEvent): string {
  let out = '';
  if (message.comment !== undefined) {
    out += lines('', message.comment);
  }
  if (message.type !== undefined) {
    out += `event: ${oneLine(message.type)}\n`;
  }
  if (message.id !== undefined) {
    out += `id: ${oneLine(message.id)}\n`;
  }
  if (message.retry !== undefined) {
    out += `retry: ${Math.max(0, Math.floor(message.retry))}\n`;
  }
  return out;
}

/** The tail of a frame: its data lines and the blank line that dispatches it. */
export function encodeTail(data: MessageEvent['data']): string {
  return data === undefined ? '\n' : `${lines('data', dataText(data))}\n`;
}

/** A whole frame, as the HTML Standard's event-stream format has it. */
export function encodeFrame(message: MessageEvent): string {
  return encodeHead(message) + encodeTail(message.data);
}

/** Frames of frozen messages (the heartbeat): a handful, kept for good. */
const constants = new WeakMap<MessageEvent, Buffer>();

/**
 * Frames encoded in this turn of the event loop. A live event reaches all its connections in one
 * turn, so that is as long as sharing its bytes is worth: held longer (as long as history holds the
 * event) they would double what history costs in memory.
 */
const thisTurn = new Map<object, Buffer>();

function remember(key: object, bytes: Buffer): Buffer {
  if (thisTurn.size === 0) {
    setImmediate(() => thisTurn.clear());
  }
  thisTurn.set(key, bytes);
  return bytes;
}

/** The `data:` lines of a stored event are keyed apart from its one-topic message. */
const TAIL = new WeakMap<TopicEvent, object>();

function tailKey(event: TopicEvent): object {
  let key = TAIL.get(event);
  if (!key) {
    key = {};
    TAIL.set(event, key);
  }
  return key;
}

/**
 * A frame as bytes, encoded as little as possible: a message shared by many connections (a
 * one-topic event, a heartbeat) once for all of them, and the data lines of a stored event once
 * for every connection, whatever the cursor in front of them.
 */
export function frameBytes(message: MessageEvent): Buffer | [Buffer, Buffer] {
  const cached = thisTurn.get(message) ?? constants.get(message);
  if (cached) {
    return cached;
  }
  const source = (message as Partial<TopicMessage>)[SOURCE_EVENT];
  // A copy a handler made with other data (`{ ...message, data }`) keeps the mark: its own data wins.
  if (!source || message.data !== source.data) {
    const bytes = Buffer.from(encodeFrame(message));
    if (Object.isFrozen(message)) {
      constants.set(message, bytes);
    }
    return bytes;
  }
  if (isSharedTopicMessage(message, source)) {
    // A one-topic message, the same object for every such connection: encode it once, whole.
    return remember(message, Buffer.from(encodeHead(message) + encodeTail(source.data)));
  }
  const key = tailKey(source);
  const tail = thisTurn.get(key) ?? remember(key, Buffer.from(encodeTail(source.data)));
  return [Buffer.from(encodeHead(message)), tail];
}

const CRLF = Buffer.from('\r\n');

/** The line that opens an HTTP/1.1 chunk of `size` bytes. */
export function chunkHead(size: number): Buffer {
  return Buffer.from(`${size.toString(16)}\r\n`, 'latin1');
}

/** The bytes that close every HTTP/1.1 chunk. */
export const CHUNK_END: Buffer = CRLF;

/**
 * One live event's frame for every one-topic connection: encoded once, in one Buffer that is
 * already an HTTP/1.1 chunk, so a chunked response takes it with one socket write and no copy.
 * `plain` is the same bytes without the chunk framing (HTTP/1.0, or a response Node still buffers).
 */
export interface SharedFrame {
  readonly chunked: Buffer;
  readonly plain: Buffer;
  /** The frame's `id:` (the connection's cursor after it): `topic=id`. */
  readonly cursor: string;
}

export function sharedFrame(event: TopicEvent): SharedFrame {
  const cursor = `${event.topic}=${event.id}`;
  const text = encodeHead(topicMessage(event, cursor)) + encodeTail(event.data);
  const size = Buffer.byteLength(text);
  const head = `${size.toString(16)}\r\n`;
  const chunked = Buffer.allocUnsafe(head.length + size + 2);
  chunked.write(head, 0, 'latin1');
  chunked.write(text, head.length);
  chunked.write('\r\n', head.length + size, 'latin1');
  return { chunked, plain: chunked.subarray(head.length, head.length + size), cursor };
}

/**
 * Several frames of one topic as one: the events of a burst, written to each connection in one
 * call. Back-to-back HTTP chunks are still a valid chunked body; the cursor is the last frame's.
 */
export function joinedFrame(frames: readonly SharedFrame[]): SharedFrame {
  const chunked: Buffer[] = [];
  const plain: Buffer[] = [];
  for (const frame of frames) {
    chunked.push(frame.chunked);
    plain.push(frame.plain);
  }
  return {
    chunked: Buffer.concat(chunked),
    plain: Buffer.concat(plain),
    cursor: frames[frames.length - 1].cursor,
  };
}
