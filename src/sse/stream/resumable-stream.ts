import type { MessageEvent } from '@nestjs/common';
import { Observable, type Subscriber, type Subscription } from 'rxjs';
import type { History, HistoryRead } from '../history/history.interface.js';
import type { TopicEvent } from '../topic-event.interface.js';
import type { TopicChannels } from '../fanout/topic-channels.js';
import type { ChannelMember, TopicMembership } from '../fanout/topic-membership.js';
import {
  SUBSCRIBED,
  UNSUBSCRIBED,
  type TransportSignal,
} from '../transport/transport.interface.js';
import type { CursorParse } from '../wire/cursor.js';
import { compareEventIds } from '../wire/event-id.js';
import type { FrameCache } from '../fanout/frame-cache.js';
import {
  HEARTBEAT,
  openingMessage,
  resetMessage,
  sharedTopicMessage,
  topicMessage,
  type ResetReason,
} from '../wire/message-event.js';
import type { Heartbeat, Ticking } from './heartbeat.js';
import {
  withStreamControl,
  type DirectSink,
  type StreamControl,
  type StreamExpiry,
  type StreamHolder,
  type StreamWriter,
} from './stream-control.js';

export interface ResumableStreamDeps {
  channels: TopicChannels;
  history: History;
  retryMs: number;
  /** Events read from history at once, and written at once: one page of a replay. */
  pageSize: number;
  /**
   * The encoded frames of recent events: a one-topic stream held by its writer is sent its replay
   * as these shared bytes. Without it, every message is encoded by the writer.
   */
  frames?: FrameCache;
  /** How long a replay waits before reading history again after a failed read. */
  catchUpRetryMs?: number;
  /**
   * Ticks every heartbeat period for every stream (the hub's one timer); a connection that sent
   * nothing since the last tick sends a comment.
   */
  heartbeat?: Heartbeat;
  /** The same ticks as an Observable, subscribed by each stream: for a caller without a Heartbeat. */
  heartbeat$?: Observable<unknown>;
  /**
   * Whether the writer that sends the stream may take its live events directly (StreamControl):
   * asked at the opening, for a stream given no route (see StreamRoute).
   */
  directAllowed?: () => boolean;
  /** Told as each stream starts and ends: the hub counts its streams and ends them at shutdown. */
  registry?: StreamRegistry;
  /** A handed-over stream failed (its transport, a replay): it ends as any other, this says why. */
  failed?: (topics: readonly string[], err: unknown) => void;
}

/** What the route that returned the stream allows its writer (see HubStream), read at the opening. */
export interface StreamRoute {
  /** A one-topic stream's live events may go to the writer directly (DirectSink). */
  readonly fastPathAllowed: boolean;
  /** The writer may hold the whole stream and leave the Observable (StreamControl.handOver). */
  readonly handOverAllowed: boolean;
  /** The stream ends itself then (StreamControl.endAt), as if asked at its opening. */
  readonly expiry?: StreamExpiry;
}

/** An open stream, as the hub sees it. */
export interface OpenStream {
  readonly topics: readonly string[];
  /** Ends the stream cleanly, so that its client reconnects (the drain at shutdown). */
  complete(): void;
}

export interface StreamRegistry {
  opened(stream: OpenStream): void;
  closed(stream: OpenStream): void;
}

/**
 * One connection's stream of several topics, resumed from a cursor with no gap and no duplicate:
 * subscribe live first and hold what arrives, read history after the cursor, send history, then the
 * held events newer than it, then live. When the transport loses its subscription, the topic holds
 * again and, once resubscribed, reads what it missed from history the same way. The `id` of every
 * event is the connection's whole cursor.
 *
 * History is replayed a page at a time, at the pace of the client: the next page is read and sent
 * once Ripple's writer has room for it (StreamPacer), so a resume never holds all it replays.
 * Several topics are replayed merged by id, in the order the live stream would have had them.
 *
 * `route` says what the writer may do at the opening; without one, `deps.directAllowed` is asked.
 */
export function resumableStream(
  deps: ResumableStreamDeps,
  topics: readonly string[],
  start: CursorParse | undefined,
  route?: StreamRoute,
): Observable<MessageEvent> {
  return new Observable<MessageEvent>((subscriber) => {
    const stream = new ResumableStream(deps, topics, start, subscriber, route);
    stream.begin();
    return () => stream.unsubscribed();
  });
}

