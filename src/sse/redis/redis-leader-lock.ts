import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { RedisClient } from './redis-connection-set.js';
import type { LeaderLock } from '../backend/leader-lock.interface.js';

/** Renews (or retries) this many times per lease, so one lost renewal does not lose the lease. */
const ATTEMPTS_PER_LEASE = 3;
/** A holder steps down this long before its lease could expire on Redis, whatever it last heard. */
const SAFETY_MARGIN_RATIO = 0.1;

const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

interface LeaseCommands {
  rippleRenew(key: string, token: string, leaseMs: number): Promise<number>;
  rippleRelease(key: string, token: string): Promise<number>;
}

/**
 * A lease on Redis: `SET key token NX PX lease` takes it, a compare-and-renew script keeps it, a
 * compare-and-delete script gives it up. Each candidate has its own random token, so two candidates
 * in one process exclude each other as two instances do.
 *
 * The holder stops leading as soon as a renewal fails, and in any case before the lease it last
 * renewed can expire on Redis (a renewal that hangs is no renewal), so two holders never overlap.
 * A follower retries when the current lease is due to expire, so it takes over a dead holder's
 * lease within one lease time.
 */
export class RedisLeaderLock implements LeaderLock {
  private readonly logger = new Logger(RedisLeaderLock.name);
  private readonly redis: RedisClient & LeaseCommands;
  /** Releases sent and not yet answered: the connections must not close under them. */
  private readonly releasing = new Set<Promise<unknown>>();

  constructor(
    /** One Redis or a cluster: the lease is one key, `<prefix>{leader:<name>}`, in one slot. */
    client: RedisClient,
    private readonly keyPrefix: string,
    private readonly leaseMs: number,
    /** Goes into the lease's value, so an operator can see who holds it. */
    private readonly holderName: string,
  ) {
    client.defineCommand('rippleRenew', { numberOfKeys: 1, lua: RENEW_SCRIPT });
    client.defineCommand('rippleRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    this.redis = client as RedisClient & LeaseCommands;
  }

  lead(name: string): Observable<boolean> {
    return new Observable<boolean>((subscriber) => {
      const key = `${this.keyPrefix}{leader:${name}}`;
      const token = `${this.holderName}:${randomBytes(9).toString('hex')}`;
      const period = Math.floor(this.leaseMs / ATTEMPTS_PER_LEASE);
      let leading: boolean | undefined;
      let attemptTimer: NodeJS.Timeout | undefined;
      let expiryTimer: NodeJS.Timeout | undefined;
      let stopped = false;

      const say = (value: boolean) => {
        if (leading !== value) {
          leading = value;
          subscriber.next(value);
        }
      };

      const stepDown = () => {
        clearTimeout(expiryTimer);
        say(false);
      };

      /** Holds from `sentAt` (when the command that took or renewed the lease left). */
      const held = (sentAt: number) => {
        clearTimeout(expiryTimer);
        const validFor = this.leaseMs * (1 - SAFETY_MARGIN_RATIO) - (Date.now() - sentAt);
        expiryTimer = setTimeout(stepDown, Math.max(0, validFor));
        say(true);
      };

      const schedule = (delayMs: number) => {
        if (!stopped) {
          attemptTimer = setTimeout(() => void attempt(), delayMs);
        }
      };

      const attempt = async () => {
        const sentAt = Date.now();
        try {
          if (leading) {
            const renewed = await this.redis.rippleRenew(key, token, this.leaseMs);
            if (stopped) {
              return;
            }
            if (renewed === 1) {
              held(sentAt);
              schedule(period);
              return;
            }
            // Someone else holds it now (the lease expired unseen): follow, and campaign at once.
            stepDown();
          }
          const taken = await this.redis.set(key, token, 'PX', this.leaseMs, 'NX');
          if (stopped) {
            return;
          }
          if (taken === 'OK') {
            held(sentAt);
            schedule(period);
            return;
          }
          say(false);
          // Try again when the holder's lease would run out if it stopped renewing.
          const ttl = await this.redis.pttl(key);
          // -2: it expired since; -1: a key without expiry, not ours to break.
          schedule(ttl > 0 ? Math.min(ttl + 1, period) : ttl === -2 ? 0 : period);
        } catch (err) {
          if (stopped) {
            return;
          }
          // Redis unreachable: whoever holds the lease cannot be known; do not lead.
          stepDown();
          this.logger.debug(
            `Leader lock ${name}: ${err instanceof Error ? err.message : String(err)}`,
          );
          schedule(period);
        }
      };

      void attempt();

      return () => {
        stopped = true;
        clearTimeout(attemptTimer);
        clearTimeout(expiryTimer);
        if (leading) {
          const release = this.redis
            .rippleRelease(key, token)
            .catch((err: Error) => {
              // It expires by itself within one lease.
              this.logger.warn(`Could not release the leader lock ${name}: ${err.message}`);
            })
            .finally(() => this.releasing.delete(release));
          this.releasing.add(release);
        }
      };
    });
  }

  /**
   * Resolves once every release sent so far has been answered (or failed). A shutdown waits for it
   * before closing the connection: a release still queued when the connection closes is lost, and
   * the lease then runs out instead of passing at once to another instance.
   */
  async settled(): Promise<void> {
    await Promise.all(this.releasing);
  }
}
