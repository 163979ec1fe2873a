import { connect, type Socket } from 'node:net';

/** One raw client socket and everything it has received so far, as text. */
export interface RawClient {
  socket: Socket;
  received(): string;
  /** Resolves when the socket has closed, whoever closed it. */
  closed: Promise<void>;
}

/**
 * A TCP connection to the app that sends `request` as it is (one or more requests, pipelined or
 * not): tests of what Node's HTTP client would never send, or would send only after a while.
 */
export function rawClient(url: string, request?: string): RawClient {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  // A test that resets or destroys the socket expects what follows.
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  if (request !== undefined) {
    socket.write(request);
  }
  return { socket, received: () => received, closed };
}

/** A GET request line and headers for `path`, ending the head (no body). */
export function getRequest(
  url: string,
  path: string,
  { method = 'GET', version = '1.1', headers = {} as Record<string, string> } = {},
): string {
  const { host } = new URL(url);
  const lines = [`${method} ${path} HTTP/${version}`, `Host: ${host}`];
  for (const [name, value] of Object.entries(headers)) {
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** The status line and headers of each response in a raw answer (lower-cased header names). */
export function responseHeads(raw: string): { status: number; headers: Record<string, string> }[] {
  const heads: { status: number; headers: Record<string, string> }[] = [];
  for (const match of raw.matchAll(/HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n/g)) {
    const headers: Record<string, string> = {};
    for (const line of match[2].split('\r\n').filter(Boolean)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    heads.push({ status: Number(match[1]), headers });
  }
  return heads;
}

/** Ends the connection at once with a TCP RST rather than a FIN. */
export function reset(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function' && socket.readyState === 'open') {
    socket.resetAndDestroy();
  } else {
    socket.destroy();
  }
}

export function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}
