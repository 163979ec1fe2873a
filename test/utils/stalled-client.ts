import { connect, type Socket } from 'node:net';
import { until } from './until.js';

/** A client that opens a stream, reads its first bytes, then stops reading: its socket is paused. */
export async function stalledClient(
  url: string,
  path: string,
): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
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
