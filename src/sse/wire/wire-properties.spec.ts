import type { MessageEvent } from '@nestjs/common';
import fc from 'fast-check';
import type { TopicEvent } from '../topic-event.interface.js';
import { encodeCursor, parseCursor } from './cursor.js';
import { compareEventIds, isEventId, MAX_ID_PART } from './event-id.js';
import { sharedTopicMessage, topicMessage } from './message-event.js';
import { serializePayload } from './payload.js';
import { encodeFrame, frameBytes, sharedFrame } from './sse-frame.js';
import { TOPIC_NAME } from './topic-name.js';

const UINT64 = BigInt(MAX_ID_PART);

interface Dispatched {
  type: string;
  data: string;
  lastEventId: string;
}

/**
 * The HTML Standard's "interpreting an event stream", small and literal: UTF-8 bytes in, the
 * events an EventSource would dispatch out. Written from the spec, not from our encoder.
 */
function interpret(bytes: Buffer): Dispatched[] {
  let text = new TextDecoder('utf-8').decode(bytes);
  if (text.startsWith('\uFEFF')) {
    text = text.slice(1);
  }
  const lines = text.split(/\r\n|\r|\n/);
  // What follows the last line break is an incomplete line: never processed.
  lines.pop();
  const out: Dispatched[] = [];
  let type = '';
  let data = '';
  let lastEventId = '';
  for (const line of lines) {
    if (line === '') {
      if (data === '') {
        type = '';
        continue;
      }
      out.push({ type: type || 'message', data: data.slice(0, -1), lastEventId });
      type = '';
      data = '';
      continue;
    }
    if (line.startsWith(':')) {
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    if (field === 'event') {
      type = value;
    } else if (field === 'data') {
      data += `${value}\n`;
    } else if (field === 'id' && !value.includes('\0')) {
      lastEventId = value;
    }
  }
  return out;
}

function bytesOf(message: MessageEvent): Buffer {
  const bytes = frameBytes(message);
  return Array.isArray(bytes) ? Buffer.concat(bytes) : bytes;
}

const idPart = fc.bigInt({ min: 0n, max: UINT64 });
const eventId = fc.tuple(idPart, idPart).map(([ms, seq]) => `${ms}-${seq}`);
const topicName = fc.stringMatching(TOPIC_NAME);
/** What the publish route accepts as a type: a topic name outside Ripple's own `ripple.` prefix. */
const eventType = topicName.filter((type) => !type.startsWith('ripple.'));
const cursor = fc
  .uniqueArray(fc.tuple(topicName, eventId), {
    minLength: 1,
    maxLength: 8,
    selector: ([topic]) => topic,
  })
  .map((pairs) => new Map(pairs));
/** Strings that stress a payload: line breaks, NUL, lone surrogates, astral characters. */
const nastyString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({
    unit: fc.constantFrom('\n', '\r', '\r\n', '\0', '\uD800', '\uDC00', '\u{1F30A}', 'x', ':', ' '),
  }),
);
/** Any JSON value, with those strings in it. */
const payload = fc.oneof(
  fc.jsonValue(),
  nastyString,
  fc.array(nastyString),
  fc.dictionary(nastyString, nastyString),
);

describe('wire properties (fast-check)', () => {
  it('encodes and parses any cursor back to the same pairs, in order', () => {
    fc.assert(
      fc.property(cursor, (pairs) => {
        const parsed = parseCursor(encodeCursor(pairs));
        expect(parsed.ok && [...parsed.cursor]).toEqual([...pairs]);
      }),
    );
  });

  it('never throws parsing any string, and what it accepts is canonical', () => {
    const cursorish = fc.string({
      unit: fc.constantFrom('a', 'Z', '0', '1', '9', '-', '=', ',', '.', ':', '_', ' ', '\n', '\0'),
    });
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), cursorish), (text) => {
        const parsed = parseCursor(text);
        if (parsed.ok) {
          expect(encodeCursor(parsed.cursor)).toBe(text);
        } else {
          expect(parsed.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('takes an id exactly when both parts fit in 64 bits', () => {
    const anyPart = fc.bigInt({ min: 0n, max: UINT64 * 1000n });
    fc.assert(
      fc.property(anyPart, anyPart, (ms, seq) => {
        expect(isEventId(`${ms}-${seq}`)).toBe(ms <= UINT64 && seq <= UINT64);
      }),
    );
  });

  it('orders ids as a total order, the same as BigInt comparison of (ms, seq)', () => {
    const parts = (id: string) => id.split('-').map(BigInt);
    const byBigInt = (a: string, b: string) => {
      const [msA, seqA] = parts(a);
      const [msB, seqB] = parts(b);
      return msA !== msB ? (msA < msB ? -1 : 1) : seqA !== seqB ? (seqA < seqB ? -1 : 1) : 0;
    };
    // Ids near one another, so that ties and equal milliseconds come up often.
    const near = fc.tuple(fc.bigInt({ min: 0n, max: 3n }), fc.bigInt({ min: 0n, max: 3n }));
    const close = near.map(([ms, seq]) => `${UINT64 - ms}-${seq}`);
    const id = fc.oneof(eventId, close);
    fc.assert(
      fc.property(id, id, id, (a, b, c) => {
        expect(Math.sign(compareEventIds(a, b))).toBe(byBigInt(a, b));
        expect(Math.sign(compareEventIds(a, b)) + Math.sign(compareEventIds(b, a))).toBe(0);
        if (compareEventIds(a, b) <= 0 && compareEventIds(b, c) <= 0) {
          expect(compareEventIds(a, c)).toBeLessThanOrEqual(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('frames any payload and type as exactly one event that round-trips, on every path', () => {
    fc.assert(
      fc.property(
        payload,
        fc.option(eventType, { nil: undefined }),
        topicName,
        eventId,
        cursor,
        (value, type, topic, id, others) => {
          const event: TopicEvent = {
            topic,
            id,
            type,
            data: serializePayload(value),
            publishedAt: 0,
          };
          const expected = { type: type ?? topic, data: event.data };
          // A one-topic connection's shared message, its pre-chunked frame, and a multi-topic one.
          const one = sharedTopicMessage(event);
          expect(interpret(bytesOf(one))).toEqual([{ ...expected, lastEventId: `${topic}=${id}` }]);
          expect(interpret(sharedFrame(event).plain)).toEqual([
            { ...expected, lastEventId: `${topic}=${id}` },
          ]);
          const many = encodeCursor(new Map([...others, [topic, id]]));
          expect(interpret(bytesOf(topicMessage(event, many)))).toEqual([
            { ...expected, lastEventId: many },
          ]);
          expect(JSON.parse(event.data)).toEqual(JSON.parse(serializePayload(value)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('frames any raw text data as one event, line breaks read back as LF', () => {
    fc.assert(
      fc.property(nastyString, (text) => {
        const [only, ...rest] = interpret(Buffer.from(encodeFrame({ data: text, id: 'a=1-0' })));
        expect(rest).toEqual([]);
        // Raw text is sent as UTF-8, where a lone surrogate can only be U+FFFD.
        const wellFormed = Buffer.from(text.replace(/\r\n|\r/g, '\n')).toString('utf8');
        expect(only.data).toBe(wellFormed);
      }),
      { numRuns: 500 },
    );
  });
});
