import type { MessageEvent } from '@nestjs/common';
import { Observable, Subscription } from 'rxjs';
import type { History, HistoryRead } from '../history/history.interface.js';
import type { TopicEvent } from '../topic-event.interface.js';
import { SUBSCRIBED, type Transport } from '../transport/transport.interface.js';
import { encodeCursor, type CursorParse } from '../wire/cursor.js';
import { compareEventIds } from '../wire/event-id.js';
import {
  HEARTBEAT,
  openingMessage,
  resetMessage,
  topicMessage,
  type ResetReason,
} from '../wire/message-event.js';

export interface ResumableStreamDeps {
  transport: Transport;
  history: History;
  retryMs: number;
  /** Ticks every heartbeat period; a connection that sent nothing since the last tick sends a comment. */
  heartbeat$: Observable<unknown>;
}

/** Where one topic of a connection stands while it joins history and live. */
interface TopicJoin {
  topic: string;
  /** Live events that arrived while history was being read; null once joined. */
  buffer: TopicEvent[] | null;
  /** The id of the last event delivered (or the starting position). */
  last: string;
  /** Set once a live event newer than everything from history passed: order is the transport's. */
  inOrder: boolean;
  subscribed: boolean;
  /** The transport resubscribed while a read was under way: read history once more after it. */
  readAgain: boolean;
}

/**
 * One connection's stream of several topics, resumed from a cursor with no gap and no duplicate:
 * subscribe live first and hold what arrives, read history after the cursor, send history, then the
 * held events newer than it, then live. The `id` of every event is the connection's whole cursor.
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
      buffer: [],
      last: '',
      inOrder: false,
      subscribed: false,
      readAgain: false,
    }));
    let waitingForLive = joins.length;
    let sentSinceTick = false;
    let open = false;

    const send = (message: MessageEvent) => {
      sentSinceTick = true;
      subscriber.next(message);
    };

    const deliver = (join: TopicJoin, event: TopicEvent) => {
      join.last = event.id;
      positions.set(join.topic, event.id);
      send(topicMessage(event, encodeCursor(positions)));
    };

    /** Sends the held live events newer than what history gave, then lets live through. */
    const drain = (j: TopicJoin) => {
      const held = j.buffer ?? [];
      j.buffer = null;
      j.inOrder = false;
      for (const event of held) {
        if (compareEventIds(event.id, j.last) > 0) {
          deliver(j, event);
        }
      }
      if (j.readAgain) {
        j.readAgain = false;
        rejoin(j);
      }
    };

    const join = async () => {
      const reads = await Promise.all(joins.map((j) => startOf(deps.history, j.topic, start)));
      if (subscriber.closed) {
        return;
      }
      const reset = new Map<ResetReason, string[]>();
      if (start && !start.ok) {
        reset.set('malformed-cursor', [...topics]);
      }
      reads.forEach((read, index) => {
        const topic = joins[index].topic;
        if (read.gap) {
          reset.set(read.gap, [...(reset.get(read.gap) ?? []), topic]);
        }
        joins[index].last = read.from;
        positions.set(topic, read.from);
      });
      const cursor = encodeCursor(positions);
      send(openingMessage(deps.retryMs, cursor));
      for (const [reason, resetTopics] of reset) {
        send(resetMessage(reason, resetTopics, cursor));
      }
      reads.forEach((read, index) => {
        for (const event of read.events) {
          deliver(joins[index], event);
        }
      });
      joins.forEach(drain);
      open = true;
    };

    /** After the transport lost its subscription: what it missed is in history. */
    const rejoin = (j: TopicJoin) => {
      if (j.buffer) {
        j.readAgain = true;
        return;
      }
      j.buffer = [];
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
          drain(j);
        })
        .catch((err: unknown) => subscriber.error(err));
    };

    for (const j of joins) {
      subscriptions.add(
        deps.transport.subscribe(j.topic).subscribe({
          next: (signal) => {
            if (signal === SUBSCRIBED) {
              if (j.subscribed) {
                rejoin(j);
              } else {
                j.subscribed = true;
                if (--waitingForLive === 0) {
                  join().catch((err: unknown) => subscriber.error(err));
                }
              }
            } else if (j.buffer) {
              j.buffer.push(signal);
            } else if (j.inOrder || compareEventIds(signal.id, j.last) > 0) {
              // A live event can trail the history read that already held it (Redis answers the
              // read and the subscription on two connections); past the first newer one, none can.
              j.inOrder = true;
              deliver(j, signal);
            }
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => subscriber.complete(),
        }),
      );
    }

    subscriptions.add(
      deps.heartbeat$.subscribe(() => {
        if (open && !sentSinceTick) {
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
