import { startBuilt, type BuiltApp } from './utils/built-app.js';
import { parseJsonLines, type JsonLogLine } from './utils/log-capture.js';
import { SseReader } from './utils/sse-reader.js';
import { ADAPTERS, post } from './utils/test-app.js';
import { until } from './utils/until.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function stop(app: BuiltApp): Promise<void> {
  app.child.kill('SIGTERM');
  await app.exited;
}

describe('the logs of the built service (e2e)', () => {
  it.each(ADAPTERS)(
    'are JSON lines in production: one per request, when it ends, with its id echoed to the client, on %s',
    async (adapter) => {
      const app = await startBuilt({
        RIPPLE_ADAPTER: adapter,
        NODE_ENV: 'production',
        RIPPLE_PRODUCERS: 'none',
        RIPPLE_HEARTBEAT_MS: '100',
      });
      const linesOf = (reqId: string): JsonLogLine[] =>
        parseJsonLines(app.output()).filter((line) => line.reqId === reqId);
      let madeId: string | null = null;
      try {
        const given = await fetch(`${app.url}/topics`, { headers: { 'x-request-id': 'trace-42' } });
        expect(given.headers.get('x-request-id')).toBe('trace-42');
        const made = await fetch(`${app.url}/topics`, { headers: { 'x-request-id': 'not an id' } });
        madeId = made.headers.get('x-request-id');
        expect(madeId).toMatch(UUID);
        expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);

        // A stream that gets 20 events and a few heartbeats, and says nothing in the log until it ends.
        const reader = await SseReader.open(`${app.url}/events?topic=logged`, {
          'x-request-id': 'stream-1',
        });
        expect(reader.headers['x-request-id']).toBe('stream-1');
        await reader.framesOf('retry', 1);
        for (let i = 0; i < 20; i++) {
          expect((await post(`${app.url}/events/logged`, { data: i })).status).toBe(201);
        }
        await reader.framesOf('logged', 20);
        await reader.waitFor((r) => r.comments >= 3, 2000, 'three heartbeats');
        expect(linesOf('stream-1')).toEqual([]);
        reader.close();
        await until(() => linesOf('stream-1').length > 0, 'the line of the stream, once it ended');
      } finally {
        await stop(app);
      }

      const lines = parseJsonLines(app.output());
      for (const line of lines) {
        expect(line).toMatchObject({
          level: expect.stringMatching(/^(info|warn|error)$/),
          time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          pid: app.child.pid,
          instance: expect.any(String),
        });
      }
      expect(lines).toContainEqual(
        expect.objectContaining({
          context: 'Ripple',
          msg: expect.stringMatching(/^Listening on http:/),
        }),
      );
      // The stream: one line, at its end, for all its events and heartbeats.
      expect(linesOf('stream-1')).toEqual([
        expect.objectContaining({
          level: 'info',
          req: expect.objectContaining({
            id: 'stream-1',
            method: 'GET',
            url: '/events?topic=logged',
          }),
          res: expect.objectContaining({ statusCode: 200 }),
          responseTime: expect.any(Number),
        }),
      ]);
      expect(linesOf('trace-42')).toEqual([
        expect.objectContaining({ req: expect.objectContaining({ url: '/topics' }) }),
      ]);
      expect(linesOf(madeId as string)).toHaveLength(1);
      const published = lines.filter((line) => line.req?.method === 'POST');
      expect(published).toHaveLength(20);
      expect(published.every((line) => line.res?.statusCode === 201)).toBe(true);
      // Health probes are logged at debug level only.
      expect(lines.filter((line) => line.req?.url.startsWith('/health'))).toEqual([]);
      // Written synchronously: the last lines before the exit are there.
      expect(lines.at(-1)?.msg).toMatch(/ending 0 open stream/);
    },
  );

  it('logs at the level the environment asks for: LOG_LEVEL=debug shows the health probes', async () => {
    const app = await startBuilt({ LOG_LEVEL: 'debug', RIPPLE_PRODUCERS: 'none' });
    try {
      await fetch(`${app.url}/health/live`, { headers: { 'x-request-id': 'probe-1' } });
      await until(
        () => parseJsonLines(app.output()).some((line) => line.reqId === 'probe-1'),
        'the probe’s line',
      );
    } finally {
      await stop(app);
    }
    expect(parseJsonLines(app.output()).filter((line) => line.reqId === 'probe-1')).toEqual([
      expect.objectContaining({
        level: 'debug',
        res: expect.objectContaining({ statusCode: 200 }),
      }),
    ]);
  });

  it('is pretty, not JSON, in development', async () => {
    const app = await startBuilt({ NODE_ENV: 'development', RIPPLE_PRODUCERS: 'none' });
    await stop(app);
    expect(app.output()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[Ripple\] Listening on http:/m);
    expect(() => parseJsonLines(app.output())).toThrow(/not a JSON object/);
  });

  it('says why a refused configuration stopped the start, in JSON too', async () => {
    const started = startBuilt({ NODE_ENV: 'production', RIPPLE_HISTORY_SIZE: 'lots' });
    started.then((app) => app.child.kill('SIGKILL')).catch(() => undefined);
    const err = await started.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    // The line as readableLog() renders a JSON line (Nest's plain format says `ERROR`).
    expect(err?.message).toMatch(
      /error \[ExceptionHandler\] Invalid configuration: RIPPLE_HISTORY_SIZE/,
    );
  });
});
