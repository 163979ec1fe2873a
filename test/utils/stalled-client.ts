import type { ClientHttp2Stream } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { h2cSession, isH2c } from './h2c.js';
import { until } from './until.js';

/**
 * A client that opens a stream, reads its first bytes, then stops reading: its socket is paused
 * (over h2c, its HTTP/2 stream, on the origin's session: its window fills, then the server's
 * stream, while the session's other streams go on).
 */
export async function stalledClient(
  url: string,
  path: string,
): Promise<{ socket: Socket | ClientHttp2Stream; received: () => string; closed: Promise<void> }> {
  if (isH2c(url)) {
    return stalledStream(url, path);
  }
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n\r\n`);
  await until(() => received.includes('retry:'), 'the stalled client to open');
  socket.pause();
  return { socket, received: () => received, closed };
}

async function stalledStream(
  url: string,
  path: string,
): Promise<{ socket: ClientHttp2Stream; received: () => string; closed: Promise<void> }> {
  const { pathname, search } = new URL(`${url}${path}`);
  const stream = h2cSession(url).request({
    ':path': pathname + search,
    accept: 'text/event-stream',
  });
  stream.end();
  stream.on('error', () => undefined);
  let received = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (received += chunk));
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  await until(() => received.includes('retry:'), 'the stalled stream to open');
  stream.pause();
  return { socket: stream, received: () => received, closed };
}
