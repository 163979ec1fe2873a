import { request, type IncomingHttpHeaders } from 'node:http';
import type { ClientHttp2Stream } from 'node:http2';
import type { Readable } from 'node:stream';
import { h2cSession, isH2c } from './h2c.js';

/** One dispatched frame, as the HTML Standard's event-stream interpretation sees it. */
export interface SseFrame {
  /** The event type: `message` when the frame had no `event:` line. */
  type: string;
  data: string;
  /** The last event id after this frame (it persists across frames, as in EventSource). */
  lastEventId: string;
  retry?: number;
}

/**
 * A small raw SSE client for tests: it keeps every byte, parses frames as the spec says, and lets a
 * test wait for what it expects, with a timeout, instead of sleeping.
 */
export class SseReader {
  readonly frames: SseFrame[] = [];
  /** Comment lines (heartbeats), counted. */
  comments = 0;
  raw = '';
  status = 0;
  headers: IncomingHttpHeaders = {};
  ended = false;
  /** Over h2c (see h2c.ts): the request's HTTP/2 stream, whose `session` is the origin's one. */
  stream?: ClientHttp2Stream;
  /** What is read: the response (HTTP/1.1) or the stream (HTTP/2). */
  private body?: Readable;
  private pending = '';
  private lastEventId = '';
  private type = '';
  private data: string[] = [];
  private retry?: number;
  private readonly waiters = new Set<() => void>();
  private request?: { destroy(): void };

  private constructor() {}

  /** Opens `url`: over HTTP/1.1, or over the origin's HTTP/2 session when its app speaks h2c. */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const reader = new SseReader();
    return isH2c(url) ? reader.openH2c(url, headers) : reader.openHttp1(url, headers);
  }

  private openHttp1(url: string, headers: Record<string, string>): Promise<SseReader> {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } });
    this.request = req;
    return new Promise((resolve, reject) => {
      req.on('response', (res) => {
        this.read(res, res.statusCode ?? 0, res.headers);
        resolve(this);
      });
      req.on('error', reject);
      req.end();
    });
  }

  private openH2c(url: string, headers: Record<string, string>): Promise<SseReader> {
    const { pathname, search } = new URL(url);
    const stream = h2cSession(url).request({
      ':path': pathname + search,
      accept: 'text/event-stream',
      ...headers,
    });
    this.request = stream;
    this.stream = stream;
    stream.end();
    return new Promise((resolve, reject) => {
      stream.on('response', (h) => {
        this.read(stream, Number(h[':status']), h as IncomingHttpHeaders);
        resolve(this);
      });
      stream.on('error', reject);
    });
  }

  private read(body: Readable, status: number, headers: IncomingHttpHeaders): void {
    this.body = body;
    this.status = status;
    this.headers = headers;
    body.setEncoding('utf8');
    body.on('data', (chunk: string) => this.feed(chunk));
    body.on('end', () => this.finish());
    body.on('close', () => this.finish());
    body.on('error', () => this.finish());
  }

  /** Resolves once `predicate` holds (checked after every chunk), or rejects after `timeoutMs`. */
  waitFor(
    predicate: (reader: SseReader) => boolean,
    timeoutMs = 5000,
    what = 'condition',
  ): Promise<void> {
    if (predicate(this)) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate(this)) {
          done();
          resolve();
        } else if (this.ended) {
          done();
          reject(new Error(`stream ended before ${what}; frames: ${JSON.stringify(this.frames)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; raw: ${this.raw.slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Waits for at least `count` frames of `type` and returns them. */
  async framesOf(type: string, count: number, timeoutMs = 5000): Promise<SseFrame[]> {
    await this.waitFor(
      (r) => r.frames.filter((f) => f.type === type).length >= count,
      timeoutMs,
      `${count} "${type}" frame(s)`,
    );
    return this.frames.filter((f) => f.type === type);
  }

  waitForEnd(timeoutMs = 5000): Promise<void> {
    return this.waitFor((r) => r.ended, timeoutMs, 'the end of the stream');
  }

  /** The cursor a reconnecting EventSource would send. */
  get cursor(): string {
    return this.lastEventId;
  }

  close(): void {
    this.request?.destroy();
    this.body?.destroy();
    this.finish();
  }

  private finish(): void {
    if (!this.ended) {
      this.ended = true;
      this.notify();
    }
  }

  private notify(): void {
    for (const waiter of this.waiters) {
      waiter();
    }
  }

  private feed(chunk: string): void {
    this.raw += chunk;
    this.pending += chunk;
    const lines = this.pending.split(/\r\n|\r|\n/);
    this.pending = lines.pop() ?? '';
    for (const line of lines) {
      this.line(line);
    }
    this.notify();
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) {
      this.comments++;
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    if (field === 'data') {
      this.data.push(value);
    } else if (field === 'event') {
      this.type = value;
    } else if (field === 'id' && !value.includes('\u0000')) {
      this.lastEventId = value;
    } else if (field === 'retry' && /^\d+$/.test(value)) {
      this.retry = Number(value);
    }
  }

  private dispatch(): void {
    const retry = this.retry;
    this.retry = undefined;
    if (this.data.length === 0) {
      this.type = '';
      if (retry !== undefined) {
        this.frames.push({ type: 'retry', data: '', lastEventId: this.lastEventId, retry });
      }
      return;
    }
    this.frames.push({
      type: this.type || 'message',
      data: this.data.join('\n'),
      lastEventId: this.lastEventId,
      retry,
    });
    this.type = '';
    this.data = [];
  }
}
