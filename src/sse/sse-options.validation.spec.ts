import { Test } from '@nestjs/testing';
import { SSE_DEFAULTS, SseModule, type SseModuleOptions } from './index.js';
import { SSE_OPTIONS } from './sse.constants.js';
import type { ResolvedSseOptions } from './sse-options.interface.js';

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
