import { accessSync, constants as fsConstants } from 'node:fs';
import { hostname } from 'node:os';
import { registerAs } from '@nestjs/config';
import { z } from 'zod';
import {
  isPublicKeyPem,
  isTopicPattern,
  SSE_DEFAULTS,
  type ResolvedSseAuthOptions,
} from '../sse/index.js';
import { REDIS_DEFAULTS } from '../sse/redis/index.js';

const KIB = 1024;
const MIB = 1024 * KIB;

/** The module's defaults are the service's: a variable that sets a module option defaults to it. */
const D = SSE_DEFAULTS;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A comma-separated list; `none` is the empty list (an empty variable means "the default"). */
const list = z.string().transform((value) =>
  value.trim() === 'none'
    ? []
    : value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
);

/** One redis:// (or rediss://) URL; for redis-cluster, a comma-separated list of seed nodes. */
const redisUrls = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((url) => url.trim())
      .filter((url) => url.length > 0),
  )
  .refine(
    (urls) =>
      urls.length > 0 &&
      urls.every((url) => z.url({ protocol: /^rediss?$/ }).safeParse(url).success),
    {
      message:
        'a redis:// or rediss:// URL (for redis-cluster, a comma-separated list of seed nodes)',
      abort: true,
    },
  )
  .refine(
    (urls) => new Set(urls.map((url) => new URL(url).protocol)).size === 1,
    'seed nodes all redis:// or all rediss://',
  )
  .transform((urls) => urls.join(','));

/** Topic patterns, `*` for any run of topic characters. */
const patterns = list.pipe(
  z.array(z.string().refine(isTopicPattern, 'a topic name, with * for any run of its characters')),
);

/** Browser origins (`https://app.example:8443`, no path), or `*` for any other, without credentials. */
const origins = list.pipe(
  z.array(
    z.string().refine((value) => {
      if (value === '*') {
        return true;
      }
      try {
        const url = new URL(value);
        return /^https?:$/.test(url.protocol) && url.origin === value;
      } catch {
        return false;
      }
    }, 'an origin such as https://app.example (scheme, host and port, no path or trailing /), or *'),
  ),
);

/** A PEM public key; `\n` escapes (as compose files and CI secrets often hold them) are undone. */
const publicKeyPem = z
  .string()
  .transform((value) => value.replace(/\\n/g, '\n').trim())
  .refine(
    isPublicKeyPem,
    'a PEM public key ("-----BEGIN PUBLIC KEY-----"): RSA for RS256, or EC P-256 for ES256',
  );

/** A port (0: any free one), or `main` (the main port) or `off`. */
const metricsPort = z
  .string()
  .trim()
  .refine(
    (value) => value === 'main' || value === 'off' || (/^\d{1,5}$/.test(value) && +value <= 65535),
    'a port (0 to 65535, 0 for any free one), main (the main port) or off',
  )
  .transform((value) => (value === 'main' || value === 'off' ? value : Number(value)));

/** pino's level names, in any case (`INFO` is as common in environments as `info`). */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const logLevel = z
  .string()
  .transform((value) => value.trim().toLowerCase())
  .pipe(z.enum(LOG_LEVELS, { message: `one of ${LOG_LEVELS.join(', ')}` }));

const KEY_VARIABLES = ['RIPPLE_JWT_SECRET', 'RIPPLE_JWT_PUBLIC_KEY', 'RIPPLE_JWKS_URL'] as const;

/** The path of a file this process can read (a PEM certificate chain or key). */
const readableFile = z.string().refine((path) => {
  try {
    accessSync(path, fsConstants.R_OK);
    return true;
  } catch {
    return false;
  }
}, 'the path of a readable file');

/**
 * Every variable Ripple reads, with its default. Unknown variables are ignored: the environment
 * holds much that is not ours.
 */
