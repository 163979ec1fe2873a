import { describe, expect, it } from '@jest/globals';
import { RedisBackend, RedisClusterBackend } from './index.js';

describe('Redis backends’ options', () => {
  it.each<[() => unknown, string]>([
    [() => new RedisBackend({ url: ' ' }), 'RedisBackend: url must be a redis:// URL (got " ")'],
    [
      () => new RedisBackend({ commandTimeoutMs: 0 }),
      'RedisBackend: commandTimeoutMs must be an integer >= 1 (got 0)',
    ],
    [
      () => new RedisBackend({ keyPrefix: 5 as never }),
      'RedisBackend: keyPrefix must be a string (got 5)',
    ],
    [
      () => new RedisClusterBackend({ nodes: [] }),
      'RedisClusterBackend: nodes must be one or more redis:// URLs (got [])',
    ],
  ])('refuses %s, naming the option', (make, message) => {
    expect(make).toThrow(message);
  });

  it('opens no connection until the module builds its seams', async () => {
    const backend = new RedisBackend({ url: 'redis://127.0.0.1:1' });
    expect(backend.connectionStates()).toEqual({});
    // Nothing was opened, so a shutdown has nothing to close and returns at once.
    await expect(backend.onApplicationShutdown()).resolves.toBeUndefined();
  });
});
