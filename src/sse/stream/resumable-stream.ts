import type { MessageEvent } from '@nestjs/common';
import { Observable, Subscription, timer } from 'rxjs';
import type { History, HistoryRead } from '../history/history.interface.js';
import type { TopicEvent } from '../topic-event.interface.js';
import type { TopicChannels } from '../fanout/topic-channels.js';
import type { TopicMembership } from '../fanout/topic-membership.js';
import {
  SUBSCRIBED,
  UNSUBSCRIBED,
  type TransportSignal,
} from '../transport/transport.interface.js';
import { encodeCursor, type CursorParse } from '../wire/cursor.js';
import { compareEventIds } from '../wire/event-id.js';
import {
  HEARTBEAT,
  openingMessage,
  resetMessage,
  sharedTopicMessage,
  topicMessage,
  type ResetReason,
} from '../wire/message-event.js';
import { withStreamControl, type DirectSink, type StreamWriter } from './stream-control.js';

export interface ResumableStreamDeps {
  channels: TopicChannels;
  history: History;
  retryMs: number;
  /** Events read from history at once, and written at once: one page of a replay. */
  pageSize: number;
  /** How long a replay waits before reading history again after a failed read. */
  catchUpRetryMs?: number;
  /** Ticks every heartbeat period; a connection that sent nothing since the last tick sends a comment. */
  heartbeat$: Observable<unknown>;
  /**
   * Whether the writer that sends the stream may take its live events directly (StreamControl):
   * asked at the opening, once the route has returned the stream (see HubStream).
   */
  directAllowed?: () => boolean;
}

/**
 * Where one topic of a connection stands. Live events pass straight through only in `live`; in
 * every other state they are held, and sent after history once it has been read.
 */
interface TopicJoin {
  topic: string;
  state: 'subscribing' | 'reading' | 'live';
  /** Live events held while not `live`, at most a page of them (past it, history is read again). */
  held: TopicEvent[];
  /** The id of the last event delivered (or the starting position). */
  last: string;
  /** Events read from history and not sent yet: the replay merges topics' pages by id. */
  page: TopicEvent[];
  /** The next event of `page` to send. */
  next: number;
  /**
   * History must be read after `last` once `page` is sent: the page was full, or the
   * subscription came back meanwhile, or live events overflowed the hold.
   */
  more: boolean;
  /** Set once a live event newer than everything from history passed: order is the transport's. */
  inOrder: boolean;
  /** The first SUBSCRIBED came (the connection's join counts each topic once). */
  subscribed: boolean;
  /** The transport's subscription is in place now (between UNSUBSCRIBED and SUBSCRIBED it is not). */
  connected: boolean;
  /** Set once joined to the topic's channel. */
  membership?: TopicMembership;
}

/** A topic of a replay whose page is sent and whose history is not: it must be read first. */
const needsRead = (j: TopicJoin): boolean => j.next >= j.page.length && j.more;
/** A topic of a replay with nothing left to send from history. */
const exhausted = (j: TopicJoin): boolean => j.next >= j.page.length && !j.more;

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
 */
