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
import { withStreamControl, type DirectSink } from './stream-control.js';

export interface ResumableStreamDeps {
  channels: TopicChannels;
  history: History;
  retryMs: number;
  /** How long a catch-up waits before reading history again after a failed read. */
  catchUpRetryMs?: number;
  /** Ticks every heartbeat period; a connection that sent nothing since the last tick sends a comment. */
  heartbeat$: Observable<unknown>;
  /**
   * Whether the writer that sends the stream may take its live events directly (StreamControl):
   * asked at the opening, when the route has returned the stream as it is.
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
  /** Live events held while not `live`. */
  held: TopicEvent[];
  /** The id of the last event delivered (or the starting position). */
  last: string;
  /** Set once a live event newer than everything from history passed: order is the transport's. */
  inOrder: boolean;
  /** The first SUBSCRIBED came (the connection's join counts each topic once). */
  subscribed: boolean;
  /** The transport's subscription is in place now (between UNSUBSCRIBED and SUBSCRIBED it is not). */
  connected: boolean;
  /** The subscription came back while history was being read: read once more after. */
  readAgain: boolean;
  /** Set once joined to the topic's channel. */
  membership?: TopicMembership;
}

/**
 * One connection's stream of several topics, resumed from a cursor with no gap and no duplicate:
 * subscribe live first and hold what arrives, read history after the cursor, send history, then the
 * held events newer than it, then live. When the transport loses its subscription, the topic holds
 * again and, once resubscribed, reads what it missed from history the same way. The `id` of every
 * event is the connection's whole cursor.
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
      inOrder: false,
      subscribed: false,
      connected: false,
      readAgain: false,
    }));
    let waitingForFirstSubscribe = joins.length;
    let sentSinceTick = false;
    let open = false;
    /** Ripple's writer, when it takes live events directly (one-topic streams only). */
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

    /** History has been read and sent: send the held events newer than it, then go live. */
    const settle = (j: TopicJoin) => {
      const held = j.held;
      j.held = [];
      j.inOrder = false;
      for (const event of held) {
        if (compareEventIds(event.id, j.last) > 0) {
          deliver(j, event);
        }
      }
      if (j.readAgain) {
        j.readAgain = false;
        j.state = 'subscribing';
        catchUp(j);
      } else {
        // Lost during the read: hold until the subscription is back, then read again.
        j.state = j.connected ? 'live' : 'subscribing';
      }
    };

    /** After the transport regained a subscription: what it missed is in history. */
    const catchUp = (j: TopicJoin) => {
      if (j.state === 'reading') {
        j.readAgain = true;
        return;
      }
      j.state = 'reading';
      deps.history
        .readAfter(j.topic, j.last)
        .then((read) => {
          if (subscriber.closed) {
            return;
          }
          if (read.gap) {
            j.last = read.head;
            positions.set(j.topic, read.head);
            send(resetMessage(read.gap, [j.topic], encodeCursor(positions)));
          }
          for (const event of read.events) {
            deliver(j, event);
          }
          settle(j);
        })
        .catch(() => {
          // History is unreachable for now (Redis still coming back): the stream stays open,
          // holding live events, and reads again shortly.
          j.state = 'subscribing';
          subscriptions.add(timer(deps.catchUpRetryMs ?? 500).subscribe(() => catchUp(j)));
        });
    };

    /** The first join of every topic together, so the opening frame carries the whole cursor. */
    const join = async () => {
      joins.forEach((j) => (j.state = 'reading'));
      const reads = await Promise.all(joins.map((j) => startOf(deps.history, j.topic, start)));
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
        positions.set(j.topic, read.from);
      });
      const cursor = encodeCursor(positions);
      // Jittered, so that clients dropped together (a restart) do not come back together.
      const opening = openingMessage(
        Math.round(deps.retryMs * (0.8 + 0.4 * Math.random())),
        cursor,
      );
      send(
        single && deps.directAllowed?.()
          ? withStreamControl(opening, { attach: (s) => (sink = s), cursor: cursorNow })
          : opening,
      );
      for (const [reason, resetTopics] of reset) {
        send(resetMessage(reason, resetTopics, cursor));
      }
      reads.forEach((read, index) => {
        for (const event of read.events) {
          deliver(joins[index], event);
        }
      });
      joins.forEach(settle);
      open = true;
    };

    const onSignal = (j: TopicJoin, signal: TransportSignal) => {
      if (signal === SUBSCRIBED) {
        j.connected = true;
        if (!j.subscribed) {
          j.subscribed = true;
          if (--waitingForFirstSubscribe === 0) {
            join().catch(fail);
          }
        } else if (j.state === 'subscribing') {
          catchUp(j);
        } else if (j.state === 'reading') {
          // The read may predate what was published while the subscription was down.
          j.readAgain = true;
        }
      } else if (signal === UNSUBSCRIBED) {
        j.connected = false;
        syncDirect(j);
        if (j.state === 'live') {
          j.state = 'subscribing';
        }
      } else if (j.state !== 'live') {
        j.held.push(signal);
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
  events: HistoryRead['events'];
  gap?: HistoryRead['gap'];
}

/** Where a topic starts: after the cursor's position when it holds, else live from the head. */
async function startOf(
  history: History,
  topic: string,
  start: CursorParse | undefined,
): Promise<TopicStart> {
  const position = start?.ok ? start.cursor.get(topic) : undefined;
  if (position === undefined) {
    return { from: await history.head(topic), events: [] };
  }
  const read = await history.readAfter(topic, position);
  if (read.gap) {
    return { from: read.head, events: [], gap: read.gap };
  }
  return { from: position, events: read.events };
}