export const rippleEnvSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).optional(),
  RIPPLE_ADAPTER: z
    .enum(['express', 'fastify'], { message: 'express or fastify' })
    .default('express'),
  // HTTP/2 on Fastify's `http2` option: over TLS when a certificate and its key are given (what
  // browsers speak; HTTP/1.1 clients are served too), else cleartext h2c (prior knowledge only).
  RIPPLE_HTTP2: z.stringbool().default(false),
  // Streams one HTTP/2 session may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS), nginx's
  // default: a page's EventSources and requests, not a client's thousands.
  RIPPLE_HTTP2_MAX_STREAMS: int(1, 1_000_000).default(128),
  RIPPLE_TLS_CERT: readableFile.optional(),
  RIPPLE_TLS_KEY: readableFile.optional(),
  RIPPLE_TRANSPORT: z.enum(['memory', 'redis', 'redis-cluster']).default('memory'),
  REDIS_URL: redisUrls.default(REDIS_DEFAULTS.url),
  RIPPLE_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{0,64}$/, 'letters, digits, ".", "_", ":" and "-", at most 64')
    .default(REDIS_DEFAULTS.keyPrefix),
  RIPPLE_LEADER_LEASE_MS: int(1000, 600_000).default(10_000),
  RIPPLE_HISTORY_SIZE: int(1, 1_000_000).default(D.historySize),
  RIPPLE_MEMORY_HISTORY_MAX_BYTES: int(64 * KIB, 64 * 1024 * MIB).default(D.memoryHistoryMaxBytes),
  RIPPLE_REDIS_COMMAND_TIMEOUT_MS: int(100, 600_000).default(REDIS_DEFAULTS.commandTimeoutMs),
  RIPPLE_IDEMPOTENCY_WINDOW_MS: int(1000, 7 * 24 * 3_600_000).default(D.idempotencyWindowMs),
  RIPPLE_IDEMPOTENCY_MAX_KEYS: int(1, 10_000_000).default(D.idempotencyMaxKeys),
  RIPPLE_REPLAY_PAGE_SIZE: int(1, 100_000).default(D.replayPageSize),
  RIPPLE_FRAME_CACHE_BYTES: int(0, 1024 * MIB).default(D.frameCacheBytes),
  RIPPLE_HEARTBEAT_MS: int(100, 3_600_000).default(D.heartbeatMs),
  RIPPLE_RETRY_MS: int(0, 3_600_000).default(D.retryMs),
  RIPPLE_MAX_TOPICS_PER_CONNECTION: int(1, 1000).default(D.maxTopicsPerConnection),
  RIPPLE_MAX_PAYLOAD_BYTES: int(1, 64 * MIB).default(D.maxPayloadBytes),
  RIPPLE_MAX_BATCH_EVENTS: int(1, 1_000_000).default(D.maxBatchEvents),
  RIPPLE_MAX_BATCH_BYTES: int(1, 1024 * MIB).default(D.maxBatchBytes),
  RIPPLE_MAX_BUFFER_BYTES: int(16 * KIB, 1024 * MIB).default(D.maxBufferBytes),
  RIPPLE_WRITE_TIMEOUT_MS: int(100, 3_600_000).default(D.writeTimeoutMs),
  RIPPLE_MAX_CONNECTION_AGE_MS: int(0, 7 * 24 * 3_600_000).default(D.maxConnectionAgeMs),
  RIPPLE_MAX_CONNECTIONS: int(0, 10_000_000).default(D.maxConnections),
  RIPPLE_MAX_CONNECTIONS_PER_IP: int(0, 10_000_000).default(D.maxConnectionsPerIp),
  RIPPLE_MAX_PIPELINED_STREAMS: int(0, 1000).default(D.maxPipelinedStreams),
  RIPPLE_TRUST_PROXY: z.string().min(1).optional(),
  RIPPLE_DRAIN_MS: int(0, 600_000).default(D.drainMs),
  RIPPLE_SHUTDOWN_TIMEOUT_MS: int(1000, 600_000).default(15_000),
  RIPPLE_HEADERS_TIMEOUT_MS: int(100, 600_000).default(10_000),
  RIPPLE_PRODUCERS: list.default(['clock', 'ticker', 'system']),
  RIPPLE_INSTANCE_ID: z.string().min(1).max(128).optional(),
  RIPPLE_METRICS_MAX_TOPICS: int(0, 10_000).default(100),
  RIPPLE_TOPICS_MAX_TRACKED: int(0, 1_000_000).default(D.maxTrackedTopics),
  // /metrics on a listener of its own, off the public address: a port (0: any free one), or
  // `main` to serve it on the main port (keep it from the public in the proxy), or `off`.
  RIPPLE_METRICS_PORT: metricsPort.default(9464),
  RIPPLE_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  // Who may publish and subscribe: one key (or none), the claims checked, private topics, CORS.
  RIPPLE_JWT_SECRET: z
    .string()
    .min(32, 'at least 32 characters (try: openssl rand -hex 32)')
    .optional(),
  RIPPLE_JWT_PUBLIC_KEY: publicKeyPem.optional(),
  RIPPLE_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  RIPPLE_JWT_AUDIENCE: z.string().min(1).max(512).optional(),
  RIPPLE_JWT_ISSUER: z.string().min(1).max(512).optional(),
  RIPPLE_JWT_CLOCK_SKEW_S: int(0, 600).default(D.auth.clockSkewSeconds),
  RIPPLE_JWT_COOKIE: z
    .string()
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, "a cookie name (letters, digits, !#$%&'*+-.^_`|~)")
    .default(D.auth.cookieName),
  RIPPLE_JWT_QUERY_MAX_TTL_S: int(1, 86_400).default(D.auth.queryTokenMaxTtlSeconds),
  RIPPLE_JWT_REQUIRE_EXP: z.stringbool().default(D.auth.requireExp),
  RIPPLE_PRIVATE_TOPICS: patterns.default(() => [...D.auth.privateTopics]),
  RIPPLE_CORS_ORIGINS: origins.default(() => [...D.corsOrigins]),
  // Logs: RIPPLE_LOG_LEVEL wins over the LOG_LEVEL many platforms set; the format follows NODE_ENV
  // and the terminal unless RIPPLE_LOG_FORMAT says.
  RIPPLE_LOG_LEVEL: logLevel.optional(),
  LOG_LEVEL: logLevel.optional(),
  RIPPLE_LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  NODE_ENV: z.string().optional(),
});

