/**
 * Ripple as users run it: the compiled dist/main.js itself (npm run build), so the bench boots
 * exactly what `npm run start:prod` boots, whatever main.ts does (NestFactory.create with its
 * options, configureApp, shutdown hooks, listen on PORT/HOST). The app is captured by wrapping
 * NestFactory.create for the one call main.js makes, and the bench's in-process publisher calls
 * app.get(SseHub).publish('bench', payload).
 * (A copy of main.ts's steps here broke within the hour, when configureApp's signature changed.)
 * Environment from the orchestrator: PORT=0, HOST=127.0.0.1, RIPPLE_PRODUCERS=none,
 * RIPPLE_DRAIN_MS=0, and for the Redis scenarios RIPPLE_TRANSPORT=redis (or redis-cluster) with its
 * own key prefix.
 */
import { pathToFileURL } from 'node:url';
import { NestFactory } from '@nestjs/core';
import { serveBench } from '../lib/server-control.mjs';
import { TOPIC } from '../lib/payload.mjs';

// The run's snapshot of dist/ (see run.mjs), else dist/ itself. Both resolve @nestjs/core to the
// project's node_modules, the instance imported above.
const dist = process.env.RIPPLE_BENCH_DIST
  ? pathToFileURL(`${process.env.RIPPLE_BENCH_DIST}/`)
  : new URL('../../dist/', import.meta.url);

let app;
const create = NestFactory.create;
NestFactory.create = async function (...args) {
  const created = await create.apply(this, args);
  app ??= created;
  return created;
};
// main.js ends with `await bootstrap()`: the import settles once the app listens.
await import(new URL('main.js', dist).href);
NestFactory.create = create;
if (!app)
  throw new Error('dist/main.js did not create a Nest application through NestFactory.create');

const { SseHub } = await import(new URL('sse/index.js', dist).href);
const hub = app.get(SseHub);

serveBench(
  'ripple',
  {
    publish: (seq, t, p, topic = TOPIC) => hub.publish(topic, { s: seq, t, p }),
    // Ripple's Last-Event-ID is a cursor, `topic=id` for a one-topic stream.
    cursor: (seq, stored) => `${stored.topic}=${stored.id}`,
    subscribers: () => hub.connectionCount,
    close: () => app.close(),
  },
  app.getHttpServer().address().port,
);
