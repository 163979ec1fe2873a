import { hostname } from 'node:os';
import { registerAs } from '@nestjs/config';
import { z } from 'zod';

const KIB = 1024;
const MIB = 1024 * KIB;

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

/**
 * Every variable Ripple reads, with its default. Unknown variables are ignored: the environment
 * holds much that is not ours.
 */
export const rippleEnvSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).optional(),
  RIPPLE_TRANSPORT: z.enum(['memory', 'redis']).default('memory'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  RIPPLE_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{0,64}$/, 'letters, digits, ".", "_", ":" and "-", at most 64')
    .default('ripple:'),
  RIPPLE_LEADER_LEASE_MS: int(1000, 600_000).default(10_000),
  RIPPLE_HISTORY_SIZE: int(1, 1_000_000).default(1000),
  RIPPLE_HEARTBEAT_MS: int(100, 3_600_000).default(15_000),
  RIPPLE_RETRY_MS: int(0, 3_600_000).default(2000),
  RIPPLE_MAX_TOPICS_PER_CONNECTION: int(1, 1000).default(32),
  RIPPLE_MAX_PAYLOAD_BYTES: int(1, 64 * MIB).default(MIB),
  RIPPLE_PRODUCERS: list.default(['clock', 'ticker', 'system']),
  RIPPLE_INSTANCE_ID: z.string().min(1).max(128).optional(),
});

export type RippleEnv = z.infer<typeof rippleEnvSchema>;

export interface RippleConfig {
  port: number;
  host?: string;
  transport: 'memory' | 'redis';
  redisUrl: string;
  redisPrefix: string;
  leaderLeaseMs: number;
  historySize: number;
  heartbeatMs: number;
  retryMs: number;
  maxTopicsPerConnection: number;
  maxPayloadBytes: number;
  producers: string[];
  /** Names this process in the `system` topic and in logs. */
  instanceId: string;
}

/** Thrown at boot when the environment is invalid; its message names every bad variable. */
export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'InvalidConfigError';
  }
}

export function parseRippleEnv(env: Record<string, string | undefined>): RippleConfig {
  // An empty variable means "not set", as in most shells and compose files.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = rippleEnvSchema.safeParse(present);
  if (!result.success) {
    throw new InvalidConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const e = result.data;
  return {
    port: e.PORT,
    host: e.HOST,
    transport: e.RIPPLE_TRANSPORT,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.RIPPLE_REDIS_PREFIX,
    leaderLeaseMs: e.RIPPLE_LEADER_LEASE_MS,
    historySize: e.RIPPLE_HISTORY_SIZE,
    heartbeatMs: e.RIPPLE_HEARTBEAT_MS,
    retryMs: e.RIPPLE_RETRY_MS,
    maxTopicsPerConnection: e.RIPPLE_MAX_TOPICS_PER_CONNECTION,
    maxPayloadBytes: e.RIPPLE_MAX_PAYLOAD_BYTES,
    producers: e.RIPPLE_PRODUCERS,
    instanceId: e.RIPPLE_INSTANCE_ID ?? `${hostname()}:${process.pid}`,
  };
}

/** The typed configuration, read from the environment once, at boot. */
export const rippleConfig = registerAs('ripple', (): RippleConfig => parseRippleEnv(process.env));
