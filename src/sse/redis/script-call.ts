import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-connection-set.js';

type ScriptArg = string | number;

/**
 * Calls a Lua script with a number of keys given per call: EVALSHA, and EVAL when Redis answers
 * that it does not hold the script (a restarted server, a replica that took over), which then
 * holds it. NOSCRIPT means the script did not run, so sending it again stores nothing twice.
 *
 * Not ioredis's `defineCommand`: a script defined without its number of keys takes that number as
 * its first argument, and ioredis routes an auto-pipelined custom command on a cluster by its first
 * argument; EVALSHA it routes by its first key. Nor one definition per number of keys: ioredis
 * copies every defined command onto each pipeline it opens (one per turn with auto-pipelining),
 * which, for 255 sizes of the batch script, was 6% of a publishing instance's CPU.
 */
export function scriptCall(
  redis: RedisClient,
  lua: string,
): <T>(keys: ScriptArg[], args: ScriptArg[]) => Promise<T> {
  const sha = createHash('sha1').update(lua).digest('hex');
  return <T>(keys: ScriptArg[], args: ScriptArg[]) =>
    (redis.evalsha(sha, keys.length, ...keys, ...args) as Promise<T>).catch((err: unknown) => {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) {
        throw err;
      }
      return redis.eval(lua, keys.length, ...keys, ...args) as Promise<T>;
    });
}
