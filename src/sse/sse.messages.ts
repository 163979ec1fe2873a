/** Every message a client or an operator may read, in one place. */

export const NO_TOPIC = () => 'Ask for at least one topic: /events?topic=<name>';

export const BAD_TOPIC = (topic: string) =>
  `Invalid topic name ${JSON.stringify(topic.slice(0, 140))}: a topic is 1 to 128 characters of ` +
  'letters, digits, ".", "_", ":" and "-", starting with a letter or a digit';

export const RESERVED_TOPIC = (topic: string) =>
  `Topic ${JSON.stringify(topic)} is reserved: names starting with "ripple." are Ripple's own`;

export const TOO_MANY_TOPICS = (count: number, max: number) =>
  `Too many topics on one connection: ${count}, at most ${max}`;

export const BODY_NOT_JSON = () =>
  'The body must be JSON (Content-Type: application/json): {"data": <any JSON>, "type"?: "name"}';

export const BODY_NOT_VALID_JSON = (detail: string) => `The body is not valid JSON: ${detail}`;

export const BODY_TOO_LARGE = (limit: number) =>
  `The body is larger than the limit of ${limit} bytes`;

export const BODY_ENCODED = (encoding: string) =>
  `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported: send the body uncompressed`;

export const BODY_CHARSET = (charset: string) =>
  `Charset ${JSON.stringify(charset.slice(0, 40))} is not supported: send the body as UTF-8`;

export const BODY_ABORTED = () => 'The request ended before its body did';

export const BODY_NOT_OBJECT = () =>
  'The body must be a JSON object: {"data": <any JSON>, "type"?: "name"}';

export const NO_DATA = () => 'The body has no "data" field: {"data": <any JSON>, "type"?: "name"}';

export const BAD_TYPE = (type: unknown) =>
  `Invalid event type ${JSON.stringify(type)}: a type is 1 to 128 characters of letters, digits, ` +
  '".", "_", ":" and "-", and "ripple." types are reserved';

export const UNKNOWN_FIELDS = (fields: string[]) =>
  `Unknown field(s) in the body: ${fields.join(', ')}; expected {"data": <any JSON>, "type"?: "name"}`;

export const BATCH_NOT_LIST = () =>
  'The body must be {"events": [{"topic": "name", "data": <any JSON>, "type"?: "name"}, ...]} ' +
  'with at least one event';

export const TOO_MANY_BATCH_EVENTS = (count: number, max: number) =>
  `The batch holds ${count} events, more than the limit of ${max}`;

export const BAD_BATCH_EVENT = (index: number, problem: string) =>
  `events[${index}]: ${problem}; nothing was published`;

export const BATCH_IDEMPOTENCY_KEY = () =>
  'Idempotency-Key is not supported on a batch; publish such events one by one';

export const PAYLOAD_TOO_LARGE = (bytes: number, max: number) =>
  `The payload is ${bytes} bytes of JSON, more than the limit of ${max}`;

export const DATA_NOT_JSON = () => 'data is not a JSON value';

export const BAD_RECENT = (name: 'last' | 'since') =>
  name === 'last'
    ? 'last must be a count of events: /events?topic=<name>&last=50'
    : 'since must be a time in ms since the epoch: /events?topic=<name>&since=1764097200000';

export const HUB_CLOSED = () => 'Ripple is shutting down';

export const TRANSPORT_UNAVAILABLE = () =>
  'The event store is unreachable (Redis is down?); nothing was published: retry later';

export const REDIS_TIMED_OUT = (what: string, ms: number) =>
  `Redis did not answer ${what} within ${ms} ms`;

export const BAD_IDEMPOTENCY_KEY = () =>
  'Invalid Idempotency-Key header: 1 to 200 visible ASCII characters (no spaces)';

export const IDEMPOTENCY_KEY_REUSED = () =>
  'This Idempotency-Key was used for another publish to this topic (another body or type) ' +
  'within the idempotency window; use a new key for a new event';

export const STREAMS_UNAVAILABLE = () =>
  'The event store is unreachable (Redis is down?); retry later';

export const STREAM_FAILED = (topics: readonly string[]) =>
  `A stream of ${topics.join(', ')} ended on an error; the client will resume from its cursor`;

export const STREAM_NOT_STARTED = (topics: string[], reason: string) =>
  `A stream of ${topics.join(', ')} could not start (${reason}); answered 503`;

export const STREAMS_ENDING = (count: number, windowMs: number) =>
  `Shutting down: ending ${count} open stream(s) over ${windowMs} ms so their clients reconnect`;

export const INSTANCE_FULL = (max: number) =>
  `This instance holds its maximum of ${max} streams; retry later or elsewhere`;

export const ADDRESS_FULL = (max: number) =>
  `Too many streams from your address: at most ${max} per client address`;

export const SLOW_CONSUMER_DROPPED = (reason: string, backlog: number, address: string) =>
  `Dropped a stream (${reason}): ${backlog} bytes waiting for ${address}; it resumes from its cursor`;

export const STREAM_FAILED_LATE = () => 'A stream failed after it had started; it was ended';

export const BAD_OPTION = (option: string, expected: string, got: unknown) =>
  `SseModule: ${option} must be ${expected} (got ${describeValue(got)})`;

function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) {
    return String(value);
  }
  return Array.isArray(value) ? 'an array' : typeof value;
}

export const TWO_KEYS = (options: string[]) =>
  `SseModule: set at most one token key, not ${options.join(' and ')}`;

export const ROUTES_FROM_FACTORY = () =>
  'SseModule: routes is given beside useFactory, forRootAsync({ routes, useFactory }), not ' +
  'returned by it: Nest mounts controllers before the factory runs';
