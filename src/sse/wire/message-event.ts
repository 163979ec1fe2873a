import type { MessageEvent } from '@nestjs/common';
import type { TopicEvent } from '../topic-event.interface.js';

/**
 * The Nest `MessageEvent`s a stream is made of. Each carries an explicit `id` (or is comment-only),
 * because Nest numbers any other event itself, and such a number would become the client's
 * Last-Event-ID and spoil its resume.
 */

export const RESET_EVENT_TYPE = 'ripple.reset';

export type ResetReason = 'malformed-cursor' | 'trimmed' | 'unknown-position';

/** An idle connection's keep-alive: a comment line, ignored by EventSource. */
export const HEARTBEAT: MessageEvent = Object.freeze({ comment: '' });

/**
 * The first frame: the reconnection delay, and the connection's starting cursor. A frame with an
 * id and no data dispatches nothing but still sets EventSource's last event id, so a client that
 * drops before its first event resumes from here rather than from "now".
 */
export function openingMessage(retryMs: number, cursor: string): MessageEvent {
  return { retry: retryMs, id: cursor };
}

/**
 * Marks a MessageEvent made from a stored event, so Ripple's writer can reuse the event's encoded
 * `data:` lines across connections instead of encoding them once per client.
 */
export const SOURCE_EVENT = Symbol('ripple.sourceEvent');

export interface TopicMessage extends MessageEvent {
  [SOURCE_EVENT]: TopicEvent;
}

export function topicMessage(event: TopicEvent, cursor: string): TopicMessage {
  return { id: cursor, type: event.type ?? event.topic, data: event.data, [SOURCE_EVENT]: event };
}

const shared = new WeakMap<TopicEvent, TopicMessage>();

/**
 * The message of a one-topic connection: its cursor is `topic=id` for every such connection, so
 * one object (and one encoded frame) serves them all.
 */
export function sharedTopicMessage(event: TopicEvent): TopicMessage {
  let message = shared.get(event);
  if (!message) {
    message = topicMessage(event, `${event.topic}=${event.id}`);
    shared.set(event, message);
  }
  return message;
}

/** Whether `message` is the one-topic message of its event (sharedTopicMessage): no string built. */
export function isSharedTopicMessage(message: MessageEvent, event: TopicEvent): boolean {
  return shared.get(event) === message;
}

export function resetMessage(reason: ResetReason, topics: string[], cursor: string): MessageEvent {
  return { id: cursor, type: RESET_EVENT_TYPE, data: JSON.stringify({ reason, topics }) };
}
