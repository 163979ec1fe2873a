import { SseReader } from './utils/sse-reader.js';
import { startBuilt } from './utils/built-app.js';

describe('the built service, as users run it (e2e)', () => {
  it('serves every route, and exits promptly on SIGTERM with clients connected', async () => {
    const app = await startBuilt({ RIPPLE_PRODUCERS: 'clock,ticker,system' });
    try {
      const page = await fetch(`${app.url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
      expect((await fetch(`${app.url}/vendor/uplot/uPlot.esm.js`)).status).toBe(200);
      expect(await (await fetch(`${app.url}/health`)).json()).toMatchObject({ status: 'ok' });
      const topics = (await (await fetch(`${app.url}/topics`)).json()) as {
        topics: { topic: string; producer: string | null }[];
      };
      expect(topics.topics.filter((x) => x.producer).map((x) => x.topic)).toEqual([
        'clock',
        'system',
        'ticker',
      ]);

      const readers = await Promise.all(
        ['clock', 'ticker', 'system'].map((topic) =>
          SseReader.open(`${app.url}/events?topic=${topic}`),
        ),
      );
      await Promise.all(
        readers.map((r, i) => r.framesOf(['clock', 'ticker', 'system'][i], 1, 5000)),
      );
      const asyncDemo = await SseReader.open(`${app.url}/async`);
      await asyncDemo.framesOf('message', 1);

      const started = Date.now();
      app.child.kill('SIGTERM');
      // Nest re-raises the signal once the app is closed, so the exit is by SIGTERM, after a
      // shutdown that ended every stream.
      expect([0, 'SIGTERM']).toContain(await app.exited);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(app.output()).toMatch(/ending 3 open stream\(s\)/);
      await Promise.all([...readers, asyncDemo].map((r) => r.waitForEnd(1000)));
    } finally {
      app.child.kill('SIGKILL');
    }
  });

  it.each([
    [{ RIPPLE_HISTORY_SIZE: 'lots' }, /RIPPLE_HISTORY_SIZE/],
    [{ RIPPLE_PRODUCERS: 'clock,nope' }, /Unknown producer "nope"/],
  ])('refuses to start on %j, naming the problem', async (env, message) => {
    const started = startBuilt(env);
    // Should it start after all, it must not outlive the test.
    started.then((app) => app.child.kill('SIGKILL')).catch(() => undefined);
    await expect(started).rejects.toThrow(message);
  });
});
