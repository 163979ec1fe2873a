import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a Redis that can lose one answer, as a connection that breaks just after
 * Redis ran a command does: armed with `loseNextAnswerTo(text)`, it forwards the next data from a
 * client that contains `text` (ioredis writes command names in lower case), waits for Redis's answer, drops it, and closes that client's
 * connection (and its own to Redis). Everything else, the client's reconnection included, passes
 * through as is.
 */
export class LossyProxy {
  private readonly sockets = new Set<Socket>();
  private armed?: { text: string; lost: () => void };

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {
    server.on('connection', (client) => this.pipe(client));
  }

  static async start(targetUrl: string): Promise<LossyProxy> {
    const url = new URL(targetUrl);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return new LossyProxy(server, { host: url.hostname, port: Number(url.port || 6379) });
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  /** Resolves once an answer to data containing `text` (in any case) was dropped. */
  loseNextAnswerTo(text: string): Promise<void> {
    return new Promise((resolve) => {
      this.armed = { text: text.toLowerCase(), lost: resolve };
    });
  }

  async close(): Promise<void> {
    this.sockets.forEach((socket) => socket.destroy());
    await new Promise((resolve) => this.server.close(resolve));
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.target);
    let losing: (() => void) | undefined;
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      if (this.armed && chunk.toString('latin1').toLowerCase().includes(this.armed.text)) {
        losing = this.armed.lost;
        this.armed = undefined;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (losing) {
        client.destroy();
        losing();
        return;
      }
      client.write(chunk);
    });
  }
}
