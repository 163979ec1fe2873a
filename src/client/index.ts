/**
 * Ripple's client, for browsers and Node 20+: one self-contained module with no import, so that
 * the service can serve its compiled file as is to a page (`/client.js`) and a bundler can take it
 * whole. It reads the stream with fetch rather than EventSource: EventSource stops for good on a
 * 503 or 429 (an instance full or draining), cannot read `Retry-After`, and cannot send a header.
 */

/** Topic name -> payload type, e.g. `{ orders: Order; ticker: Tick }`. */
export type TopicMap = Record<string, unknown>;

export interface RippleEvent<T extends TopicMap, K extends keyof T & string = keyof T & string> {
  topic: K;
  /** The publisher's type, else the topic name. */
  type: string;
  /** The event's id within its topic. */
  id: string;
  data: T[K];
  /** The connection's cursor after this event (every topic's position). */
  cursor: string;
}

export type ResetReason = 'malformed-cursor' | 'trimmed' | 'unknown-position' | (string & {});

export type ClientState =
  | { state: 'connecting' }
  | { state: 'open' }
  | { state: 'reconnecting'; attempt: number; delayMs: number; status?: number }
  | { state: 'closed'; reason: 'closed' | 'refused'; status?: number };

/** Where the token travels: the header (default), or the query for a short-lived token. */
export type TokenPlace = 'header' | 'query';

export interface SubscribeOptions<T extends TopicMap> {
  /** The stream route, e.g. `/events` or `https://ripple.example/events`. */
  url: string;
  topics: readonly (keyof T & string)[];
  /** Called for every event, whatever its type. */
  onEvent?: (event: RippleEvent<T>) => void;
  /** Per-topic handlers: each gets its topic's payload type. */
  on?: { [K in keyof T & string]?: (data: T[K], event: RippleEvent<T, K>) => void };
  /** Per-type handlers, for events published with a `type`. */
  onType?: Record<string, (event: RippleEvent<T>) => void>;
  /** The server started these topics live: reload what you derived from them. */
  onReset?: (reason: ResetReason, topics: string[]) => void;
  onState?: (state: ClientState) => void;
  /**
   * An app handler threw (or an event's data was not JSON): the stream goes on, the event is not
   * delivered again. Without it, the error is reported as an uncaught one would be
   * (`reportError`, or `console.error` where there is none), so that it is seen.
   */
  onError?: (error: unknown, event?: RippleEvent<T>) => void;
  /** The token for private topics; fetched again on `ripple.token-expired` by `refreshToken`. */
  token?: string;
  refreshToken?: () => string | undefined | Promise<string | undefined>;
  tokenIn?: TokenPlace;
  /** Open with recent history: the last N events of each topic, or those since a time (ms). */
  history?: { last?: number; since?: number };
  /** A cursor to resume from (one a previous subscription's `cursor` gave). */
  cursor?: string;
  /** Keep the cursor in sessionStorage under this key, so that a reload resumes. */
  storageKey?: string;
  /** Reconnect backoff: first delay and cap, in ms (jittered). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Fetch credentials (the `ripple_token` cookie of another origin needs `include`). */
  credentials?: RequestCredentials;
  /** Extra headers sent on every request. */
  headers?: Record<string, string>;
}

export interface Subscription<T extends TopicMap> {
  readonly state: ClientState['state'];
  /** The cursor the next connection resumes from (`topic=id,...`), if any. */
  readonly cursor: string | undefined;
  /** Change the topics; kept topics keep their cursor, new ones start live (or with history). */
  setTopics(topics: readonly (keyof T & string)[]): void;
  close(): void;
}

/** Statuses worth trying again: the server is there but cannot take us now. */
const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

export function parseCursor(text: string): Map<string, string> {
  const cursor = new Map<string, string>();
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) {
      cursor.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  return cursor;
}

export function encodeCursor(cursor: ReadonlyMap<string, string>): string {
  return [...cursor].map(([topic, id]) => `${topic}=${id}`).join(',');
}