export function resumableStream(
  deps: ResumableStreamDeps,
  topics: readonly string[],
  start: CursorParse | undefined,
): Observable<MessageEvent> {
  return new Observable<MessageEvent>((subscriber) => {
    const subscriptions = new Subscription();
    const positions = new Map<string, string>();
    const joins = topics.map<TopicJoin>((topic) => ({
      topic,
      state: 'subscribing',
      held: [],
      last: '',
      page: [],
      next: 0,
      more: false,
      inOrder: false,
      subscribed: false,
      connected: false,
    }));
    const pageSize = Math.max(1, deps.pageSize);
    let waitingForFirstSubscribe = joins.length;
    let sentSinceTick = false;
    let open = false;
    let replaying = false;
    /** Ripple's writer, once attached: the replay waits on it for room. */
    let writer: StreamWriter | undefined;
    /** The same writer when it takes live events directly (one-topic streams only). */
    let sink: DirectSink | undefined;

    const send = (message: MessageEvent) => {
      sentSinceTick = true;
      subscriber.next(message);
    };

    const single = joins.length === 1;
    const deliver = (j: TopicJoin, event: TopicEvent) => {
      j.last = event.id;
      positions.set(j.topic, event.id);
      send(single ? sharedTopicMessage(event) : topicMessage(event, encodeCursor(positions)));
    };

    const fail = (err: unknown) => subscriber.error(err);

    /** Takes back the position of a topic whose events the channel wrote directly. */
    const syncDirect = (j: TopicJoin) => {
      const last = j.membership?.leaveDirect();
      if (last !== undefined) {
        j.last = last;
        positions.set(j.topic, last);
      }
    };

    const cursorNow = () => {
      for (const j of joins) {
        const last = j.membership?.lastDirect();
        if (last !== undefined) {
          positions.set(j.topic, last);
        }
      }
      return encodeCursor(positions);
    };

    /** Up to a page of what was read, in id order across the topics (a k-way merge). */
    const sendPage = (reading: TopicJoin[]) => {
      for (let sent = 0; sent < pageSize && !subscriber.closed; sent++) {
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
        deliver(first, first.page[first.next++]);
      }
    };

    /**
     * History has been read and sent for every topic of the replay: send the held events newer
     * than it, in id order, then go live.
     */
    const settle = (reading: TopicJoin[]) => {
      const held = reading.flatMap((j) => {
        const events = j.held.map((event) => ({ j, event }));
        j.held = [];
        j.page = [];
        j.next = 0;
        return events;
      });
      held.sort((a, b) => compareEventIds(a.event.id, b.event.id));
      for (const { j, event } of held) {
        if (compareEventIds(event.id, j.last) > 0) {
          deliver(j, event);
        }
      }
      for (const j of reading) {
        j.inOrder = false;
        // Lost during the read: hold until the subscription is back, then read again.
        j.state = j.connected ? 'live' : 'subscribing';
      }
    };

    /** Sends one page (paced by the writer when there is one), and settles once all is sent. */
    const step = (reading: TopicJoin[]) => {
      const sendAndSettle = () => {
        sendPage(reading);
        if (!subscriber.closed && reading.every(exhausted)) {
          settle(reading);
        }
      };
      if (writer) {
        writer.page(sendAndSettle);
      } else {
        sendAndSettle();
      }
    };

    /** Reads the next page of every topic that needs one; false when a read failed. */
    const readPages = async (reading: TopicJoin[]): Promise<boolean> => {
      const limit = Math.ceil(pageSize / reading.length);
      const results = await Promise.all(
        reading.filter(needsRead).map(async (j) => {
          // Set again while the read is out (the subscription came back): read once more after.
          j.more = false;
          try {
            const read = await deps.history.readAfter(j.topic, j.last, limit);
            if (subscriber.closed) {
              return true;
            }
            if (read.gap) {
              // Trimmed while the replay paged (or never there): start over from the head.
              j.last = read.head;
              positions.set(j.topic, read.head);
              send(resetMessage(read.gap, [j.topic], encodeCursor(positions)));
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
    };

    /** Pages through history until every topic being read has caught up with its held events. */
    const replay = async () => {
      try {
        for (;;) {
          const reading = joins.filter((j) => j.state === 'reading');
          if (reading.length === 0 || subscriber.closed) {
            return;
          }
          // The next page is read only once the client has room for it.
          await writer?.whenWritable();
          if (subscriber.closed) {
            return;
          }
          if (!(await readPages(reading))) {
            // History is unreachable for now (Redis still coming back): the stream stays open,
            // holding live events, and reads again shortly.
            await new Promise<void>((resolve) =>
              subscriptions.add(timer(deps.catchUpRetryMs ?? 500).subscribe(() => resolve())),
            );
            continue;
          }
          if (subscriber.closed) {
            return;
          }
          step(reading);
        }
      } finally {
        replaying = false;
      }
    };

    const startReplay = () => {
      if (!replaying) {
        replaying = true;
        replay().catch(fail);
      }
    };

    /** After the transport regained a subscription: what it missed is in history. */
    const catchUp = (j: TopicJoin) => {
      j.state = 'reading';
      j.page = [];
      j.next = 0;
      j.more = true;
      startReplay();
    };

    /** The first join of every topic together, so the opening frame carries the whole cursor. */
    const join = async () => {
      joins.forEach((j) => (j.state = 'reading'));
      const limit = Math.ceil(pageSize / joins.length);
      const reads = await Promise.all(
        joins.map((j) => startOf(deps.history, j.topic, start, limit)),
      );
      if (subscriber.closed) {
        return;
      }
      const reset = new Map<ResetReason, string[]>();
      if (start && !start.ok) {
        reset.set('malformed-cursor', [...topics]);
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
        positions.set(j.topic, read.from);
      });
      const cursor = encodeCursor(positions);
      // Jittered, so that clients dropped together (a restart) do not come back together.
      const opening = openingMessage(
        Math.round(deps.retryMs * (0.8 + 0.4 * Math.random())),
        cursor,
      );
      const direct = single && (deps.directAllowed?.() ?? false);
      send(
        withStreamControl(opening, {
          attach: (attached) => {
            writer = attached;
            sink = direct ? attached : undefined;
          },
          cursor: cursorNow,
        }),
      );
      for (const [reason, resetTopics] of reset) {
        send(resetMessage(reason, resetTopics, cursor));
      }
      open = true;
      // The first page goes out with the opening; the rest as the client reads.
      const reading = joins.filter((j) => j.state === 'reading');
      step(reading);
      if (reading.some((j) => j.state === 'reading')) {
        startReplay();
      }
    };

    const onSignal = (j: TopicJoin, signal: TransportSignal) => {
      if (signal === SUBSCRIBED) {
        j.connected = true;
        if (!j.subscribed) {
          j.subscribed = true;
          if (--waitingForFirstSubscribe === 0) {
            join().catch(fail);
          }
        } else if (j.state === 'subscribing' && open) {
          catchUp(j);
        } else if (j.state === 'reading') {
          // The read may predate what was published while the subscription was down.
          j.more = true;
        }
      } else if (signal === UNSUBSCRIBED) {
        j.connected = false;
        syncDirect(j);
        if (j.state === 'live') {
          j.state = 'subscribing';
        }
      } else if (j.state !== 'live') {
        j.held.push(signal);
        if (j.held.length > pageSize) {
          // A replay slower than the topic: rather than hold without bound, read these from
          // history after what was sent (where they are, since an event is stored before it is
          // live). Before the join, or while unsubscribed, a read follows anyway.
          j.held = [];
          if (j.state === 'reading') {
            j.more = true;
          }
        }
      } else if (j.inOrder || compareEventIds(signal.id, j.last) > 0) {
        // A live event can trail the history read that already held it (Redis answers the
        // read and the subscription on two connections); past the first newer one, none can,
        // and the channel may write the rest straight to the writer.
        j.inOrder = true;
        deliver(j, signal);
        if (sink) {
          j.membership?.goDirect(sink);
        }
      }
    };

    for (const j of joins) {
      j.membership = deps.channels.join(j.topic, {
        signal: (signal) => onSignal(j, signal),
        fail,
        end: () => subscriber.complete(),
      });
    }
    subscriptions.add(() => {
      for (const j of joins) {
        j.membership?.leave();
      }
    });

    subscriptions.add(
      deps.heartbeat$.subscribe(() => {
        // Both asked, so that both forget what they wrote before this tick.
        const wrote = sink?.takeWrote() ?? false;
        if (open && !sentSinceTick && !wrote) {
          subscriber.next(HEARTBEAT);
        }
        sentSinceTick = false;
      }),
    );

    return subscriptions;
  });
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
