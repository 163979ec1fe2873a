/*
 * resumableStream is a state machine per topic of a connection, driven by the transport's signals
 * and by the answers of history reads. The scripted specs below drive every transition by hand
 * (test/utils/scripted-transport.ts, scripted-history.ts): the test decides when each read
 * answers, and when each live event arrives.
 *
 * The stream:
 *   subscribing   every topic's first SUBSCRIBED          -> joining (the first read of each topic)
 *   joining       every first read answered               -> open: `retry:`+cursor, resets, 1st page
 *   joining       a first read fails                      -> error (nothing was sent)
 *   open          heartbeat tick, nothing sent since last  -> open: `:` comment
 *   any           transport completes / fails             -> complete / error
 *   any           unsubscribed                            -> closed: no membership, timer, read
 *
 * A topic, once open (`held`: live events kept, at most a page; past it they are dropped and read
 * from history instead):
 *   reading      page answered               -> reading: up to a page, merged by id across topics
 *   reading      page answered with a gap    -> reading: `ripple.reset` at the head, from there on
 *   reading      read fails                  -> reading: read again after catchUpRetryMs
 *   reading      writer has no room          -> reading: the next read waits for it
 *   reading      every topic's history sent  -> live: held events newer than what was sent
 *   reading      live event                  -> reading: held
 *   reading      UNSUBSCRIBED                -> reading, then subscribing once history is sent
 *   reading      SUBSCRIBED again            -> reading: one more read after this one
 *   live         event newer than the last   -> live: sent (one-topic, direct: written by the channel)
 *   live         event not newer (trailing)  -> live: dropped, until the first newer one
 *   live         UNSUBSCRIBED                -> subscribing: held
 *   subscribing  SUBSCRIBED                  -> reading: history after the last event sent
 */
import type { MessageEvent } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { NEVER, Subject, Subscription } from 'rxjs';
import { ev, ScriptedTransport } from '../../../test/utils/scripted-transport.js';
import { ScriptedHistory } from '../../../test/utils/scripted-history.js';
import { TopicChannels } from '../fanout/topic-channels.js';
import { MemoryHistory } from '../history/memory-history.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import { parseCursor } from '../wire/cursor.js';
import type { TopicEvent } from '../topic-event.interface.js';
import { compareEventIds } from '../wire/event-id.js';
import {
  HEARTBEAT,
  RESET_EVENT_TYPE,
  SOURCE_EVENT,
  type TopicMessage,
} from '../wire/message-event.js';
import type { SharedFrame } from '../wire/sse-frame.js';
import { resumableStream } from './resumable-stream.js';
import { streamControlOf, type StreamControl, type StreamWriter } from './stream-control.js';

/** Lets the microtasks (history reads, the replay's awaits) run out. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

/** A writer whose room the test gives, one page at a time; it records what is written directly. */
class PacedWriter implements StreamWriter {
  readonly pages: number[] = [];
  private room?: () => void;
  private counting = -1;
  private wroteDirect = false;
  waits = 0;

  constructor(private readonly onShared: (frame: SharedFrame) => void = () => undefined) {}

  whenWritable(): Promise<void> {
    this.waits++;
    return new Promise((resolve) => (this.room = resolve));
  }
  page(send: () => void): void {
    this.counting = 0;
    send();
    this.pages.push(this.counting);
    this.counting = -1;
  }
  /** Called for each message the stream writes. */
  wrote(): void {
    if (this.counting >= 0) {
      this.counting++;
    }
  }
  giveRoom(): void {
    const room = this.room;
    this.room = undefined;
    room?.();
  }
  get waiting(): boolean {
    return this.room !== undefined;
  }
  writeShared(frame: SharedFrame): void {
    this.wroteDirect = true;
    this.onShared(frame);
  }
  takeWrote(): boolean {
    const wrote = this.wroteDirect;
    this.wroteDirect = false;
    return wrote;
  }
}

/**
 * A frame, compactly: `open <cursor>`, `reset <reason> <topics> <cursor>`, `:` (a heartbeat), or
 * `<type>:<data> <cursor>` for an event.
 */
function render(message: MessageEvent): string {
  if (message === HEARTBEAT) {
    return ':';
  }
  if (message.retry !== undefined) {
    return `open ${message.id}`;
  }
  if (message.type === RESET_EVENT_TYPE) {
    const { reason, topics } = JSON.parse(message.data as string) as {
      reason: string;
      topics: string[];
    };
    return `reset ${reason} ${topics.join('+')} ${message.id}`;
  }
  return `${message.type}:${message.data as string} ${message.id}`;
}

const PAGE = 3;
const RETRY_MS = 500;

