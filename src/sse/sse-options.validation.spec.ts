import { Test } from '@nestjs/testing';
import { SSE_DEFAULTS, SseModule, type SseModuleOptions } from './index.js';
import { SSE_OPTIONS } from './sse.constants.js';
import type { ResolvedSseOptions } from './sse-options.interface.js';
import { resolveSseRoutes } from './sse-options.validation.js';

async function start(options: SseModuleOptions): Promise<ResolvedSseOptions> {
  const moduleRef = await Test.createTestingModule({
    imports: [SseModule.forRoot(options)],
  }).compile();
  try {
    return moduleRef.get<ResolvedSseOptions>(SSE_OPTIONS);
  } finally {
    await moduleRef.close();
  }
}

describe('SseModule options, checked when the module starts', () => {
  it('applies the defaults to what is not set (undefined counts as not set)', async () => {
    const options = await start({
      historySize: 5,
      heartbeatMs: undefined,
      auth: { cookieName: 'c' },
    });
    expect(options).toEqual({
      ...SSE_DEFAULTS,
      historySize: 5,
      auth: { ...SSE_DEFAULTS.auth, cookieName: 'c' },
    });
  });

  it.each<[SseModuleOptions, string]>([
    [{ heartbeatMs: 0 }, 'SseModule: heartbeatMs must be an integer >= 1 (got 0)'],
    [{ historySize: 1.5 }, 'SseModule: historySize must be an integer >= 1 (got 1.5)'],
    [{ maxConnections: -1 }, 'SseModule: maxConnections must be an integer >= 0 (got -1)'],
    [{ retryMs: '2000' as never }, 'SseModule: retryMs must be an integer >= 0 (got "2000")'],
    [{ drainMs: Number.NaN }, 'SseModule: drainMs must be an integer >= 0 (got NaN)'],
    [
      { backend: 'redis' as never },
      'SseModule: backend must be an SseBackend (MemoryBackend, RedisBackend, ...) (got "redis")',
    ],
    [
      { corsOrigins: 'https://a.example' as never },
      'SseModule: corsOrigins must be an array of strings',
    ],
    [
      { auth: { clockSkewSeconds: -5 } },
      'SseModule: auth.clockSkewSeconds must be an integer >= 0 (got -5)',
    ],
    [{ auth: { requireExp: 'no' as never } }, 'SseModule: auth.requireExp must be true or false'],
    [
      { auth: { secret: 'x'.repeat(32), jwksUrl: 'https://keys.example/jwks.json' } },
      'SseModule: set at most one token key, not auth.secret and auth.jwksUrl',
    ],
  ])('refuses to start with %j, naming the option', async (options, message) => {
    await expect(start(options)).rejects.toThrow(message);
  });

  it('accepts the defaults themselves', async () => {
    await expect(start({})).resolves.toEqual(SSE_DEFAULTS);
  });
});

describe('SseModule routes, checked when the module is imported', () => {
  it('mounts none by default, and trims the slashes of the paths it is given', () => {
    expect(resolveSseRoutes(undefined)).toBe(false);
    expect(resolveSseRoutes(false)).toBe(false);
    expect(resolveSseRoutes({ path: '/live/' })).toEqual({
      path: 'live',
      topicsPath: 'live/topics',
    });
    expect(resolveSseRoutes({ path: 'api/v1.live', topicsPath: '/topics' })).toEqual({
      path: 'api/v1.live',
      topicsPath: 'topics',
    });
    expect(resolveSseRoutes({ path: 'live', topicsPath: false })).toEqual({
      path: 'live',
      topicsPath: false,
    });
  });

  it.each<[unknown, string]>([
    [true, 'SseModule: routes must be false or { path, topicsPath? } (got true)'],
    [
      {},
      'SseModule: routes.path must be a path of letters, digits and -._~ segments (got undefined)',
    ],
    [{ path: '' }, 'SseModule: routes.path must be a path'],
    [{ path: '/' }, 'SseModule: routes.path must be a path'],
    [{ path: 'live/:topic' }, 'SseModule: routes.path must be a path'],
    [{ path: 'a//b' }, 'SseModule: routes.path must be a path'],
    [{ path: 'a/../b' }, 'SseModule: routes.path must be a path'],
    [{ path: 'live', topicsPath: 'to pics' }, 'SseModule: routes.topicsPath must be a path'],
    [
      { path: 'live', topicsPath: '/live' },
      'SseModule: routes.topicsPath must be another path than routes.path (got "live")',
    ],
  ])('refuses routes %j when forRoot is called, naming the option', (routes, message) => {
    expect(() => SseModule.forRoot({ routes: routes as never })).toThrow(message);
    expect(() =>
      SseModule.forRootAsync({ routes: routes as never, useFactory: () => ({}) }),
    ).toThrow(message);
  });

  it('refuses routes returned by a forRootAsync factory, which comes too late to mount them', async () => {
    const moduleRef = Test.createTestingModule({
      imports: [
        SseModule.forRootAsync({
          useFactory: () => ({ routes: { path: 'live' } }) as SseModuleOptions,
        }),
      ],
    }).compile();
    await expect(moduleRef).rejects.toThrow(
      'SseModule: routes is given beside useFactory, forRootAsync({ routes, useFactory })',
    );
  });
});
