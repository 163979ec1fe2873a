import { Inject } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { OutgoingEvent, TopicEvent } from '../topic-event.interface.js';

export const TRANSPORT = Symbol('RIPPLE_TRANSPORT');

/** Injects the configured Transport (memory or Redis). */
export const InjectTransport = (): ParameterDecorator => Inject(TRANSPORT);

/**
 * Emitted once to each subscriber when its subscription is in place: every event published after
 * it reaches that subscriber. A resume reads history only after it, so nothing falls in between.
 */
export const SUBSCRIBED = Symbol('ripple.subscribed');

/**
 * Emitted when the transport lost its subscription (a dropped Redis connection): events may be
 * missed until the next SUBSCRIBED, so a stream holds what still arrives and reads history then.
 */
export const UNSUBSCRIBED = Symbol('ripple.unsubscribed');

export type TransportSignal = TopicEvent | typeof SUBSCRIBED | typeof UNSUBSCRIBED;

/** What a publish under an Idempotency-Key stored, or had stored before. */
export interface OncePublished {
  topic: string;
  id: string;
  /** An earlier publish with the key stored it; this one stored nothing. */
  replayed: boolean;
  /** The earlier publish with the key was of another type or data: nothing was stored. */
  conflict: boolean;
}

/**
 * Moves events between publishers and subscribers, possibly across instances. Every subscriber of
 * a topic, on every instance, receives the topic's events in one order: the order of their ids.
 */
export interface Transport {
  /** Assigns the id, stores the event in history and makes it live, as one step. */
  publish(topic: string, event: OutgoingEvent): Promise<TopicEvent>;
  /**
   * `publish`, once per topic and Idempotency-Key within the transport's idempotency window: a call
   * with a key already used answers the id stored then, and stores nothing.
   */
  publishOnce(topic: string, event: OutgoingEvent, key: string): Promise<OncePublished>;
  /**
   * The topic's live events, preceded by SUBSCRIBED; shared by all local subscribers of a topic.
   * After a lost subscription, UNSUBSCRIBED, then SUBSCRIBED again when it is back: what was
   * published in between is only in history.
   */
  subscribe(topic: string): Observable<TransportSignal>;
  /** Whether the transport can take publishes and new subscribers now. */
  readonly available: boolean;
}