/** What no single variable can say: one token key at most, and what needs one. */
const checkedRippleEnvSchema = rippleEnvSchema.superRefine((e, ctx) => {
  checkHttp2(e, ctx);
  if (e.REDIS_URL.includes(',') && e.RIPPLE_TRANSPORT !== 'redis-cluster') {
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_URL'],
      message: 'a list of seed nodes needs RIPPLE_TRANSPORT=redis-cluster',
    });
  }
  const keys = KEY_VARIABLES.filter((name) => e[name] !== undefined);
  if (keys.length > 1) {
    ctx.addIssue({
      code: 'custom',
      path: [keys[1]],
      message: `set only one of ${keys.join(', ')}`,
    });
  }
  if (keys.length === 0) {
    const needKey = {
      RIPPLE_PRIVATE_TOPICS: e.RIPPLE_PRIVATE_TOPICS.length > 0,
      RIPPLE_JWT_AUDIENCE: e.RIPPLE_JWT_AUDIENCE !== undefined,
      RIPPLE_JWT_ISSUER: e.RIPPLE_JWT_ISSUER !== undefined,
    };
    for (const [name, set] of Object.entries(needKey)) {
      if (set) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `needs a token key: set one of ${KEY_VARIABLES.join(', ')}`,
        });
      }
    }
  }
});