/** `Retry-After` in ms: seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') {
    return undefined;
  }
  const seconds = Number(header);
  if (Number.isFinite(seconds)) {
    return Math.max(0, seconds * 1000);
  }
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Full jitter on an exponential backoff: clients dropped together do not come back together. */
export function backoffMs(attempt: number, min: number, max: number, random = Math.random): number {
  const ceiling = Math.min(max, min * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

interface Frame {
  event: string;
  data: string | undefined;
  id: string | undefined;
  retry: number | undefined;
}

/** Splits an SSE byte stream into frames (the subset Ripple writes, read as the spec says). */
export class FrameReader {
  private buffer = '';
  private frame: Frame = FrameReader.empty();

  private static empty(): Frame {
    return { event: '', data: undefined, id: undefined, retry: undefined };
  }

  push(text: string): Frame[] {
    this.buffer += text;
    const frames: Frame[] = [];
    let start = 0;
    for (;;) {
      const end = this.buffer.indexOf('\n', start);
      if (end < 0) {
        break;
      }
      let line = this.buffer.slice(start, end);
      start = end + 1;
      if (line.endsWith('\r')) {
        line = line.slice(0, -1);
      }
      if (line === '') {
        if (this.frame.data !== undefined || this.frame.id !== undefined || this.frame.retry) {
          frames.push(this.frame);
        }
        this.frame = FrameReader.empty();
        continue;
      }
      this.field(line);
    }
    this.buffer = this.buffer.slice(start);
    return frames;
  }

  private field(line: string): void {
    if (line.startsWith(':')) {
      return;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    if (name === 'event') {
      this.frame.event = value;
    } else if (name === 'data') {
      this.frame.data = this.frame.data === undefined ? value : `${this.frame.data}\n${value}`;
    } else if (name === 'id') {
      this.frame.id = value;
    } else if (name === 'retry' && /^\d+$/.test(value)) {
      this.frame.retry = Number(value);
    }
  }
}

function sessionStore(): Storage | undefined {
  try {
    return (globalThis as { sessionStorage?: Storage }).sessionStorage;
  } catch {
    return undefined; // A sandboxed frame throws on access.
  }
}

/** Refused for good (a 4xx other than 408/425/429): retrying would only be refused again. */
class Refused extends Error {
  constructor(readonly status: number) {
    super(`refused with ${status}`);
  }
}

class Client<T extends TopicMap> implements Subscription<T> {
  state: ClientState['state'] = 'connecting';
  private topics: string[];
  private positions = new Map<string, string>();
  private token: string | undefined;
  private abort: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wake: (() => void) | undefined;
  private attempt = 0;
  private serverRetryMs: number | undefined;
  private closed = false;
  /** Set on `ripple.token-expired` or a 401: the next connection asks for a fresh token first. */
  private tokenExpired = false;
  /** Set on `ripple.token-expired`: the stream ended on purpose, come back at once. */
  private atOnce = false;

  constructor(private readonly options: SubscribeOptions<T>) {
    this.topics = [...options.topics];
    this.token = options.token;
    const stored =
      (options.storageKey ? sessionStore()?.getItem(options.storageKey) : null) ?? options.cursor;
    if (stored) {
      this.positions = parseCursor(stored);
    }
    void this.run();
  }

  get cursor(): string | undefined {
    const kept = this.topics.filter((t) => this.positions.has(t));
    if (kept.length === 0) {
      return undefined;
    }
    return encodeCursor(new Map(kept.map((t) => [t, this.positions.get(t) as string])));
  }

  setTopics(topics: readonly (keyof T & string)[]): void {
    this.topics = [...topics];
    for (const topic of this.positions.keys()) {
      if (!this.topics.includes(topic)) {
        this.positions.delete(topic);
      }
    }
    // Reconnect at once with the new list; the cursor of the topics kept goes with it.
    this.attempt = 0;
    this.abort?.abort();
    this.stopWaiting();
  }

  private stopWaiting(): void {
    clearTimeout(this.timer);
    this.wake?.();
  }

  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.abort?.abort();
    this.stopWaiting();
    this.emitState({ state: 'closed', reason: 'closed' });
  }

  private emitState(state: ClientState): void {
    this.state = state.state;
    this.options.onState?.(state);
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const controller = new AbortController();
      this.abort = controller;
      let status: number | undefined;
      let waitMs: number | undefined;
      try {
        if (this.attempt === 0) {
          this.emitState({ state: 'connecting' });
        }
        await this.connect(controller);
      } catch (err) {
        if (err instanceof Refused) {
          this.abort = undefined;
          this.closed = true;
          this.emitState({ state: 'closed', reason: 'refused', status: err.status });
          return;
        }
        if (err instanceof RetryLater) {
          status = err.status;
          waitMs = err.waitMs;
        }
      }
      this.abort = undefined;
      if (this.closed) {
        return;
      }
      if (controller.signal.aborted && this.attempt === 0) {
        continue; // setTopics: reconnect at once.
      }
      this.attempt++;
      const delayMs =
        waitMs ??
        (this.atOnce
          ? 0
          : backoffMs(
              this.attempt,
              this.options.minDelayMs ?? this.serverRetryMs ?? 1000,
              this.options.maxDelayMs ?? 30_000,
            ));
      this.atOnce = false;
      this.emitState({ state: 'reconnecting', attempt: this.attempt, delayMs, status });
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, delayMs);
      });
      this.wake = undefined;
    }
  }

  private async connect(controller: AbortController): Promise<void> {
    if (this.tokenExpired && this.options.refreshToken) {
      this.token = (await this.options.refreshToken()) ?? this.token;
    }
    this.tokenExpired = false;
    const response = await fetch(this.requestUrl(), {
      headers: this.requestHeaders(),
      credentials: this.options.credentials,
      signal: controller.signal,
      cache: 'no-store',
    });
    if (!response.ok || response.body === null) {
      await response.body?.cancel().catch(() => undefined);
      if (response.status === 401 && this.options.refreshToken) {
        this.tokenExpired = true; // Ask for a fresh token, then try again.
        throw new RetryLater(response.status, undefined);
      }
      if (RETRYABLE.has(response.status)) {
        throw new RetryLater(response.status, retryAfterMs(response.headers.get('retry-after')));
      }
      throw new Refused(response.status);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const frames = new FrameReader();
    this.emitState({ state: 'open' });
    this.attempt = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return;
      }
      for (const frame of frames.push(value)) {
        this.dispatch(frame);
      }
    }
  }

  private requestUrl(): string {
    const base = (globalThis as { location?: { href: string } }).location?.href;
    const url = new URL(this.options.url, base);
    for (const topic of this.topics) {
      url.searchParams.append('topic', topic);
    }
    const cursor = this.cursor;
    if (cursor) {
      url.searchParams.set('lastEventId', cursor);
    }
    const history = this.options.history;
    // Only topics with no position ask for history: the others resume.
    if (history && this.topics.some((t) => !this.positions.has(t))) {
      if (history.last !== undefined) {
        url.searchParams.set('last', String(history.last));
      }
      if (history.since !== undefined) {
        url.searchParams.set('since', String(history.since));
      }
    }
    if (this.token && this.options.tokenIn === 'query') {
      url.searchParams.set('access_token', this.token);
    }
    return url.toString();
  }

  private requestHeaders(): Record<string, string> {
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      ...this.options.headers,
    };
    if (this.token && this.options.tokenIn !== 'query') {
      headers.authorization = `Bearer ${this.token}`;
    }
    return headers;
  }

  private dispatch(frame: Frame): void {
    if (frame.retry !== undefined) {
      this.serverRetryMs = frame.retry;
    }
    let topic: string | undefined;
    if (frame.id !== undefined && frame.id !== '') {
      topic = this.advance(frame.id);
    }
    if (frame.data === undefined) {
      return;
    }
    if (frame.event === 'ripple.reset') {
      const { reason, topics } = JSON.parse(frame.data) as { reason: string; topics: string[] };
      this.options.onReset?.(reason, topics);
      return;
    }
    if (frame.event === 'ripple.token-expired') {
      // The stream ends next; the reconnect asks for a fresh token and resumes from the cursor.
      this.tokenExpired = true;
      this.atOnce = true;
      return;
    }
    if (topic === undefined) {
      return;
    }
    let data: T[string];
    try {
      data = JSON.parse(frame.data) as T[string];
    } catch (err) {
      this.failed(err);
      return;
    }
    const event = {
      topic,
      type: frame.event || topic,
      id: this.positions.get(topic) as string,
      data,
      cursor: frame.id as string,
    } as RippleEvent<T>;
    // Each handler on its own, as EventSource listeners are: one that throws neither ends the
    // stream (its cursor has moved, so a reconnect would not bring the event back anyway) nor
    // keeps the others from the event.
    const { onEvent, on, onType } = this.options;
    this.call(onEvent, event, event);
    this.call(
      on?.[topic] as ((data: unknown, e: RippleEvent<T>) => void) | undefined,
      event.data,
      event,
    );
    this.call(onType?.[event.type], event, event);
  }

  private call<A>(
    handler: ((arg: A, event: RippleEvent<T>) => void) | undefined,
    arg: A,
    event: RippleEvent<T>,
  ): void {
    if (handler === undefined) {
      return;
    }
    try {
      handler(arg, event);
    } catch (err) {
      this.failed(err, event);
    }
  }

  private failed(error: unknown, event?: RippleEvent<T>): void {
    if (this.options.onError) {
      this.options.onError(error, event);
      return;
    }
    const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
    if (report) {
      report(error);
    } else {
      console.error(error);
    }
  }

  /** Takes the cursor of a frame; answers the topic whose position moved (the event's topic). */
  private advance(id: string): string | undefined {
    let moved: string | undefined;
    for (const [topic, position] of parseCursor(id)) {
      if (this.positions.get(topic) !== position) {
        moved = moved === undefined ? topic : moved;
        this.positions.set(topic, position);
      }
    }
    if (this.options.storageKey) {
      try {
        sessionStore()?.setItem(this.options.storageKey, id);
      } catch {
        // Storage full or denied: the cursor still lives in memory.
      }
    }
    return moved;
  }
}

class RetryLater extends Error {
  constructor(
    readonly status: number,
    readonly waitMs: number | undefined,
  ) {
    super(`try again later (${status})`);
  }
}

/**
 * Opens a stream of `topics` and keeps it open: reconnects with backoff and jitter (or after the
 * server's `Retry-After`), resumes from its cursor, and refreshes its token when it expires.
 */
export function subscribe<T extends TopicMap>(options: SubscribeOptions<T>): Subscription<T> {
  return new Client(options);
}
