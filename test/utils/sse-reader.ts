import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

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
  private response?: IncomingMessage;
  private pending = '';
  private lastEventId = '';
  private type = '';
  private data: string[] = [];
  private retry?: number;
  private readonly waiters = new Set<() => void>();
  private readonly req;

  private constructor(url: string, headers: Record<string, string>) {
    this.req = request(url, { headers: { accept: 'text/event-stream', ...headers } });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const reader = new SseReader(url, headers);
    return new Promise((resolve, reject) => {
      reader.req.on('response', (res) => {
        reader.response = res;
        reader.status = res.statusCode ?? 0;
        reader.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => reader.feed(chunk));
        res.on('end', () => reader.finish());
        res.on('close', () => reader.finish());
        res.on('error', () => reader.finish());
        resolve(reader);
      });
      reader.req.on('error', reject);
      reader.req.end();
    });
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
    this.req.destroy();
    this.response?.destroy();
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