interface ResumeOptions {
  pageSize?: number;
  /** Ripple's writer attaches (a PacedWriter): the replay waits for room. */
  paced?: boolean;
  /** The route returned the stream as it is: live events of one topic go to the writer directly. */
  direct?: boolean;
}

describe('resumableStream, scripted', () => {
  let transport: ScriptedTransport;
  let history: ScriptedHistory;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    // No jitter: the opening's `retry:` is the configured one.
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    transport = new ScriptedTransport();
    history = new ScriptedHistory();
  });

  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  /** Subscribes to a stream of `topics` resumed from `cursor` (none: from the head). */
  function resume(topics: string[], cursor?: string, options: ResumeOptions = {}) {
    const { pageSize = PAGE, direct = false, paced = direct } = options;
    const heartbeat = new Subject<void>();
    /** Events written directly by the topic's channel, as their frames' cursors. */
    const shared: string[] = [];
    /** Every event the client got, as `topic@id`, in order: sent on the stream or written directly. */
    const delivered: string[] = [];
    const writer = new PacedWriter((frame) => {
      // The events of one turn come as one frame, back to back: each has its `id:` line.
      for (const [, cursor] of frame.plain.toString().matchAll(/^id: (.*)$/gm)) {
        shared.push(cursor);
        delivered.push(cursor.replace('=', '@'));
      }
    });
    const messages: MessageEvent[] = [];
    const stream = {
      writer,
      heartbeat,
      shared,
      delivered,
      messages,
      completed: false,
      error: undefined as unknown,
      control: undefined as StreamControl | undefined,
      frames: () => messages.map(render),
      subscription: new Subscription(),
    };
    stream.subscription = resumableStream(
      {
        channels: new TopicChannels(transport),
        history,
        retryMs: 1000,
        pageSize,
        catchUpRetryMs: RETRY_MS,
        heartbeat$: heartbeat,
        directAllowed: () => direct,
      },
      topics,
      cursor === undefined ? undefined : parseCursor(cursor),
    ).subscribe({
      next: (message) => {
        const control = streamControlOf(message);
        if (control) {
          stream.control = control;
          if (paced) {
            control.attach(writer);
          }
        }
        const event = (message as Partial<TopicMessage>)[SOURCE_EVENT];
        if (event) {
          delivered.push(`${event.topic}@${event.id}`);
        }
        messages.push(message);
        writer.wrote();
      },
      error: (err: unknown) => (stream.error = err),
      complete: () => (stream.completed = true),
    });
    return stream;
  }

  /** A stream whose topics are all subscribed and whose first reads are answered: it is open. */
  async function joined(topics: string[], cursor?: string, options?: ResumeOptions) {
    const s = resume(topics, cursor, options);
    topics.forEach((topic) => transport.subscribed(topic));
    topics.forEach(() => history.answer());
    await settled();
    return s;
  }

  /** Stores events and sends them live, as a transport does (stored first). */
  const publish = (...events: TopicEvent[]) => {
    history.store(...events);
    transport.live(...events);
  };

  /** No transport subscription, heartbeat subscription or timer is left. */
  function expectNothingLeft(stream: { heartbeat: Subject<void> }) {
    expect(transport.subscriptions()).toBe(0);
    expect(stream.heartbeat.observed).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  }

  describe('subscribing and joining', () => {
    it('reads nothing until every topic is subscribed, then reads them all at once', async () => {
      const s = resume(['a', 'b'], 'a=1-0,b=2-0');
      expect(transport.subscribedTopics).toEqual(['a', 'b']);
      transport.subscribed('a');
      await settled();
      expect(history.calls).toEqual([]);
      transport.subscribed('b');
      // Half a page each: the first page of the join is one page in all.
      expect(history.calls).toEqual(['readAfter(a, 1-0, 2)', 'readAfter(b, 2-0, 2)']);
      expect(s.frames()).toEqual([]);
    });

    it('opens with the retry and the starting cursor, then the first page, then goes live', async () => {
      history.store(ev('t', 2), ev('t', 3));
      const s = await joined(['t'], 't=1-0');
      expect(s.messages[0]).toEqual({ retry: 1000, id: 't=1-0' });
      expect(s.frames()).toEqual(['open t=1-0', 't:2 t=2-0', 't:3 t=3-0']);
      // Nothing more to read: the page was not full.
      expect(history.calls).toEqual(['readAfter(t, 1-0, 3)']);
      publish(ev('t', 4));
      expect(s.frames().at(-1)).toBe('t:4 t=4-0');
      s.subscription.unsubscribe();
      expectNothingLeft(s);
    });

    it('jitters the retry within ±20%, so that clients dropped together spread out', async () => {
      const retries: unknown[] = [];
      for (const random of [0, 0.999]) {
        jest.spyOn(Math, 'random').mockReturnValue(random);
        const s = resume(['t'], 't=1-0');
        transport.subscribed('t');
        history.answer();
        await settled();
        retries.push(s.messages[0].retry);
        s.subscription.unsubscribe();
      }
      expect(retries).toEqual([800, 1200]);
    });

    it('starts from the head without a cursor: what was held before it is not sent', async () => {
      const s = resume(['t']);
      transport.subscribed('t');
      expect(history.calls).toEqual(['head(t)']);
      publish(ev('t', 5));
      history.answer(); // head 5-0, read now
      publish(ev('t', 6));
      await settled();
      expect(s.frames()).toEqual(['open t=5-0', 't:6 t=6-0']);
    });

    it('starts the topics a cursor does not name from their head, the others from the cursor', async () => {
      history.store(ev('a', 2), ev('b', 3));
      const s = resume(['a', 'b'], 'a=1-0');
      transport.subscribed('a');
      transport.subscribed('b');
      expect(history.calls).toEqual(['readAfter(a, 1-0, 2)', 'head(b)']);
      history.answer('b');
      history.answer('a');
      await settled();
      expect(s.frames()).toEqual(['open a=1-0,b=3-0', 'a:2 a=2-0,b=3-0']);
    });

    it('resets every topic of a malformed cursor and starts them from their heads', async () => {
      history.store(ev('a', 2));
      const s = resume(['a', 'b'], 'not a cursor');
      transport.subscribed('a');
      transport.subscribed('b');
      expect(history.calls).toEqual(['head(a)', 'head(b)']);
      history.answer();
      history.answer();
      await settled();
      expect(s.frames()).toEqual(['open a=2-0,b=0-0', 'reset malformed-cursor a+b a=2-0,b=0-0']);
    });

    it('resets a topic whose position is trimmed or unknown, from its head, and replays the others', async () => {
      history.store(ev('a', 5), ev('a', 6), ev('b', 2), ev('c', 4));
      history.trim('a', '4-0');
      const s = await joined(['a', 'b', 'c'], 'a=2-0,b=1-0,c=9-0', { pageSize: 6 });
      expect(s.frames()).toEqual([
        'open a=6-0,b=1-0,c=4-0',
        'reset trimmed a a=6-0,b=1-0,c=4-0',
        'reset unknown-position c a=6-0,b=1-0,c=4-0',
        'b:2 a=6-0,b=2-0,c=4-0',
      ]);
    });

    it('fails the stream, having sent nothing, when a first read fails', async () => {
      const s = resume(['t'], 't=1-0');
      transport.subscribed('t');
      const err = new Error('history down');
      history.reject('t', err);
      await settled();
      expect(s.error).toBe(err);
      expect(s.frames()).toEqual([]);
      expectNothingLeft(s);
    });

    it('joins a topic that lost and regained its subscription while another was subscribing', async () => {
      history.store(ev('a', 2), ev('b', 3));
      const s = resume(['a', 'b'], 'a=1-0,b=1-0');
      transport.subscribed('a');
      transport.unsubscribed('a');
      transport.subscribed('a');
      expect(history.calls).toEqual([]);
      transport.subscribed('b');
      history.answer();
      history.answer();
      await settled();
      expect(s.frames()).toEqual(['open a=1-0,b=1-0', 'a:2 a=2-0,b=1-0', 'b:3 a=2-0,b=3-0']);
      publish(ev('a', 4));
      expect(s.frames().at(-1)).toBe('a:4 a=4-0,b=3-0');
    });

    it('sends nothing for a join whose reads answer after the subscriber left', async () => {
      history.store(ev('t', 2));
      const s = resume(['t'], 't=1-0');
      transport.subscribed('t');
      s.subscription.unsubscribe();
      expectNothingLeft(s);
      history.answer();
      await settled();
      expect(s.frames()).toEqual([]);
    });
  });

  describe('replaying', () => {
    /** Stores t:2..t:last, resumes from t=1-0 and answers the join: the first page is out. */
    async function replayFrom1(last: number, options: ResumeOptions = {}) {
      for (let n = 2; n <= last; n++) {
        history.store(ev('t', n));
      }
      return joined(['t'], 't=1-0', options);
    }

    it('holds live events that arrive during a page read, and sends each event once', async () => {
      const s = await replayFrom1(7);
      expect(s.frames()).toEqual(['open t=1-0', 't:2 t=2-0', 't:3 t=3-0', 't:4 t=4-0']);
      expect(history.waiting).toEqual(['readAfter(t, 4-0, 3)']);
      // The live copies of what the read will answer arrive first: held.
      transport.live(ev('t', 5), ev('t', 6));
      expect(s.frames()).toHaveLength(4);
      history.answer();
      // Stored after the read, live before the page is sent: only the hold has it.
      publish(ev('t', 8));
      await settled();
      expect(s.frames().slice(4)).toEqual(['t:5 t=5-0', 't:6 t=6-0', 't:7 t=7-0', 't:8 t=8-0']);
      publish(ev('t', 9));
      expect(s.frames().at(-1)).toBe('t:9 t=9-0');
      expect(history.calls).toHaveLength(2);
    });

    it('drops live events that trail the history read which had them, up to the first newer one', async () => {
      const s = await replayFrom1(3);
      expect(s.frames()).toEqual(['open t=1-0', 't:2 t=2-0', 't:3 t=3-0']);
      // Redis answered the read on one connection before the subscription (another) had these.
      transport.live(ev('t', 2), ev('t', 3));
      publish(ev('t', 4));
      publish(ev('t', 5));
      expect(s.frames().slice(3)).toEqual(['t:4 t=4-0', 't:5 t=5-0']);
    });

    it('resets to the head when history is trimmed between two pages, and goes on from there', async () => {
      const s = await replayFrom1(8);
      history.trim('t', '6-0');
      history.answer();
      await settled();
      expect(s.frames()).toEqual([
        'open t=1-0',
        't:2 t=2-0',
        't:3 t=3-0',
        't:4 t=4-0',
        'reset trimmed t t=8-0',
      ]);
      publish(ev('t', 9));
      expect(s.frames().at(-1)).toBe('t:9 t=9-0');
    });

    it('holds live events while history fails, and reads again after catchUpRetryMs', async () => {
      const s = await replayFrom1(6);
      history.reject();
      await settled();
      expect(jest.getTimerCount()).toBe(1);
      publish(ev('t', 7));
      jest.advanceTimersByTime(RETRY_MS - 1);
      await settled();
      expect(history.calls).toHaveLength(2);
      jest.advanceTimersByTime(1);
      await settled();
      expect(history.waiting).toEqual(['readAfter(t, 4-0, 3)']);
      history.answer();
      await settled();
      expect(s.frames().slice(4)).toEqual(['t:5 t=5-0', 't:6 t=6-0', 't:7 t=7-0']);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('reads from history what overflowed the hold (more than a page of live events)', async () => {
      const s = await replayFrom1(7);
      transport.live(ev('t', 5), ev('t', 6), ev('t', 7));
      publish(ev('t', 8)); // a fourth held: the hold is dropped
      // The read went out before 8 was stored: its page says there is no more.
      history.answerWith({
        events: [ev('t', 5), ev('t', 6), ev('t', 7)],
        more: false,
        head: '7-0',
      });
      await settled();
      expect(history.waiting).toEqual(['readAfter(t, 7-0, 3)']);
      history.answer();
      await settled();
      expect(
        s
          .frames()
          .slice(1)
          .map((f) => f.split(':')[1].split(' ')[0]),
      ).toEqual(['2', '3', '4', '5', '6', '7', '8']);
    });

    it('reads the next page only once the writer has room, and writes each page inside page()', async () => {
      const s = await replayFrom1(8, { pageSize: 2, paced: true });
      expect(s.frames()).toEqual(['open t=1-0', 't:2 t=2-0', 't:3 t=3-0']);
      expect(s.writer.waiting).toBe(true);
      await settled();
      expect(history.calls).toHaveLength(1);
      for (let page = 0; page < 3; page++) {
        s.writer.giveRoom();
        await settled();
        expect(history.calls).toHaveLength(page + 2);
        history.answer();
        await settled();
      }
      expect(s.frames()).toHaveLength(8);
      expect(s.writer.pages).toEqual([2, 2, 2, 1]);
      expect(s.writer.waiting).toBe(false);
    });

    it('merges the pages of several topics by id, each from its own position', async () => {
      history.store(ev('a', 2), ev('b', 3), ev('a', 4), ev('b', 5), ev('a', 6), ev('b', 7));
      const s = resume(['a', 'b'], 'a=1-0,b=3-0', { pageSize: 4 });
      transport.subscribed('a');
      transport.subscribed('b');
      history.answer('a'); // 2, 4 and more
      history.answer('b'); // 5, 7
      await settled();
      // b's 5 waits: a's next page may hold something older.
      expect(s.frames()).toEqual(['open a=1-0,b=3-0', 'a:2 a=2-0,b=3-0', 'a:4 a=4-0,b=3-0']);
      expect(history.waiting).toEqual(['readAfter(a, 4-0, 2)']);
      history.answer();
      await settled();
      expect(s.frames().slice(3)).toEqual([
        'b:5 a=4-0,b=5-0',
        'a:6 a=6-0,b=5-0',
        'b:7 a=6-0,b=7-0',
      ]);
      publish(ev('a', 8));
      expect(s.frames().at(-1)).toBe('a:8 a=8-0,b=7-0');
    });

    it('holds a caught-up topic until every topic is, then sends the held in id order', async () => {
      history.store(ev('a', 2), ev('b', 3), ev('b', 4), ev('b', 5));
      const s = resume(['a', 'b'], 'a=1-0,b=1-0', { pageSize: 4 });
      transport.subscribed('a');
      transport.subscribed('b');
      history.answer('a');
      history.answer('b');
      await settled();
      expect(s.frames().slice(1)).toEqual([
        'a:2 a=2-0,b=1-0',
        'b:3 a=2-0,b=3-0',
        'b:4 a=2-0,b=4-0',
      ]);
      publish(ev('b', 6));
      publish(ev('a', 7));
      history.answer('b');
      await settled();
      expect(s.frames().slice(4)).toEqual([
        'b:5 a=2-0,b=5-0',
        'b:6 a=2-0,b=6-0',
        'a:7 a=7-0,b=6-0',
      ]);
    });
  });

  describe('losing the subscription', () => {
    it('holds while unsubscribed, then reads what was missed from history, then goes live', async () => {
      history.store(ev('t', 2));
      const s = await joined(['t'], 't=1-0');
      transport.unsubscribed('t');
      history.store(ev('t', 3), ev('t', 4)); // published while the subscription was down
      transport.live(ev('t', 2)); // in flight when it went down: held, not sent
      expect(s.frames()).toEqual(['open t=1-0', 't:2 t=2-0']);
      transport.subscribed('t');
      await settled();
      expect(history.waiting).toEqual(['readAfter(t, 2-0, 3)']);
      publish(ev('t', 5));
      history.answer();
      await settled();
      expect(s.frames().slice(2)).toEqual(['t:3 t=3-0', 't:4 t=4-0', 't:5 t=5-0']);
      publish(ev('t', 6));
      expect(s.frames().at(-1)).toBe('t:6 t=6-0');
    });

    it('finishes a replay that lost its subscription, then waits for it before going live', async () => {
      history.store(ev('t', 2), ev('t', 3), ev('t', 4), ev('t', 5));
      const s = await joined(['t'], 't=1-0');
      transport.unsubscribed('t');
      history.answer();
      await settled();
      expect(s.frames().slice(1)).toHaveLength(4);
      history.store(ev('t', 6));
      transport.live(ev('t', 6)); // not live yet: held
      expect(s.frames()).toHaveLength(5);
      transport.subscribed('t');
      await settled();
      expect(history.waiting).toEqual(['readAfter(t, 5-0, 3)']);
      history.answer();
      await settled();
      expect(s.frames().at(-1)).toBe('t:6 t=6-0');
      expect(s.frames()).toHaveLength(6);
    });

    it('reads once more when the subscription came back during a read', async () => {
      history.store(ev('t', 2), ev('t', 3), ev('t', 4), ev('t', 5));
      const s = await joined(['t'], 't=1-0');
      transport.unsubscribed('t');
      history.store(ev('t', 6)); // missed while down
      transport.subscribed('t');
      // The read predates 6, and says there is nothing after 5.
      history.answerWith({ events: [ev('t', 5)], more: false, head: '5-0' });
      await settled();
      expect(history.waiting).toEqual(['readAfter(t, 5-0, 3)']);
      history.answer();
      await settled();
      expect(s.frames().slice(4)).toEqual(['t:5 t=5-0', 't:6 t=6-0']);
    });

    it('catches up a topic whose subscription was down at the join', async () => {
      history.store(ev('a', 2), ev('b', 3));
      const s = resume(['a', 'b'], 'a=1-0,b=1-0');
      transport.subscribed('a');
      transport.subscribed('b');
      transport.unsubscribed('a');
      history.answer();
      history.answer();
      await settled();
      history.store(ev('a', 4));
      transport.subscribed('a');
      await settled();
      expect(history.waiting).toEqual(['readAfter(a, 2-0, 3)']);
      history.answer();
      await settled();
      expect(s.frames().slice(1)).toEqual([
        'a:2 a=2-0,b=1-0',
        'b:3 a=2-0,b=3-0',
        'a:4 a=4-0,b=3-0',
      ]);
    });
  });

  describe('live events written directly', () => {
    it('hands a one-topic stream to the writer after its first newer live event, and takes it back', async () => {
      history.store(ev('t', 2));
      const s = await joined(['t'], 't=1-0', { direct: true });
      publish(ev('t', 3));
      publish(ev('t', 4));
      // The channel writes at the end of the turn what it takes directly.
      await settled();
      expect(s.frames()).toEqual(['open t=1-0', 't:2 t=2-0', 't:3 t=3-0']);
      expect(s.shared).toEqual(['t=4-0']);
      expect(s.control?.cursor()).toBe('t=4-0');
      // Lost: the stream takes the position the channel reached and reads from it when back.
      transport.unsubscribed('t');
      history.store(ev('t', 5));
      transport.subscribed('t');
      s.writer.giveRoom();
      await settled();
      expect(history.waiting).toEqual(['readAfter(t, 4-0, 3)']);
      history.answer();
      await settled();
      expect(s.frames().at(-1)).toBe('t:5 t=5-0');
    });

    it('keeps a stream of several topics off the direct path', async () => {
      const s = await joined(['a', 'b'], 'a=0-0,b=0-0', { direct: true });
      publish(ev('a', 1));
      publish(ev('a', 2));
      expect(s.shared).toEqual([]);
      expect(s.frames().slice(1)).toEqual(['a:1 a=1-0,b=0-0', 'a:2 a=2-0,b=0-0']);
    });
  });

  describe('heartbeat', () => {
    it('sends a comment on a tick only when nothing was sent since the last one, once open', async () => {
      history.store(ev('t', 1));
      const s = resume(['t'], 't=1-0');
      s.heartbeat.next();
      transport.subscribed('t');
      history.answer();
      await settled();
      s.heartbeat.next(); // the opening went out in this period
      expect(s.frames()).toEqual(['open t=1-0']);
      s.heartbeat.next();
      expect(s.frames()).toEqual(['open t=1-0', ':']);
      publish(ev('t', 2));
      s.heartbeat.next();
      s.heartbeat.next();
      expect(s.frames()).toEqual(['open t=1-0', ':', 't:2 t=2-0', ':']);
    });

    it('counts what the writer wrote directly as sent', async () => {
      history.store(ev('t', 1));
      const s = await joined(['t'], 't=1-0', { direct: true });
      publish(ev('t', 2));
      s.heartbeat.next();
      publish(ev('t', 3)); // written directly, at the end of the turn
      await settled();
      s.heartbeat.next();
      expect(s.frames()).toEqual(['open t=1-0', 't:2 t=2-0']);
      expect(s.shared).toEqual(['t=3-0']);
      s.heartbeat.next();
      expect(s.frames().at(-1)).toBe(':');
    });
  });

  describe('ending', () => {
    it('completes when the transport ends a topic, failing when it fails, and keeps nothing', async () => {
      const ended = resume(['a', 'b'], 'a=0-0,b=0-0');
      transport.end('b');
      expect(ended.completed).toBe(true);
      expectNothingLeft(ended);

      const err = new Error('gone');
      const failed = resume(['t'], 't=0-0');
      transport.subscribed('t');
      history.answer();
      await settled();
      transport.fail('t', err);
      expect(failed.error).toBe(err);
      expectNothingLeft(failed);
    });

    /** Each state of the machine, reached; the subscriber then leaves. */
    const states: [string, (s: ReturnType<typeof resume>) => Promise<void>][] = [
      ['subscribing', async () => undefined],
      [
        'joining',
        async () => {
          transport.subscribed('t');
        },
      ],
      [
        'reading a page',
        async () => {
          transport.subscribed('t');
          history.answer();
          await settled();
        },
      ],
      [
        'waiting for room',
        async (s) => {
          transport.subscribed('t');
          history.answer();
          await settled();
          expect(s.writer.waiting).toBe(true);
        },
      ],
      [
        'waiting to read again',
        async () => {
          transport.subscribed('t');
          history.answer();
          await settled();
          history.reject();
          await settled();
          expect(jest.getTimerCount()).toBe(1);
        },
      ],
      [
        'live',
        async () => {
          transport.subscribed('t');
          history.answer();
          await settled();
          history.answer();
          await settled();
          history.answer();
          await settled();
        },
      ],
      [
        'unsubscribed',
        async () => {
          transport.subscribed('t');
          history.answer();
          await settled();
          transport.unsubscribed('t');
        },
      ],
    ];

    it.each(states)(
      'leaves nothing behind when the subscriber leaves while %s',
      async (name, reach) => {
        for (let n = 2; n <= 8; n++) {
          history.store(ev('t', n));
        }
        const s = resume(['t'], 't=1-0', { paced: name === 'waiting for room' });
        await reach(s);
        const sent = s.frames().length;
        const calls = history.calls.length;
        s.subscription.unsubscribe();
        expectNothingLeft(s);
        // Whatever was pending now comes to nothing.
        while (history.pending.length > 0) {
          history.answer();
        }
        s.writer.giveRoom();
        publish(ev('t', 9));
        s.heartbeat.next();
        s.heartbeat.next();
        await settled();
        expect(s.frames()).toHaveLength(sent);
        expect(history.calls).toHaveLength(calls);
      },
    );
  });

  describe('any interleaving', () => {
    type Action =
      | { kind: 'publish' | 'deliver' | 'drop' | 'back'; topic: number }
      | { kind: 'answer' | 'answerEarly' | 'fail'; pick: number }
      | { kind: 'room' | 'retry' };

    const action = (topics: number): fc.Arbitrary<Action> => {
      const topic = fc.nat(topics - 1);
      const pick = fc.nat();
      return fc.oneof(
        fc.record({ kind: fc.constantFrom('publish' as const, 'deliver' as const), topic }),
        fc.record({ kind: fc.constantFrom('drop' as const, 'back' as const), topic }),
        fc.record({
          kind: fc.constantFrom('answer' as const, 'answerEarly' as const, 'fail' as const),
          pick,
        }),
        fc.record({ kind: fc.constantFrom('room' as const, 'retry' as const) }),
      );
    };

    const scenario = fc
      .record({
        topics: fc.integer({ min: 1, max: 3 }),
        pageSize: fc.integer({ min: 1, max: 4 }),
        direct: fc.boolean(),
        stored: fc.nat(12),
        // Where each topic's cursor points among its events stored before: -1 for no cursor.
        cursors: fc.array(fc.integer({ min: -1, max: 6 }), { minLength: 3, maxLength: 3 }),
      })
      .chain((setup) =>
        fc.record({
          setup: fc.constant(setup),
          actions: fc.array(action(setup.topics), { minLength: 10, maxLength: 80, size: 'max' }),
        }),
      );

    type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

    /**
     * The transport as a model: a topic's subscription is up or down; an event published while
     * it is up is in flight until delivered (in order), and lost with the subscription.
     */
    async function run({ setup, actions }: Scenario) {
      transport = new ScriptedTransport();
      history = new ScriptedHistory();
      const names = ['a', 'b', 'c'].slice(0, setup.topics);
      const up = new Set<string>();
      const inFlight = new Map<string, TopicEvent[]>(names.map((topic) => [topic, []]));
      let last = 0;
      const stored: TopicEvent[] = [];
      const publishTo = (topic: string) => {
        const event = ev(topic, ++last);
        stored.push(event);
        history.store(event);
        if (up.has(topic)) {
          inFlight.get(topic)!.push(event);
        }
      };
      for (let i = 0; i < setup.stored; i++) {
        publishTo(names[i % names.length]);
      }
      const cursor = names
        .map((topic, i) => {
          const ids = stored.filter((e) => e.topic === topic).map((e) => e.id);
          const at = setup.cursors[i];
          return at < 0 ? '' : `${topic}=${ids[at] ?? '0-0'}`;
        })
        .filter(Boolean)
        .join(',');
      const s = resume(names, cursor || undefined, {
        pageSize: setup.pageSize,
        paced: true,
        direct: setup.direct,
      });
      const opened = () => s.messages.length > 0;
      const perform = (a: Action) => {
        const topic = 'topic' in a ? names[a.topic] : '';
        switch (a.kind) {
          case 'publish':
            return publishTo(topic);
          case 'deliver': {
            const next = inFlight.get(topic)!.shift();
            return next && transport.live(next);
          }
          case 'drop':
            if (up.delete(topic)) {
              inFlight.set(topic, []);
              transport.unsubscribed(topic);
            }
            return;
          case 'back':
            if (!up.has(topic)) {
              up.add(topic);
              transport.subscribed(topic);
            }
            return;
          case 'answer':
            return history.pending.length > 0 && history.answer(a.pick % history.pending.length);
          case 'answerEarly':
            return (
              history.pending.length > 0 && history.answerEarly(a.pick % history.pending.length)
            );
          case 'fail':
            // A failed first read fails the stream (a 503 before it opens): only replays retry.
            return (
              opened() &&
              history.pending.length > 0 &&
              history.reject(a.pick % history.pending.length)
            );
          case 'room':
            return s.writer.giveRoom();
          case 'retry':
            return jest.advanceTimersByTime(RETRY_MS);
        }
      };
      for (const a of actions) {
        perform(a);
        await settled();
      }
      // Then everything comes back and through, until the stream has nothing left to do.
      for (let round = 0; round < 100; round++) {
        for (const topic of names) {
          perform({ kind: 'back', topic: names.indexOf(topic) });
          for (const event of inFlight.get(topic)!.splice(0)) {
            transport.live(event);
          }
        }
        while (history.pending.length > 0) {
          history.answer(0);
        }
        s.writer.giveRoom();
        jest.advanceTimersByTime(RETRY_MS);
        await settled();
        if (history.pending.length === 0 && !s.writer.waiting && jest.getTimerCount() === 0) {
          break;
        }
      }
      return { s, names, stored };
    }

    it('sends every event after the cursor exactly once, in id order per topic', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (generated) => {
          const { s, names, stored } = await run(generated);
          expect(s.error).toBeUndefined();
          expect(history.pending).toEqual([]);
          const start = parseCursor(s.messages[0].id!);
          if (!start.ok) {
            throw new Error(`opening cursor ${s.messages[0].id}`);
          }
          expect(s.frames().filter((f) => f.startsWith('reset'))).toEqual([]);
          for (const topic of names) {
            const from = start.cursor.get(topic)!;
            expect(s.delivered.filter((d) => d.startsWith(`${topic}@`))).toEqual(
              stored
                .filter((e) => e.topic === topic && compareEventIds(e.id, from) > 0)
                .map((e) => `${topic}@${e.id}`),
            );
          }
          s.subscription.unsubscribe();
          expectNothingLeft(s);
        }),
        { numRuns: 300 },
      );
    });
  });
});

