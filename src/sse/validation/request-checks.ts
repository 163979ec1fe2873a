import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { isTopicName, RESERVED_TYPE_PREFIX } from '../wire/topic-name.js';
import {
  BAD_IDEMPOTENCY_KEY,
  BAD_TOPIC,
  BAD_TYPE,
  BAD_BATCH_EVENT,
  BATCH_NOT_LIST,
  BODY_NOT_OBJECT,
  NO_DATA,
  NO_TOPIC,
  RESERVED_TOPIC,
  TOO_MANY_BATCH_EVENTS,
  TOO_MANY_TOPICS,
  UNKNOWN_FIELDS,
} from '../sse.messages.js';

/**
 * The checks on what a client sends, shared by the controller and the hub (which library users call
 * directly). They throw Nest's HTTP exceptions, so a bad request is a 400 with a JSON body however
 * it arrives.
 */

/** Topics from `?topic=a&topic=b`, in order, each once. */
export function checkTopics(raw: unknown, max: number): string[] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) {
    throw new BadRequestException(NO_TOPIC());
  }
  const topics = [...new Set(list.map((item) => (typeof item === 'string' ? item : '')))];
  if (topics.length > max) {
    throw new BadRequestException(TOO_MANY_TOPICS(topics.length, max));
  }
  for (const topic of topics) {
    checkTopic(topic);
  }
  return topics;
}

export function checkTopic(topic: string): string {
  if (!isTopicName(topic)) {
    throw new BadRequestException(BAD_TOPIC(topic));
  }
  // A topic's events carry its name as their type: a `ripple.` topic could fake Ripple's own.
  if (topic.startsWith(RESERVED_TYPE_PREFIX)) {
    throw new BadRequestException(RESERVED_TOPIC(topic));
  }
  return topic;
}

/** An Idempotency-Key: 1 to 200 visible ASCII characters, so that it is safe in a log line. */
export function checkIdempotencyKey(key: unknown): string | undefined {
  if (key === undefined) {
    return undefined;
  }
  if (typeof key !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(key)) {
    throw new BadRequestException(BAD_IDEMPOTENCY_KEY());
  }
  return key;
}

export function checkType(type: unknown): string | undefined {
  if (type === undefined) {
    return undefined;
  }
  if (typeof type !== 'string' || !isTopicName(type) || type.startsWith(RESERVED_TYPE_PREFIX)) {
    throw new BadRequestException(BAD_TYPE(type));
  }
  return type;
}

export interface PublishBody {
  data: unknown;
  type?: string;
}

export function checkPublishBody(body: unknown): PublishBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException(BODY_NOT_OBJECT());
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => key !== 'data' && key !== 'type');
  if (unknown.length > 0) {
    throw new BadRequestException(UNKNOWN_FIELDS(unknown.slice(0, 10)));
  }
  if (!('data' in fields)) {
    throw new BadRequestException(NO_DATA());
  }
  return { data: fields.data, type: checkType(fields.type) };
}

/** One event of a batch, as the batch route and `SseHub.publishMany` take it. */
export interface BatchEvent {
  topic: string;
  data: unknown;
  type?: string;
}

/**
 * A batch body, `{"events": [{"topic", "data", "type"?}, ...]}`, with 1 to `max` events, each
 * shaped like a single publish plus its topic. Topic names, types and payloads are the hub's to
 * check (publishMany), where a library caller's batch is checked too.
 */
export function checkBatchBody(body: unknown, max: number): BatchEvent[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException(BATCH_NOT_LIST());
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => key !== 'events');
  if (unknown.length > 0 || !Array.isArray(fields.events) || fields.events.length === 0) {
    throw new BadRequestException(BATCH_NOT_LIST());
  }
  const events = fields.events as unknown[];
  if (events.length > max) {
    throw new PayloadTooLargeException(TOO_MANY_BATCH_EVENTS(events.length, max));
  }
  return events.map((event, index) => {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      throw new BadRequestException(BAD_BATCH_EVENT(index, 'not a JSON object'));
    }
    const item = event as Record<string, unknown>;
    const extra = Object.keys(item).filter((k) => k !== 'topic' && k !== 'data' && k !== 'type');
    if (extra.length > 0) {
      throw new BadRequestException(
        BAD_BATCH_EVENT(index, `unknown field(s) ${extra.slice(0, 10).join(', ')}`),
      );
    }
    if (typeof item.topic !== 'string') {
      throw new BadRequestException(BAD_BATCH_EVENT(index, 'no "topic" string'));
    }
    if (!('data' in item)) {
      throw new BadRequestException(BAD_BATCH_EVENT(index, 'no "data" field'));
    }
    return { topic: item.topic, data: item.data, type: item.type as string | undefined };
  });
}