/**
 * No events: what a topic holds and has read while it holds and reads none, shared by every
 * topic of every stream (an idle stream keeps no arrays of its own). Frozen: never pushed to.
 */
const NO_EVENTS = Object.freeze([]) as unknown as TopicEvent[];

/**
 * Where one topic of a connection stands. Live events pass straight through only in `live`; in
 * every other state they are held, and sent after history once it has been read. It is the
 * connection's member of the topic's channel.
 */
class TopicJoin implements ChannelMember {
  state: 'subscribing' | 'reading' | 'live' = 'subscribing';
  /** Live events held while not `live`, at most a page of them (past it, history is read again). */
  held: TopicEvent[] = NO_EVENTS;
  /** The id of the last event delivered (or the starting position). */
  last = '';
  /** Events read from history and not sent yet: the replay merges topics' pages by id. */
  page: TopicEvent[] = NO_EVENTS;
  /** The next event of `page` to send. */
  next = 0;
  /**
   * History must be read after `last` once `page` is sent: the page was full, or the
   * subscription came back meanwhile, or live events overflowed the hold.
   */
  more = false;
  /** Set once a live event newer than everything from history passed: order is the transport's. */
  inOrder = false;
  /** The first SUBSCRIBED came (the connection's join counts each topic once). */
  subscribed = false;
  /** The transport's subscription is in place now (between UNSUBSCRIBED and SUBSCRIBED it is not). */
  connected = false;
  /** Set once joined to the topic's channel. */
  membership: TopicMembership | undefined = undefined;

  constructor(
    readonly topic: string,
    private readonly stream: ResumableStream,
  ) {}

  signal(signal: TransportSignal): void {
    this.stream.onSignal(this, signal);
  }

  fail(err: unknown): void {
    this.stream.fail(err);
  }

  end(): void {
    this.stream.complete();
  }
}

/** A topic of a replay whose page is sent and whose history is not: it must be read first. */
const needsRead = (j: TopicJoin): boolean => j.next >= j.page.length && j.more;
/** A topic of a replay with nothing left to send from history. */
const exhausted = (j: TopicJoin): boolean => j.next >= j.page.length && !j.more;

/** setTimeout's longest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The state of one connection's stream, kept small and in one place: a stream that is open and
 * idle holds this object, its topics' joins and its places in their channels, and nothing else
 * (no closure, no subscription of its own). Until the writer holds it (handOver), it talks to
 * the Observable's subscriber; after, to the writer alone.
 */
class ResumableStream implements OpenStream, StreamControl, Ticking {
  private readonly joins: TopicJoin[];
  private readonly single: boolean;
  private readonly pageSize: number;
  private waitingForFirstSubscribe: number;
  private sentSinceTick = false;
  private open = false;
  private replaying = false;
  /** Over: left its channels and the heartbeat; nothing more is sent. */
  private ended = false;
  /** Ripple's writer, once attached: the replay waits on it for room. */
  private writer: StreamWriter | undefined = undefined;
  /** The same writer when it takes live events directly (one-topic streams only). */
  private sink: DirectSink | undefined = undefined;
  /** The writer, once it holds the whole stream: the subscriber is let go then. */
  private holder: StreamHolder | undefined = undefined;
  /** Whether the route allows the fast path and the hand-over; known at the opening. */
  private direct = false;
  private handOverAllowed = false;
  private retryTimer: NodeJS.Timeout | undefined = undefined;
  private expiry: NodeJS.Timeout | undefined = undefined;
  private ticks: Subscription | undefined = undefined;

  constructor(
    private readonly deps: ResumableStreamDeps,
    readonly topics: readonly string[],
    /** Read once, at the join. */
    private start: CursorParse | undefined,
    private subscriber: Subscriber<MessageEvent> | undefined,
    private route: StreamRoute | undefined,
  ) {
    this.joins = topics.map((topic) => new TopicJoin(topic, this));
    this.single = this.joins.length === 1;
    this.pageSize = Math.max(1, deps.pageSize);
    this.waitingForFirstSubscribe = this.joins.length;
  }

  /** Joins the topics' channels (which answer SUBSCRIBED, then the join reads history). */
  begin(): void {
    this.deps.registry?.opened(this);
    for (const j of this.joins) {
      // A channel may fail or end the stream as it is joined (its transport refusing at once).
      if (this.ended) {
        return;
      }
      const membership = this.deps.channels.join(j.topic, j);
      if (this.ended) {
        membership.leave();
        return;
      }
      j.membership = membership;
    }
    if (this.deps.heartbeat) {
      this.deps.heartbeat.add(this);
    } else if (this.deps.heartbeat$) {
      this.ticks = this.deps.heartbeat$.subscribe(() => this.tick());
    }
  }