/** HTTP/2 is Fastify's (Nest's Express adapter serves HTTP/1.1 only); TLS is a certificate and its key. */
function checkHttp2(
  e: Pick<RippleEnv, 'RIPPLE_HTTP2' | 'RIPPLE_ADAPTER' | 'RIPPLE_TLS_CERT' | 'RIPPLE_TLS_KEY'>,
  ctx: z.RefinementCtx,
): void {
  if (e.RIPPLE_HTTP2 && e.RIPPLE_ADAPTER !== 'fastify') {
    ctx.addIssue({
      code: 'custom',
      path: ['RIPPLE_HTTP2'],
      message: 'needs RIPPLE_ADAPTER=fastify (Express serves HTTP/1.1 only)',
    });
  }
  const tls = (['RIPPLE_TLS_CERT', 'RIPPLE_TLS_KEY'] as const).filter((name) => e[name]);
  if (tls.length > 0 && !e.RIPPLE_HTTP2) {
    ctx.addIssue({
      code: 'custom',
      path: [tls[0]],
      message:
        'needs RIPPLE_HTTP2=true (TLS here serves HTTP/2; for HTTP/1.1, end TLS at the proxy)',
    });
  }
  if (tls.length === 1) {
    ctx.addIssue({
      code: 'custom',
      path: [tls[0]],
      message: 'set both RIPPLE_TLS_CERT and RIPPLE_TLS_KEY, or neither (cleartext h2c)',
    });
  }
}

export type RippleEnv = z.infer<typeof rippleEnvSchema>;

export type LogLevel = (typeof LOG_LEVELS)[number];

/** How the process logs; src/ops/logging turns it into pino's options. */
export interface LogSettings {
  level: LogLevel;
  /** `json` or `pretty` when set; otherwise decided from `nodeEnv` and whether stdout is a TTY. */
  format?: 'json' | 'pretty';
  nodeEnv?: string;
}

export interface RippleConfig {
  port: number;
  host?: string;
  /** The HTTP platform the service runs on (`@nestjs/platform-express` or `-fastify`). */
  adapter: 'express' | 'fastify';
  /** HTTP/2 (Fastify only): over TLS with `tls`, else cleartext (h2c). */
  http2: boolean;
  /** Streams an HTTP/2 session may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). */
  http2MaxStreams: number;
  /** The PEM files of the certificate (its chain) and its key, for HTTP/2 over TLS. */
  tls?: TlsFiles;
  transport: 'memory' | 'redis' | 'redis-cluster';
  redisUrl: string;
  redisPrefix: string;
  leaderLeaseMs: number;
  historySize: number;
  /** The memory transport's history, across all topics, in accounted bytes. */
  memoryHistoryMaxBytes: number;
  /** How long a Redis command may take before the request that waits on it gets a 503. */
  redisCommandTimeoutMs: number;
  /** How long a publish's Idempotency-Key is remembered. */
  idempotencyWindowMs: number;
  /** Idempotency-Keys the memory transport remembers at most (Redis keeps each for the window). */
  idempotencyMaxKeys: number;
  replayPageSize: number;
  /** Bytes of encoded frames of recent events kept for replays (RIPPLE_FRAME_CACHE_BYTES). */
  frameCacheBytes: number;
  heartbeatMs: number;
  retryMs: number;
  maxTopicsPerConnection: number;
  maxPayloadBytes: number;
  /** Events one batch publish may hold, and its largest body. */
  maxBatchEvents: number;
  maxBatchBytes: number;
  maxBufferBytes: number;
  writeTimeoutMs: number;
  maxConnectionAgeMs: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Stream requests that may wait pipelined on one connection; past it the connection closes. */
  maxPipelinedStreams: number;
  /** Express's `trust proxy` setting: where the client address comes from behind proxies. */
  trustProxy?: string;
  drainMs: number;
  shutdownTimeoutMs: number;
  headersTimeoutMs: number;
  producers: string[];
  /** Names this process in the `system` topic, in logs and in metrics. */
  instanceId: string;
  /** Topics that get their own label in the event metrics; the others count as `_other`. */
  metricsMaxTopics: number;
  /** Topics `GET /topics` tracks (SseModule's `maxTrackedTopics` option). */
  topicsMaxTracked: number;
  /** Where `GET /metrics` is served: its own port (0: any free one), the main port, or nowhere. */
  metricsPort: number | 'main' | 'off';
  /** The address of the metrics listener. */
  metricsHost: string;
  /** Who may publish and subscribe (SseModule's `auth` option). */
  auth: ResolvedSseAuthOptions;
  /** Browser origins allowed on the event routes (SseModule's `corsOrigins` option). */
  corsOrigins: string[];
  logging: LogSettings;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** Thrown at boot when the environment is invalid; its message names every bad variable. */
export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'InvalidConfigError';
  }
}

