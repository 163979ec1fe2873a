import { startBuilt, type BuiltApp } from './utils/built-app.js';
import { parseJsonLines } from './utils/log-capture.js';
import { getRequest, rawClient } from './utils/raw-http.js';
import { post } from './utils/test-app.js';
import { until } from './utils/until.js';

/**
 * Issue 13, item 9 (drop logs): a slow consumer's drop is logged with the request id of the
 * dropped stream, not with that of the POST whose event happened to overflow it.
 */
describe('the log line of a dropped stream (e2e)', () => {
  let app: BuiltApp;

  afterAll(async () => {
    app?.child.kill('SIGKILL');
    await app?.exited;
  });

  it("carries the stream's request id", async () => {
    app = await startBuilt({
      NODE_ENV: 'production',
      RIPPLE_PRODUCERS: 'none',
      RIPPLE_MAX_BUFFER_BYTES: String(64 * 1024),
    });
    const stalled = rawClient(
      app.url,
      getRequest(app.url, '/events?topic=drop', { headers: { 'X-Request-Id': 'stream-dropped' } }),
    );
    await until(() => stalled.received().includes('retry:'), 'the stream to open', 10_000);
    expect(stalled.received()).toMatch(/X-Request-Id: stream-dropped/i);
    stalled.socket.pause();

    const dropLines = () =>
      parseJsonLines(app.output()).filter((line) => /Dropped a stream/.test(line.msg ?? ''));
    const pad = 'x'.repeat(60 * 1024);
    // Parallel publishes of 60 KiB events, until the paused client's backlog passes the bound.
    for (let batch = 0; dropLines().length === 0; batch++) {
      if (batch > 200) {
        throw new Error('the stalled stream was never dropped');
      }
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          post(
            `${app.url}/events/drop`,
            { data: pad },
            { 'content-type': 'application/json', 'x-request-id': `post-${batch}-${i}` },
          ),
        ),
      );
    }
    await until(() => dropLines().length > 0, 'the drop to be logged');
    expect(dropLines()).toEqual([expect.objectContaining({ reqId: 'stream-dropped' })]);
    stalled.socket.destroy();
  }, 60_000);
});