describe('resumableStream replay', () => {
  const PAGE = 3;
  let history: MemoryHistory;
  let transport: MemoryTransport;

  const publish = async (topic: string, n: number) =>
    transport.publish(topic, { data: JSON.stringify(n) });

  /** A resume of `topics` from `cursor`, written through a PacedWriter. */
  const resume = (topics: string[], cursor: string) => {
    const writer = new PacedWriter();
    const messages: MessageEvent[] = [];
    const subscription = resumableStream(
      {
        channels: new TopicChannels(transport),
        history,
        retryMs: 1000,
        pageSize: PAGE,
        heartbeat$: NEVER,
      },
      topics,
      parseCursor(cursor),
    ).subscribe((message) => {
      streamControlOf(message)?.attach(writer);
      messages.push(message);
      writer.wrote();
    });
    const data = () =>
      messages
        .filter((m) => m.data !== undefined)
        .map((m) => JSON.parse(m.data as string) as number);
    return { writer, messages, data, subscription };
  };

  beforeEach(() => {
    history = new MemoryHistory(1000);
    transport = new MemoryTransport(history);
  });

  it('sends a page, then the next only once the writer has room', async () => {
    const start = await history.head('t');
    for (let i = 0; i < 10; i++) {
      await publish('t', i);
    }
    const { writer, data, subscription } = resume(['t'], `t=${start}`);
    await settled();
    expect(data()).toEqual([0, 1, 2]);
    expect(writer.waiting).toBe(true);
    writer.giveRoom();
    await settled();
    expect(data()).toEqual([0, 1, 2, 3, 4, 5]);
    writer.giveRoom();
    await settled();
    writer.giveRoom();
    await settled();
    writer.giveRoom();
    await settled();
    expect(data()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Every page was at most PAGE events, each written inside page().
    expect(Math.max(...writer.pages)).toBeLessThanOrEqual(PAGE);
    // Live once history is out.
    await publish('t', 10);
    expect(data().at(-1)).toBe(10);
    subscription.unsubscribe();
  });

  it('reads from history instead of holding more than a page of live events', async () => {
    const start = await history.head('t');
    for (let i = 0; i < 5; i++) {
      await publish('t', i);
    }
    const { writer, data, subscription } = resume(['t'], `t=${start}`);
    await settled();
    expect(data()).toEqual([0, 1, 2]);
    // The client does not read while twenty more are published.
    for (let i = 5; i < 25; i++) {
      await publish('t', i);
    }
    for (let round = 0; round < 20 && writer.waiting; round++) {
      writer.giveRoom();
      await settled();
    }
    expect(data()).toEqual(Array.from({ length: 25 }, (_, i) => i));
    await publish('t', 25);
    expect(data().at(-1)).toBe(25);
    subscription.unsubscribe();
  });

  it('stops paging when the subscriber leaves mid-replay', async () => {
    const start = await history.head('t');
    for (let i = 0; i < 10; i++) {
      await publish('t', i);
    }
    const { writer, data, subscription } = resume(['t'], `t=${start}`);
    await settled();
    subscription.unsubscribe();
    writer.giveRoom();
    await settled();
    expect(data()).toEqual([0, 1, 2]);
    expect(writer.waits).toBe(1);
  });
});