/** An empty variable means "not set", as in most shells and compose files. */
function presentIn(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
}

function logSettingsOf(
  e: Pick<RippleEnv, 'RIPPLE_LOG_LEVEL' | 'LOG_LEVEL' | 'RIPPLE_LOG_FORMAT' | 'NODE_ENV'>,
): LogSettings {
  return {
    level: e.RIPPLE_LOG_LEVEL ?? e.LOG_LEVEL ?? 'info',
    format: e.RIPPLE_LOG_FORMAT,
    nodeEnv: e.NODE_ENV,
  };
}

export function parseRippleEnv(env: Record<string, string | undefined>): RippleConfig {
  const result = checkedRippleEnvSchema.safeParse(presentIn(env));
  if (!result.success) {
    throw new InvalidConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const e = result.data;
  return {
    port: e.PORT,
    host: e.HOST,
    ...platformOf(e),
    transport: e.RIPPLE_TRANSPORT,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.RIPPLE_REDIS_PREFIX,
    leaderLeaseMs: e.RIPPLE_LEADER_LEASE_MS,
    historySize: e.RIPPLE_HISTORY_SIZE,
    memoryHistoryMaxBytes: e.RIPPLE_MEMORY_HISTORY_MAX_BYTES,
    redisCommandTimeoutMs: e.RIPPLE_REDIS_COMMAND_TIMEOUT_MS,
    idempotencyWindowMs: e.RIPPLE_IDEMPOTENCY_WINDOW_MS,
    idempotencyMaxKeys: e.RIPPLE_IDEMPOTENCY_MAX_KEYS,
    replayPageSize: e.RIPPLE_REPLAY_PAGE_SIZE,
    frameCacheBytes: e.RIPPLE_FRAME_CACHE_BYTES,
    heartbeatMs: e.RIPPLE_HEARTBEAT_MS,
    retryMs: e.RIPPLE_RETRY_MS,
    maxTopicsPerConnection: e.RIPPLE_MAX_TOPICS_PER_CONNECTION,
    maxPayloadBytes: e.RIPPLE_MAX_PAYLOAD_BYTES,
    maxBatchEvents: e.RIPPLE_MAX_BATCH_EVENTS,
    maxBatchBytes: e.RIPPLE_MAX_BATCH_BYTES,
    maxBufferBytes: e.RIPPLE_MAX_BUFFER_BYTES,
    writeTimeoutMs: e.RIPPLE_WRITE_TIMEOUT_MS,
    maxConnectionAgeMs: e.RIPPLE_MAX_CONNECTION_AGE_MS,
    maxConnections: e.RIPPLE_MAX_CONNECTIONS,
    maxConnectionsPerIp: e.RIPPLE_MAX_CONNECTIONS_PER_IP,
    maxPipelinedStreams: e.RIPPLE_MAX_PIPELINED_STREAMS,
    drainMs: e.RIPPLE_DRAIN_MS,
    shutdownTimeoutMs: e.RIPPLE_SHUTDOWN_TIMEOUT_MS,
    headersTimeoutMs: e.RIPPLE_HEADERS_TIMEOUT_MS,
    producers: e.RIPPLE_PRODUCERS,
    instanceId: e.RIPPLE_INSTANCE_ID ?? `${hostname()}:${process.pid}`,
    metricsMaxTopics: e.RIPPLE_METRICS_MAX_TOPICS,
    metricsPort: e.RIPPLE_METRICS_PORT,
    topicsMaxTracked: e.RIPPLE_TOPICS_MAX_TRACKED,
    metricsHost: e.RIPPLE_METRICS_HOST,
    auth: {
      secret: e.RIPPLE_JWT_SECRET,
      publicKey: e.RIPPLE_JWT_PUBLIC_KEY,
      jwksUrl: e.RIPPLE_JWKS_URL,
      audience: e.RIPPLE_JWT_AUDIENCE,
      issuer: e.RIPPLE_JWT_ISSUER,
      clockSkewSeconds: e.RIPPLE_JWT_CLOCK_SKEW_S,
      cookieName: e.RIPPLE_JWT_COOKIE,
      privateTopics: e.RIPPLE_PRIVATE_TOPICS,
      queryTokenMaxTtlSeconds: e.RIPPLE_JWT_QUERY_MAX_TTL_S,
      requireExp: e.RIPPLE_JWT_REQUIRE_EXP,
    },
    corsOrigins: e.RIPPLE_CORS_ORIGINS,
    logging: logSettingsOf(e),
  };
}

const logEnvSchema = rippleEnvSchema.pick({
  RIPPLE_LOG_LEVEL: true,
  LOG_LEVEL: true,
  RIPPLE_LOG_FORMAT: true,
  NODE_ENV: true,
});

/**
 * The log settings alone, for the logger that runs before the configuration is validated (it
 * reports why the configuration was refused): what is valid is taken, the rest defaulted.
 */
export function logSettingsFromEnv(
  env: Record<string, string | undefined> = process.env,
): LogSettings {
  return logSettingsOf(validPart(logEnvSchema, env));
}

const platformEnvSchema = rippleEnvSchema.pick({
  RIPPLE_ADAPTER: true,
  RIPPLE_TRUST_PROXY: true,
  RIPPLE_HTTP2: true,
  RIPPLE_HTTP2_MAX_STREAMS: true,
  RIPPLE_TLS_CERT: true,
  RIPPLE_TLS_KEY: true,
});

/** What the HTTP platform is made with: the adapter, its proxy trust, HTTP/2 and TLS. */
export type PlatformSettings = Pick<
  RippleConfig,
  'adapter' | 'trustProxy' | 'http2' | 'http2MaxStreams' | 'tls'
>;

function platformOf(e: z.output<typeof platformEnvSchema>): PlatformSettings {
  return {
    adapter: e.RIPPLE_ADAPTER,
    trustProxy: e.RIPPLE_TRUST_PROXY,
    // Only where the check passed: Express, or HTTP/2 off, leaves no TLS to half-apply.
    http2: e.RIPPLE_HTTP2 && e.RIPPLE_ADAPTER === 'fastify',
    http2MaxStreams: e.RIPPLE_HTTP2_MAX_STREAMS,
    tls:
      e.RIPPLE_TLS_CERT && e.RIPPLE_TLS_KEY
        ? { certFile: e.RIPPLE_TLS_CERT, keyFile: e.RIPPLE_TLS_KEY }
        : undefined,
  };
}

/**
 * The HTTP platform's settings alone, for main.ts, which makes the adapter before the
 * application (whose configuration check then refuses an invalid value with the others): what is
 * valid is taken, the rest defaulted.
 */
export function platformSettingsFromEnv(
  env: Record<string, string | undefined> = process.env,
): PlatformSettings {
  return platformOf(validPart(platformEnvSchema, env));
}

/** The variables of `schema` that are valid in `env`, parsed (the others take their default). */
function validPart<T extends z.ZodObject>(
  schema: T,
  env: Record<string, string | undefined>,
): z.output<T> {
  const shape = schema.shape as Record<string, z.ZodType>;
  const valid = Object.fromEntries(
    Object.entries(presentIn(env)).filter(
      ([name, value]) => name in shape && shape[name].safeParse(value).success,
    ),
  );
  return schema.parse(valid);
}

/** The configuration of this process's environment, for tools that run outside Nest. */
export function rippleConfigFromEnv(): RippleConfig {
  return parseRippleEnv(process.env);
}

/** The typed configuration, read from the environment once, at boot. */
export const rippleConfig = registerAs('ripple', rippleConfigFromEnv);
