import { SseReader } from './utils/sse-reader.js';
import { startApp, type TestApp } from './utils/test-app.js';

/**
 * Issue 13, item 9 (heartbeat): an idle connection hears a comment every RIPPLE_HEARTBEAT_MS,
 * not every other period (the heartbeat counted as a write and made the next tick skip).
 */
describe('the idle heartbeat (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ RIPPLE_HEARTBEAT_MS: '200' });
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['a one-topic stream', '/events?topic=idle'],
    ['a two-topic stream', '/events?topic=idle&topic=quiet'],
  ])('comes every period on %s', async (_, path) => {
    const reader = await SseReader.open(`${t.url}${path}`);
    try {
      await reader.framesOf('retry', 1);
      // 12.5 periods in 2.5 s; every other period gives about 6. Counted, with room for a slow
      // machine's late ticks.
      await reader
        .waitFor((r) => r.comments >= 8, 2500, '8 heartbeats in 2.5 s')
        .catch((err: Error) => {
          throw new Error(`${err.message}: ${reader.comments} heard`);
        });
    } finally {
      reader.close();
    }
  });
});
