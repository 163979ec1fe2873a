import { InvalidConfigError, parseRippleEnv } from './ripple.config.js';

describe('configuration from the environment', () => {
  it('has a default for everything', () => {
    const config = parseRippleEnv({});
    expect(config).toMatchObject({
      port: 3000,
      transport: 'memory',
      redisUrl: 'redis://127.0.0.1:6379',
      historySize: 1000,
      heartbeatMs: 15_000,
      maxPayloadBytes: 1024 * 1024,
      producers: ['clock', 'ticker', 'system'],
    });
    expect(config.instanceId).toMatch(/:\d+$/);
  });

  it('reads what is set, and treats an empty variable as unset', () => {
    const config = parseRippleEnv({
      PORT: '8080',
      RIPPLE_HISTORY_SIZE: '50',
      RIPPLE_PRODUCERS: ' clock , system ',
      RIPPLE_HEARTBEAT_MS: '',
    });
    expect(config).toMatchObject({ port: 8080, historySize: 50, heartbeatMs: 15_000 });
    expect(config.producers).toEqual(['clock', 'system']);
    expect(parseRippleEnv({ RIPPLE_PRODUCERS: 'none' }).producers).toEqual([]);
  });

  it.each([
    ['PORT', 'http'],
    ['PORT', '70000'],
    ['RIPPLE_TRANSPORT', 'kafka'],
    ['REDIS_URL', 'http://example'],
    ['RIPPLE_HISTORY_SIZE', '0'],
    ['RIPPLE_HISTORY_SIZE', '1.5'],
    ['RIPPLE_HEARTBEAT_MS', '10'],
    ['RIPPLE_MAX_PAYLOAD_BYTES', '-1'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => parseRippleEnv({ [name]: value })).toThrow(InvalidConfigError);
    expect(() => parseRippleEnv({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('names every bad variable at once', () => {
    expect(() => parseRippleEnv({ PORT: 'x', RIPPLE_RETRY_MS: 'y' })).toThrow(
      /PORT:.*; RIPPLE_RETRY_MS:/,
    );
  });
});
