import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
// Every import README documents, so that a broken entry point fails here.
import { RippleSse, SseHub, SseModule } from 'nestjs-ripple';
import { Producer, ProducersModule } from 'nestjs-ripple/producers';
import { AppModule } from '../src/app.module.js';
import { OrdersService } from '../src/orders.service.js';

interface Frame {
  id?: string;
  event?: string;
  data?: string;
}

/** Reads SSE frames off a fetch response until one matches, or fails after the timeout. */
class FrameReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';

  constructor(response: Response) {
    assert.ok(response.body, 'the stream has a body');
    this.reader = response.body.getReader();
  }

  async until(match: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let end: number;
      while ((end = this.buffer.indexOf('\n\n')) >= 0) {
        const raw = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const frame: Frame = {};
        for (const line of raw.split('\n')) {
          const colon = line.indexOf(':');
          if (colon <= 0) continue;
          const field = line.slice(0, colon) as keyof Frame;
          const value = line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id' || field === 'event' || field === 'data') frame[field] = value;
        }
        if (match(frame)) return frame;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no matching frame in time');
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        this.reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no matching frame in time')), left);
        }),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) throw new Error('the stream ended');
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}

let app: INestApplication;
let base: string;

before(async () => {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  app = moduleRef.createNestApplication();
  await app.listen(0, '127.0.0.1');
  base = await app.getUrl();
});

after(async () => {
  await app?.close();
});

test('the public API is importable from the package', () => {
  for (const value of [RippleSse, SseHub, SseModule, Producer, ProducersModule]) {
    assert.equal(typeof value, 'function');
  }
  // One copy of Nest: the hub the app resolves is the class this file imported.
  assert.ok(app.get(SseHub) instanceof SseHub);
});

test('the module mounts no route of its own unless asked', async () => {
  const response = await fetch(`${base}/events/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ data: 1 }),
  });
  assert.equal(response.status, 404);
});

test('with routes, the module answers its refusals as JSON (one copy of @nestjs/* in the app)', async () => {
  const moduleRef = await Test.createTestingModule({
    imports: [SseModule.forRoot({ routes: { path: 'live' } })],
  }).compile();
  const host = moduleRef.createNestApplication();
  await host.listen(0, '127.0.0.1');
  try {
    const url = await host.getUrl();
    const publish = (body: string) =>
      fetch(`${url}/live/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    assert.equal((await publish(JSON.stringify({ data: 1 }))).status, 201);
    const bad = await publish(JSON.stringify({ nodata: true }));
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { statusCode: number; error: string; message: unknown };
    assert.equal(body.statusCode, 400);
    assert.equal(body.error, 'Bad Request');
    assert.equal(typeof body.message, 'string');
    // Past Nest's default parser (100 kB), which reads it first: the module's shape all the same.
    const large = await publish(JSON.stringify({ data: 'x'.repeat(200 * 1024) }));
    assert.equal(large.status, 413);
    assert.deepEqual(await large.json(), {
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'The body is larger than the limit of 102400 bytes',
    });
  } finally {
    await host.close();
  }
});

test('@RippleSse() streams what the service publishes, and resumes from Last-Event-ID', async () => {
  const orders = app.get(OrdersService);

  const first = await fetch(`${base}/orders/live`);
  assert.equal(first.status, 200);
  assert.match(first.headers.get('content-type') ?? '', /^text\/event-stream/);
  const live = new FrameReader(first);
  // The opening frame carries the starting cursor: the stream is subscribed from here on.
  await live.until((frame) => frame.id !== undefined);
  const one = await orders.placed({ id: 1, item: 'tea' });
  const received = await live.until((frame) => frame.event === 'placed');
  assert.deepEqual(JSON.parse(received.data ?? ''), { id: 1, item: 'tea' });
  assert.ok(received.id, 'the event carries a cursor');
  await live.close();

  // Published while the client is away: the reconnect with the last cursor gets it, and not #1.
  await orders.placed({ id: 2, item: 'cake' });
  const again = await fetch(`${base}/orders/live`, { headers: { 'last-event-id': received.id } });
  assert.equal(again.status, 200);
  const resumed = new FrameReader(again);
  const missed = await resumed.until((frame) => frame.event === 'placed');
  assert.deepEqual(JSON.parse(missed.data ?? ''), { id: 2, item: 'cake' });
  assert.notEqual(missed.id, one.id);
  await resumed.close();
});
