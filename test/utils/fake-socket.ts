import { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';

/** What a net.Socket's writable side holds by default in Node 20 before `write()` returns false. */
export const SOCKET_HIGH_WATER_MARK = 16 * 1024;

/**
 * A client's TCP connection, as the server's side of it sees it, with the client played by the
 * test: while the client reads, every byte written reaches `received` at once; once it stops,
 * bytes wait in the socket (`writableLength`), `write()` returns false past the high-water mark
 * and `'drain'` comes only when the test lets the client read again. It is a real Duplex, so
 * cork, backpressure, `writableNeedDrain`, destroy and `'close'` behave as Node's streams do.
 */
export class FakeSocket extends Duplex {
  /** What the client has read so far. */
  received = '';
  /** Errors the socket was destroyed with (the HTTP server listens for them the same way). */
  readonly errors: Error[] = [];
  /** Chunks handed to the socket: one per `_write`, so a corked burst is one. */
  writes = 0;
  private reading = true;
  /** The chunk the socket is "sending" while the client does not read, and its callback. */
  private readonly unread: { chunk: Buffer; done: () => void }[] = [];

  constructor(highWaterMark = SOCKET_HIGH_WATER_MARK) {
    super({ writableHighWaterMark: highWaterMark, read: () => undefined });
    this.on('error', (err: Error) => this.errors.push(err));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.accept(chunk, done);
  }

  override _writev(chunks: { chunk: Buffer }[], done: () => void): void {
    this.accept(Buffer.concat(chunks.map((c) => c.chunk)), done);
  }

  private accept(chunk: Buffer, done: () => void): void {
    this.writes++;
    if (this.reading) {
      this.received += chunk.toString();
      done();
    } else {
      this.unread.push({ chunk, done });
    }
  }

  /** The client stops reading: what is written from now on waits in the socket. */
  stopReading(): void {
    this.reading = false;
  }

  /** The client reads everything that waits (`'drain'` follows if a write returned false) and goes on reading. */
  resumeReading(): void {
    this.reading = true;
    this.readWaiting();
  }

  /** The client reads what waits now, then stops again. */
  readWaiting(): void {
    // Each callback lets Node hand the socket its next buffered chunk, synchronously.
    for (let next = this.unread.shift(); next; next = this.unread.shift()) {
      this.received += next.chunk.toString();
      next.done();
    }
  }

  /** What the client has read after the response's head (the status line and headers). */
  get body(): string {
    const end = this.received.indexOf('\r\n\r\n');
    return end < 0 ? '' : this.received.slice(end + 4);
  }

  /** The response's head (status line and headers) as the client read it. */
  get head(): string {
    const end = this.received.indexOf('\r\n\r\n');
    return end < 0 ? '' : this.received.slice(0, end + 4);
  }

  // What ServerResponse and the writer call on a net.Socket besides the stream's own methods.
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

/** A request as the HTTP server would have parsed it, on `socket`. */
export function fakeRequest(
  socket: FakeSocket,
  { method = 'GET', httpVersion = '1.1' }: { method?: string; httpVersion?: '1.0' | '1.1' } = {},
): IncomingMessage {
  const request = new IncomingMessage(socket as never);
  request.method = method;
  request.url = '/events';
  request.httpVersion = httpVersion;
  request.httpVersionMajor = 1;
  request.httpVersionMinor = httpVersion === '1.0' ? 0 : 1;
  return request;
}

/**
 * Node's own ServerResponse for `request`, writing to `socket` as the HTTP server has it write:
 * its bytes (status line, headers, chunked framing) are Node's. `queued` leaves it without its
 * socket, as a response pipelined behind another on its connection is until that one ends
 * (`assignSocket` then gives it its turn).
 */
export function fakeResponse(
  request: IncomingMessage,
  socket: FakeSocket,
  { queued = false }: { queued?: boolean } = {},
): ServerResponse {
  const response = new ServerResponse(request);
  // Without a Date header, the head is the same bytes every time.
  response.sendDate = false;
  // The server forwards its socket's drain to the response whose turn it is (socketOnDrain).
  socket.on('drain', () => {
    if ((response.socket as unknown) === socket && response.writableNeedDrain) {
      clearNeedDrain(response);
      response.emit('drain');
    }
  });
  if (!queued) {
    response.assignSocket(socket as never);
  }
  return response;
}

/** What Node's socketOnDrain does before it tells the response: it needs a drain no more. */
function clearNeedDrain(response: ServerResponse): void {
  const needDrain = Object.getOwnPropertySymbols(response).find(
    (symbol) => symbol.description === 'kNeedDrain',
  );
  if (needDrain) {
    (response as unknown as Record<symbol, boolean>)[needDrain] = false;
  }
}
