import { randomBytes } from 'node:crypto';

/**
 * Makes the ids of publish calls: unique across instances and restarts (12 random bytes drawn once
 * per maker, then a counter), and short, as each names a key Redis keeps for a while.
 */
export function publishIds(): () => string {
  const base = randomBytes(12).toString('base64url');
  let next = 0;
  return () => `${base}.${(next++).toString(36)}`;
}