  /** The Observable's subscriber left: the stream ends with it, unless the writer holds it. */
  unsubscribed(): void {
    if (!this.holder) {
      this.close();
    }
  }

  attach(writer: StreamWriter): void {
    this.writer = writer;
    this.sink = this.direct ? writer : undefined;
  }

  handOver(holder: StreamHolder): boolean {
    this.attach(holder);
    if (!this.handOverAllowed || this.ended) {
      return false;
    }
    this.holder = holder;
    this.subscriber = undefined;
    return true;
  }

  cursor(): string {
    return this.cursorOf(true);
  }

  endAt(at: number, last: (cursor: string) => MessageEvent, onEnd?: () => void): void {
    if (this.ended) {
      return;
    }
    clearTimeout(this.expiry);
    this.expiry = setTimeout(
      expire,
      Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())),
      this,
      at,
      last,
      onEnd,
    );
  }

  /** Called by `expire` (below) when the expiry's time has come. */
  expired(last: (cursor: string) => MessageEvent, onEnd?: () => void): void {
    if (this.ended) {
      return;
    }
    onEnd?.();
    this.send(last(this.cursor()));
    this.complete();
  }

  /** Ends the stream cleanly: its writer finishes what it wrote and its client reconnects. */
  complete(): void {
    if (this.ended) {
      return;
    }
    const holder = this.holder;
    const subscriber = this.subscriber;
    this.close();
    if (holder) {
      holder.end();
    } else {
      subscriber?.complete();
    }
  }

  /** The stream cannot go on (its transport failed, a replay broke). */
  fail(err: unknown): void {
    if (this.ended) {
      return;
    }
    if (this.holder) {
      // As the hub does for a stream it still sends through the Observable: say why, end cleanly.
      this.deps.failed?.(this.topics, err);
      this.complete();
      return;
    }
    const subscriber = this.subscriber;
    this.close();
    subscriber?.error(err);
  }

  /** Leaves the channels and the heartbeat, once; the holder calls it when its client is gone. */
  close(): void {
    if (this.ended) {
      return;
    }
    this.ended = true;
    for (const j of this.joins) {
      j.membership?.leave();
    }
    this.deps.heartbeat?.delete(this);
    this.ticks?.unsubscribe();
    clearTimeout(this.retryTimer);
    clearTimeout(this.expiry);
    this.deps.registry?.closed(this);
  }

  tick(): void {
    // Both asked, so that both forget what they wrote before this tick.
    const wrote = this.sink?.takeWrote() ?? false;
    if (this.open && !this.sentSinceTick && !wrote) {
      this.output(HEARTBEAT);
    }
    this.sentSinceTick = false;
  }

  onSignal(j: TopicJoin, signal: TransportSignal): void {
    if (this.ended) {
      return;
    }
    if (signal === SUBSCRIBED) {
      j.connected = true;
      if (!j.subscribed) {
        j.subscribed = true;
        if (--this.waitingForFirstSubscribe === 0) {
          this.join().catch((err: unknown) => this.fail(err));
        }
      } else if (j.state === 'subscribing' && this.open) {
        this.catchUp(j);
      } else if (j.state === 'reading') {
        // The read may predate what was published while the subscription was down.
        j.more = true;
      }
    } else if (signal === UNSUBSCRIBED) {
      j.connected = false;
      this.syncDirect(j);
      if (j.state === 'live') {
        j.state = 'subscribing';
      }
    } else if (j.state !== 'live') {
      if (j.held === NO_EVENTS) {
        j.held = [signal];
      } else {
        j.held.push(signal);
      }
      if (j.held.length > this.pageSize) {
        // A replay slower than the topic: rather than hold without bound, read these from
        // history after what was sent (where they are, since an event is stored before it is
        // live). Before the join, or while unsubscribed, a read follows anyway.
        j.held = NO_EVENTS;
        if (j.state === 'reading') {
          j.more = true;
        }
      }
    } else if (j.inOrder || compareEventIds(signal.id, j.last) > 0) {
      // A live event can trail the history read that already held it (Redis answers the
      // read and the subscription on two connections); past the first newer one, none can,
      // and the channel may write the rest straight to the writer.
      j.inOrder = true;
      this.deliver(j, signal);
      if (this.sink) {
        j.membership?.goDirect(this.sink);
      }
    }
  }

  private output(message: MessageEvent): void {
    if (this.holder) {
      this.holder.send(message);
    } else {
      this.subscriber?.next(message);
    }
  }

  private send(message: MessageEvent): void {
    this.sentSinceTick = true;
    this.output(message);
  }

  private deliver(j: TopicJoin, event: TopicEvent): void {
    j.last = event.id;
    if (this.single && this.holder && this.deps.frames) {
      // Nothing between the stream and its writer looks at messages any more (handOver): the
      // frame every one-topic connection gets for this event, encoded once for all of them.
      this.sentSinceTick = true;
      this.holder.sendFrame(this.deps.frames.frameOf(event), event.topic);
      return;
    }
    this.send(this.single ? sharedTopicMessage(event) : topicMessage(event, this.cursorOf(false)));
  }

  /**
   * `topic=id` for every topic, in the topics' order: the position of the last event delivered,
   * or with `withDirect`, of the last one the channel wrote to the writer directly.
   */
  private cursorOf(withDirect: boolean): string {
    let out = '';
    for (const j of this.joins) {
      const last = (withDirect ? j.membership?.lastDirect() : undefined) ?? j.last;
      out += out.length === 0 ? `${j.topic}=${last}` : `,${j.topic}=${last}`;
    }
    return out;
  }

  /** Takes back the position of a topic whose events the channel wrote directly. */
  private syncDirect(j: TopicJoin): void {
    const last = j.membership?.leaveDirect();
    if (last !== undefined) {
      j.last = last;
    }
  }

  /** Up to a page of what was read, in id order across the topics (a k-way merge). */
  private sendPage(reading: TopicJoin[]): void {
    for (let sent = 0; sent < this.pageSize && !this.ended; sent++) {
      let first: TopicJoin | undefined;
      for (const j of reading) {
        if (needsRead(j)) {
          // Its next page may hold the smallest id: nothing more goes out before it is read.
          return;
        }
        if (
          j.next < j.page.length &&
          (!first || compareEventIds(j.page[j.next].id, first.page[first.next].id) < 0)
        ) {
          first = j;
        }
      }
      if (!first) {
        return;
      }
      this.deliver(first, first.page[first.next++]);
    }
  }

  /**
   * History has been read and sent for every topic of the replay: send the held events newer
   * than it, in id order, then go live.
   */
  private settle(reading: TopicJoin[]): void {
    const held = reading.flatMap((j) => {
      const events = j.held.map((event) => ({ j, event }));
      j.held = NO_EVENTS;
      j.page = NO_EVENTS;
      j.next = 0;
      return events;
    });
    held.sort((a, b) => compareEventIds(a.event.id, b.event.id));
    for (const { j, event } of held) {
      if (compareEventIds(event.id, j.last) > 0) {
        this.deliver(j, event);
      }
    }
    for (const j of reading) {
      j.inOrder = false;
      // Lost during the read: hold until the subscription is back, then read again.
      j.state = j.connected ? 'live' : 'subscribing';
    }
  }

  /** Sends one page (paced by the writer when there is one), and settles once all is sent. */
  private step(reading: TopicJoin[]): void {
    if (this.writer) {
      this.writer.page(() => this.sendAndSettle(reading));
    } else {
      this.sendAndSettle(reading);
    }
  }

  private sendAndSettle(reading: TopicJoin[]): void {
    this.sendPage(reading);
    if (!this.ended && reading.every(exhausted)) {
      this.settle(reading);
    }
  }

  /** Reads the next page of every topic that needs one; false when a read failed. */
  private async readPages(reading: TopicJoin[]): Promise<boolean> {
    const limit = Math.ceil(this.pageSize / reading.length);
    const results = await Promise.all(
      reading.filter(needsRead).map(async (j) => {
        // Set again while the read is out (the subscription came back): read once more after.
        j.more = false;
        try {
          const read = await this.deps.history.readAfter(j.topic, j.last, limit);
          if (this.ended) {
            return true;
          }
          if (read.gap) {
            // Trimmed while the replay paged (or never there): start over from the head.
            j.last = read.head;
            this.send(resetMessage(read.gap, [j.topic], this.cursorOf(false)));
          }
          j.page = read.events;
          j.next = 0;
          j.more ||= read.more;
          return true;
        } catch {
          j.more = true;
          return false;
        }
      }),
    );
    return results.every(Boolean);
  }

  /** Pages through history until every topic being read has caught up with its held events. */
  private async replay(): Promise<void> {
    try {
      for (;;) {
        const reading = this.joins.filter((j) => j.state === 'reading');
        if (reading.length === 0 || this.ended) {
          return;
        }
        // The next page is read only once the client has room for it.
        await this.writer?.whenWritable();
        if (this.ended) {
          return;
        }
        if (!(await this.readPages(reading))) {
          // History is unreachable for now (Redis still coming back): the stream stays open,
          // holding live events, and reads again shortly. Closing clears the timer, and the
          // replay then waits for good.
          await new Promise<void>((resolve) => {
            this.retryTimer = setTimeout(resolve, this.deps.catchUpRetryMs ?? 500);
          });
          continue;
        }
        if (this.ended) {
          return;
        }
        this.step(reading);
      }
    } finally {
      this.replaying = false;
    }
  }

  private startReplay(): void {
    if (!this.replaying) {
      this.replaying = true;
      this.replay().catch((err: unknown) => this.fail(err));
    }
  }

  /** After the transport regained a subscription: what it missed is in history. */
  private catchUp(j: TopicJoin): void {
    j.state = 'reading';
    j.page = NO_EVENTS;
    j.next = 0;
    j.more = true;
    this.startReplay();
  }

  /** The first join of every topic together, so the opening frame carries the whole cursor. */
  private async join(): Promise<void> {
    const joins = this.joins;
    joins.forEach((j) => (j.state = 'reading'));
    const start = this.start;
    this.start = undefined;
    const limit = Math.ceil(this.pageSize / joins.length);
    const reads = await Promise.all(
      joins.map((j) => startOf(this.deps.history, j.topic, start, limit)),
    );
    if (this.ended) {
      return;
    }
    const reset = new Map<ResetReason, string[]>();
    if (start && !start.ok) {
      reset.set('malformed-cursor', [...this.topics]);
    }
    reads.forEach((read, index) => {
      const j = joins[index];
      if (read.gap) {
        reset.set(read.gap, [...(reset.get(read.gap) ?? []), j.topic]);
      }
      j.last = read.from;
      j.page = read.events;
      j.next = 0;
      // Already set when the subscription came back during the read.
      j.more ||= read.more;
    });
    const cursor = this.cursorOf(false);
    const route = this.route;
    this.route = undefined;
    this.direct = this.single && (route?.fastPathAllowed ?? this.deps.directAllowed?.() ?? false);
    this.handOverAllowed = route?.handOverAllowed ?? false;
    if (route?.expiry) {
      this.endAt(route.expiry.at, route.expiry.last, route.expiry.onEnd);
    }
    // Jittered, so that clients dropped together (a restart) do not come back together.
    const opening = openingMessage(
      Math.round(this.deps.retryMs * (0.8 + 0.4 * Math.random())),
      cursor,
    );
    this.send(withStreamControl(opening, this));
    for (const [reason, resetTopics] of reset) {
      this.send(resetMessage(reason, resetTopics, cursor));
    }
    this.open = true;
    // The first page goes out with the opening; the rest as the client reads.
    const reading = joins.filter((j) => j.state === 'reading');
    this.step(reading);
    if (reading.some((j) => j.state === 'reading')) {
      this.startReplay();
    }
  }
}

/** The expiry timer's callback: one function for all streams, the stream passed as an argument. */
function expire(
  stream: ResumableStream,
  at: number,
  last: (cursor: string) => MessageEvent,
  onEnd?: () => void,
): void {
  if (Date.now() < at) {
    // Further than one timer reaches: wait again.
    stream.endAt(at, last, onEnd);
  } else {
    stream.expired(last, onEnd);
  }
}

interface TopicStart {
  /** The position the topic starts from. */
  from: string;
  /** The first page of history after it. */
  events: HistoryRead['events'];
  more: boolean;
  gap?: HistoryRead['gap'];
}

/** Where a topic starts: after the cursor's position when it holds, else live from the head. */
async function startOf(
  history: History,
  topic: string,
  start: CursorParse | undefined,
  limit: number,
): Promise<TopicStart> {
  const position = start?.ok ? start.cursor.get(topic) : undefined;
  if (position === undefined) {
    return { from: await history.head(topic), events: [], more: false };
  }
  const read = await history.readAfter(topic, position, limit);
  if (read.gap) {
    return { from: read.head, events: [], more: false, gap: read.gap };
  }
  return { from: position, events: read.events, more: read.more };
}
