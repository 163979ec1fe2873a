export const REDIS_NOT_CONNECTED = () =>
  'Redis is not connected: its connections are (re)connecting';

export const REDIS_PING_TIMEOUT = (timeoutMs: number) =>
  `Redis did not answer PING within ${timeoutMs} ms`;

export const REDIS_PING_FAILED = (reason: string) => `Redis refused PING: ${reason}`;

export const NO_CLUSTER_MASTER_ANSWERS = (tried: number) =>
  `No master of the Redis Cluster answered PING (${tried} tried)`;

export const BAD_REDIS_OPTION = (backend: string, option: string, expected: string, got: unknown) =>
  `${backend}: ${option} must be ${expected} (got ${JSON.stringify(got) ?? String(got)})`;
