import { fileURLToPath } from 'node:url';
import { generateKeyPairSync } from 'node:crypto';
import { InvalidConfigError, logSettingsFromEnv, parseRippleEnv } from './ripple.config.js';
import { SSE_DEFAULTS } from '../sse/index.js';
import { REDIS_DEFAULTS } from '../sse/redis/index.js';

describe('configuration from the environment', () => {
  it('has a default for everything', () => {
    const config = parseRippleEnv({});
    expect(config).toMatchObject({
      port: 3000,
      adapter: 'express',
      transport: 'memory',
      redisUrl: 'redis://127.0.0.1:6379',
      historySize: 1000,
      replayPageSize: 100,
      heartbeatMs: 15_000,
      maxPayloadBytes: 1024 * 1024,
      producers: ['clock', 'ticker', 'system'],
      metricsMaxTopics: 100,
      metricsPort: 9464,
      topicsMaxTracked: 1000,
      metricsHost: '127.0.0.1',
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
    ['RIPPLE_ADAPTER', 'koa'],
    ['REDIS_URL', 'http://example'],
    ['RIPPLE_HISTORY_SIZE', '0'],
    ['RIPPLE_HISTORY_SIZE', '1.5'],
    ['RIPPLE_REPLAY_PAGE_SIZE', '0'],
    ['RIPPLE_HEARTBEAT_MS', '10'],
    ['RIPPLE_MAX_PAYLOAD_BYTES', '-1'],
    ['RIPPLE_MAX_BATCH_EVENTS', '0'],
    ['RIPPLE_MAX_BATCH_BYTES', '0'],
    ['RIPPLE_METRICS_MAX_TOPICS', '-1'],
    ['RIPPLE_METRICS_PORT', 'public'],
    ['RIPPLE_TOPICS_MAX_TRACKED', '-1'],
    ['RIPPLE_JWT_REQUIRE_EXP', 'sometimes'],
    ['RIPPLE_METRICS_PORT', '65536'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => parseRippleEnv({ [name]: value })).toThrow(InvalidConfigError);
    expect(() => parseRippleEnv({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('turns HTTP/2 on only with Fastify, over TLS with a certificate and its key, else h2c', () => {
    expect(parseRippleEnv({})).toMatchObject({
      http2: false,
      http2MaxStreams: 128,
      tls: undefined,
    });
    expect(parseRippleEnv({ RIPPLE_ADAPTER: 'fastify', RIPPLE_HTTP2: 'true' })).toMatchObject({
      http2: true,
      tls: undefined,
    });
    // Any readable file passes the check; what is in it is TLS's to judge, at listen.
    const file = fileURLToPath(import.meta.url);
    expect(
      parseRippleEnv({
        RIPPLE_ADAPTER: 'fastify',
        RIPPLE_HTTP2: 'true',
        RIPPLE_TLS_CERT: file,
        RIPPLE_TLS_KEY: file,
      }).tls,
    ).toEqual({ certFile: file, keyFile: file });
    const refused: [Record<string, string>, RegExp][] = [
      [{ RIPPLE_HTTP2: 'true' }, /RIPPLE_HTTP2: needs RIPPLE_ADAPTER=fastify/],
      [{ RIPPLE_ADAPTER: 'fastify', RIPPLE_HTTP2: 'yes please' }, /RIPPLE_HTTP2:/],
      [{ RIPPLE_HTTP2_MAX_STREAMS: '0' }, /RIPPLE_HTTP2_MAX_STREAMS:/],
      [
        { RIPPLE_ADAPTER: 'fastify', RIPPLE_TLS_CERT: file, RIPPLE_TLS_KEY: file },
        /RIPPLE_TLS_CERT: needs RIPPLE_HTTP2=true/,
      ],
      [
        { RIPPLE_ADAPTER: 'fastify', RIPPLE_HTTP2: 'true', RIPPLE_TLS_CERT: file },
        /RIPPLE_TLS_CERT: set both RIPPLE_TLS_CERT and RIPPLE_TLS_KEY/,
      ],
      [
        {
          RIPPLE_ADAPTER: 'fastify',
          RIPPLE_HTTP2: 'true',
          RIPPLE_TLS_CERT: file,
          RIPPLE_TLS_KEY: '/nonexistent/ripple.key',
        },
        /RIPPLE_TLS_KEY: the path of a readable file/,
      ],
    ];
    for (const [env, message] of refused) {
      expect(() => parseRippleEnv(env)).toThrow(message);
    }
  });

  it('runs on Express unless asked for Fastify, and says which values it takes', () => {
    expect(parseRippleEnv({ RIPPLE_ADAPTER: 'fastify' }).adapter).toBe('fastify');
    expect(() => parseRippleEnv({ RIPPLE_ADAPTER: 'Fastify' })).toThrow(
      /RIPPLE_ADAPTER: express or fastify/,
    );
  });

  it('serves metrics on a port of its own, the main port, or nowhere', () => {
    expect(parseRippleEnv({ RIPPLE_METRICS_PORT: '0' }).metricsPort).toBe(0);
    expect(parseRippleEnv({ RIPPLE_METRICS_PORT: 'main' }).metricsPort).toBe('main');
    expect(parseRippleEnv({ RIPPLE_METRICS_PORT: 'off' }).metricsPort).toBe('off');
  });

  it('takes a list of seed nodes for redis-cluster, and only for it', () => {
    const seeds = ' redis://10.0.0.1:7000 ,redis://10.0.0.2:7000,';
    expect(parseRippleEnv({ RIPPLE_TRANSPORT: 'redis-cluster', REDIS_URL: seeds })).toMatchObject({
      transport: 'redis-cluster',
      redisUrl: 'redis://10.0.0.1:7000,redis://10.0.0.2:7000',
    });
    expect(() => parseRippleEnv({ RIPPLE_TRANSPORT: 'redis', REDIS_URL: seeds })).toThrow(
      /REDIS_URL: a list of seed nodes needs RIPPLE_TRANSPORT=redis-cluster/,
    );
    expect(() =>
      parseRippleEnv({ RIPPLE_TRANSPORT: 'redis-cluster', REDIS_URL: 'redis://a:1,http://b:2' }),
    ).toThrow(/REDIS_URL:/);
    expect(() =>
      parseRippleEnv({ RIPPLE_TRANSPORT: 'redis-cluster', REDIS_URL: 'redis://a:1,rediss://b:2' }),
    ).toThrow(/REDIS_URL: seed nodes all redis:\/\/ or all rediss:\/\//);
  });

  it('names every bad variable at once', () => {
    expect(() => parseRippleEnv({ PORT: 'x', RIPPLE_RETRY_MS: 'y' })).toThrow(
      /PORT:.*; RIPPLE_RETRY_MS:/,
    );
  });
});

describe('auth configuration from the environment', () => {
  const SECRET = 'x'.repeat(32);
  const rsaPem = () =>
    generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    }) as string;

  it('has no key, no private topic and no CORS origin by default', () => {
    expect(parseRippleEnv({})).toMatchObject({
      auth: {
        secret: undefined,
        publicKey: undefined,
        jwksUrl: undefined,
        clockSkewSeconds: 30,
        cookieName: 'ripple_token',
        privateTopics: [],
        queryTokenMaxTtlSeconds: 300,
        requireExp: true,
      },
      corsOrigins: [],
    });
  });

  it('reads every auth variable', () => {
    const config = parseRippleEnv({
      RIPPLE_JWT_SECRET: SECRET,
      RIPPLE_JWT_AUDIENCE: 'ripple',
      RIPPLE_JWT_ISSUER: 'https://id.example',
      RIPPLE_JWT_CLOCK_SKEW_S: '5',
      RIPPLE_JWT_COOKIE: 'sess',
      RIPPLE_JWT_QUERY_MAX_TTL_S: '60',
      RIPPLE_JWT_REQUIRE_EXP: 'false',
      RIPPLE_PRIVATE_TOPICS: 'private.*, *.secret ,vault',
      RIPPLE_CORS_ORIGINS: 'https://app.example,http://localhost:5173,*',
    });
    expect(config.auth).toEqual({
      secret: SECRET,
      publicKey: undefined,
      jwksUrl: undefined,
      audience: 'ripple',
      issuer: 'https://id.example',
      clockSkewSeconds: 5,
      cookieName: 'sess',
      privateTopics: ['private.*', '*.secret', 'vault'],
      queryTokenMaxTtlSeconds: 60,
      requireExp: false,
    });
    expect(config.corsOrigins).toEqual(['https://app.example', 'http://localhost:5173', '*']);
  });

  it('takes a PEM public key as is or on one line with \\n escapes, and a JWKS URL', () => {
    const pem = rsaPem();
    expect(parseRippleEnv({ RIPPLE_JWT_PUBLIC_KEY: pem }).auth.publicKey).toBe(pem.trim());
    expect(
      parseRippleEnv({ RIPPLE_JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n') }).auth.publicKey,
    ).toBe(pem.trim());
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    }) as string;
    expect(parseRippleEnv({ RIPPLE_JWT_PUBLIC_KEY: ec }).auth.publicKey).toBe(ec.trim());
    expect(
      parseRippleEnv({ RIPPLE_JWKS_URL: 'https://id.example/.well-known/jwks.json' }).auth.jwksUrl,
    ).toBe('https://id.example/.well-known/jwks.json');
  });

  it.each([
    ['RIPPLE_JWT_SECRET', 'too-short'],
    ['RIPPLE_JWT_PUBLIC_KEY', 'not a key'],
    [
      'RIPPLE_JWT_PUBLIC_KEY',
      generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string,
    ],
    [
      'RIPPLE_JWT_PUBLIC_KEY',
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      }) as string,
    ],
    ['RIPPLE_JWKS_URL', 'ftp://id.example/jwks'],
    ['RIPPLE_JWKS_URL', 'not a url'],
    ['RIPPLE_JWT_CLOCK_SKEW_S', '-1'],
    ['RIPPLE_JWT_CLOCK_SKEW_S', '3601'],
    ['RIPPLE_JWT_COOKIE', 'my token'],
    ['RIPPLE_JWT_COOKIE', 'a;b'],
    ['RIPPLE_JWT_QUERY_MAX_TTL_S', '0'],
    ['RIPPLE_CORS_ORIGINS', 'https://app.example/'],
    ['RIPPLE_CORS_ORIGINS', 'https://app.example/path'],
    ['RIPPLE_CORS_ORIGINS', 'app.example'],
    ['RIPPLE_CORS_ORIGINS', 'null'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    // A key, so that what needs one is checked; but not a second one.
    const isKey = name === 'RIPPLE_JWT_PUBLIC_KEY' || name === 'RIPPLE_JWKS_URL';
    const env: Record<string, string> = isKey
      ? { [name]: value }
      : { RIPPLE_JWT_SECRET: SECRET, [name]: value };
    expect(() => parseRippleEnv(env)).toThrow(InvalidConfigError);
    expect(() => parseRippleEnv(env)).toThrow(new RegExp(`${name}(\\.\\d+)?:`));
  });

  it('refuses a private topic pattern that is not one, naming the variable', () => {
    expect(() =>
      parseRippleEnv({ RIPPLE_JWT_SECRET: SECRET, RIPPLE_PRIVATE_TOPICS: 'ok.*,bad topic' }),
    ).toThrow(/RIPPLE_PRIVATE_TOPICS\.1: a topic name/);
  });

  it('refuses more than one key', () => {
    expect(() =>
      parseRippleEnv({ RIPPLE_JWT_SECRET: SECRET, RIPPLE_JWKS_URL: 'https://id.example/jwks' }),
    ).toThrow(/RIPPLE_JWKS_URL: set only one of RIPPLE_JWT_SECRET, RIPPLE_JWKS_URL/);
    expect(() =>
      parseRippleEnv({ RIPPLE_JWT_SECRET: SECRET, RIPPLE_JWT_PUBLIC_KEY: rsaPem() }),
    ).toThrow(/RIPPLE_JWT_PUBLIC_KEY: set only one/);
  });

  it.each([
    ['RIPPLE_PRIVATE_TOPICS', 'private.*'],
    ['RIPPLE_JWT_AUDIENCE', 'ripple'],
    ['RIPPLE_JWT_ISSUER', 'https://id.example'],
  ])('refuses %s without a key to check tokens with', (name, value) => {
    expect(() => parseRippleEnv({ [name]: value })).toThrow(
      new RegExp(`${name}: needs a token key`),
    );
  });

  it('never repeats a secret in its message', () => {
    const secret = 'short-secret';
    expect(() => parseRippleEnv({ RIPPLE_JWT_SECRET: secret })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(secret) }),
    );
  });

  it('reads the log level from RIPPLE_LOG_LEVEL, else LOG_LEVEL, in any case', () => {
    expect(parseRippleEnv({}).logging).toEqual({ level: 'info' });
    expect(parseRippleEnv({ LOG_LEVEL: 'DEBUG' }).logging.level).toBe('debug');
    expect(parseRippleEnv({ LOG_LEVEL: 'debug', RIPPLE_LOG_LEVEL: 'warn' }).logging.level).toBe(
      'warn',
    );
    expect(parseRippleEnv({ NODE_ENV: 'production', RIPPLE_LOG_FORMAT: 'pretty' }).logging).toEqual(
      { level: 'info', format: 'pretty', nodeEnv: 'production' },
    );
  });

  it.each([
    ['RIPPLE_LOG_LEVEL', 'loud'],
    ['LOG_LEVEL', 'verbose'],
    ['RIPPLE_LOG_FORMAT', 'xml'],
  ])('refuses %s=%s, naming the variable and the choices', (name, value) => {
    expect(() => parseRippleEnv({ [name]: value })).toThrow(new RegExp(`${name}: .*`));
    if (name !== 'RIPPLE_LOG_FORMAT') {
      expect(() => parseRippleEnv({ [name]: value })).toThrow(/one of fatal, error, warn, info/);
    }
  });

  it('gives the log settings of an environment that is otherwise invalid, for the boot logger', () => {
    expect(
      logSettingsFromEnv({
        RIPPLE_HISTORY_SIZE: 'lots',
        RIPPLE_LOG_LEVEL: 'loud',
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
      }),
    ).toEqual({ level: 'warn', nodeEnv: 'production' });
  });
});

describe("the configuration's defaults", () => {
  it("are SseModule's, for every variable that sets a module option", () => {
    const config = parseRippleEnv({});
    expect({
      historySize: config.historySize,
      memoryHistoryMaxBytes: config.memoryHistoryMaxBytes,
      idempotencyWindowMs: config.idempotencyWindowMs,
      idempotencyMaxKeys: config.idempotencyMaxKeys,
      replayPageSize: config.replayPageSize,
      frameCacheBytes: config.frameCacheBytes,
      heartbeatMs: config.heartbeatMs,
      retryMs: config.retryMs,
      maxTopicsPerConnection: config.maxTopicsPerConnection,
      maxPayloadBytes: config.maxPayloadBytes,
      maxBatchEvents: config.maxBatchEvents,
      maxBatchBytes: config.maxBatchBytes,
      maxBufferBytes: config.maxBufferBytes,
      writeTimeoutMs: config.writeTimeoutMs,
      maxConnectionAgeMs: config.maxConnectionAgeMs,
      maxConnections: config.maxConnections,
      maxConnectionsPerIp: config.maxConnectionsPerIp,
      maxPipelinedStreams: config.maxPipelinedStreams,
      drainMs: config.drainMs,
      maxTrackedTopics: config.topicsMaxTracked,
      auth: config.auth,
      corsOrigins: config.corsOrigins,
    }).toEqual(SSE_DEFAULTS);
    expect(config.transport).toBe('memory');
    expect({
      url: config.redisUrl,
      keyPrefix: config.redisPrefix,
      commandTimeoutMs: config.redisCommandTimeoutMs,
    }).toEqual(REDIS_DEFAULTS);
  });
});
