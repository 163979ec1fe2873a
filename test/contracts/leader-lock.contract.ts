import { afterEach, describe, expect, it } from '@jest/globals';
import { BehaviorSubject, filter, firstValueFrom, timeout, type Subscription } from 'rxjs';
import type { LeaderLock } from '../../src/sse/index.js';

export interface LeaderLockFixture {
  lock: LeaderLock;
  /** Closes what the factory opened for this lock (a Redis client); not the lock's leases. */
  close(): Promise<void>;
}

export interface LeaderLockContractOptions {
  /**
   * The longest a lock may take to decide an attempt or to hand a released lease over; past it a
   * test fails. Generous: passing tests do not wait for it.
   */
  decideWithinMs?: number;
  /**
   * How long a held lease is watched to see that it stays held; for a lease lock, longer than the
   * lease, so that a renewal that does not happen shows.
   */
  holdMs?: number;
}

/** One subscription to `lead(name)` and what it has said. */
interface Candidate {
  readonly values: boolean[];
  readonly leading: boolean;
  /** Resolves when the candidate's latest value is `leading`; rejects after decideWithinMs. */
  until(leading: boolean): Promise<void>;
  /** Resolves once the candidate has said anything. */
  decided(): Promise<void>;
  resign(): void;
}

/**
 * What every LeaderLock must do, run against one implementation. `makeLock` is called once per
 * lock a test needs; all the locks it makes share one backend (one Redis, one memory store), as
 * the instances of a deployment do. Names are unique per test, so a backend may be shared between
 * tests too.
 */
export function describeLeaderLockContract(
  name: string,
  makeLock: () => Promise<LeaderLockFixture>,
  options: LeaderLockContractOptions = {},
): void {
  const decideWithinMs = options.decideWithinMs ?? 2000;
  const holdMs = options.holdMs ?? 100;

  describe(`LeaderLock contract: ${name}`, () => {
    const fixtures: LeaderLockFixture[] = [];
    const subscriptions: Subscription[] = [];
    /** How many candidates lead each name right now, and the most that ever did at once. */
    const leaders = new Map<string, { now: number; most: number }>();
    let seq = 0;

    const open = async (): Promise<LeaderLock> => {
      const fixture = await makeLock();
      fixtures.push(fixture);
      return fixture.lock;
    };

    const uniqueName = (): string => `contract:${process.pid}:${Date.now()}:${++seq}`;

    const campaign = (lock: LeaderLock, lockName: string): Candidate => {
      const state$ = new BehaviorSubject<boolean | undefined>(undefined);
      const values: boolean[] = [];
      const count = leaders.get(lockName) ?? { now: 0, most: 0 };
      leaders.set(lockName, count);
      const track = (from: boolean | undefined, to: boolean | undefined): void => {
        if (from !== true && to === true) {
          count.now++;
          count.most = Math.max(count.most, count.now);
        } else if (from === true && to !== true) {
          count.now--;
        }
      };
      const subscription = lock.lead(lockName).subscribe({
        next: (value) => {
          values.push(value);
          track(state$.value, value);
          state$.next(value);
        },
        error: (error: unknown) => state$.error(error),
      });
      subscriptions.push(subscription);
      const wait = async (predicate: (value: boolean | undefined) => boolean, what: string) => {
        await firstValueFrom(
          state$.pipe(
            filter(predicate),
            timeout({
              first: decideWithinMs,
              with: () => {
                throw new Error(`${lockName}: not ${what} within ${decideWithinMs} ms`);
              },
            }),
          ),
        );
      };
      return {
        values,
        get leading() {
          return state$.value === true;
        },
        until: (leading) => wait((value) => value === leading, leading ? 'leading' : 'following'),
        decided: () => wait((value) => value !== undefined, 'decided'),
        resign: () => {
          // A holder stops acting as leader when it unsubscribes, before any release completes.
          track(state$.value, undefined);
          subscription.unsubscribe();
        },
      };
    };

    const hold = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

    const mostLeadersAtOnce = (lockName: string): number => leaders.get(lockName)?.most ?? 0;

    afterEach(async () => {
      for (const subscription of subscriptions.splice(0)) {
        subscription.unsubscribe();
      }
      leaders.clear();
      await Promise.all(fixtures.splice(0).map((fixture) => fixture.close()));
    });

    it('lets a lone candidate lead', async () => {
      const lock = await open();
      const candidate = campaign(lock, uniqueName());

      await candidate.until(true);

      expect(candidate.values).toEqual([true]);
    });

    it('lets one of two candidates lead when both campaign at once on two locks', async () => {
      const [first, second] = await Promise.all([open(), open()]);
      const lockName = uniqueName();
      const a = campaign(first, lockName);
      const b = campaign(second, lockName);

      await Promise.all([a.decided(), b.decided()]);

      expect([a.leading, b.leading].filter(Boolean)).toHaveLength(1);
      expect(mostLeadersAtOnce(lockName)).toBe(1);
    });

    it('makes a second candidate on the same lock follow while the first leads', async () => {
      const lock = await open();
      const lockName = uniqueName();
      const a = campaign(lock, lockName);
      await a.until(true);

      const b = campaign(lock, lockName);
      await b.decided();

      expect(b.values).toEqual([false]);
      expect(a.leading).toBe(true);
    });

    it('keeps a held lease held, saying nothing new, while its holder stays subscribed', async () => {
      const [first, second] = await Promise.all([open(), open()]);
      const lockName = uniqueName();
      const a = campaign(first, lockName);
      await a.until(true);
      const b = campaign(second, lockName);
      await b.decided();

      await hold(holdMs);

      expect(a.values).toEqual([true]);
      expect(b.values).toEqual([false]);
    });

    it('hands the lease to a waiting candidate on another lock when the holder unsubscribes', async () => {
      const [first, second] = await Promise.all([open(), open()]);
      const lockName = uniqueName();
      const a = campaign(first, lockName);
      await a.until(true);
      const b = campaign(second, lockName);
      await b.until(false);

      a.resign();
      await b.until(true);

      expect(b.values).toEqual([false, true]);
      expect(mostLeadersAtOnce(lockName)).toBe(1);
    });

    it('hands the lease to exactly one of two waiting candidates', async () => {
      const [first, second, third] = await Promise.all([open(), open(), open()]);
      const lockName = uniqueName();
      const a = campaign(first, lockName);
      await a.until(true);
      const b = campaign(second, lockName);
      const c = campaign(third, lockName);
      await Promise.all([b.until(false), c.until(false)]);

      a.resign();
      await Promise.race([b.until(true), c.until(true)]);
      await hold(holdMs);

      expect([b.leading, c.leading].filter(Boolean)).toHaveLength(1);
      expect(mostLeadersAtOnce(lockName)).toBe(1);
    });

    it('lets a follower leave without disturbing the leader', async () => {
      const [first, second] = await Promise.all([open(), open()]);
      const lockName = uniqueName();
      const a = campaign(first, lockName);
      await a.until(true);
      const b = campaign(second, lockName);
      await b.until(false);

      b.resign();
      const c = campaign(second, lockName);
      await c.decided();

      expect(a.values).toEqual([true]);
      expect(c.values).toEqual([false]);
    });

    it('lets a lock lead the same name again after giving it up', async () => {
      const lock = await open();
      const lockName = uniqueName();
      const a = campaign(lock, lockName);
      await a.until(true);

      a.resign();
      const again = campaign(lock, lockName);

      await again.until(true);
    });

    it('does not make different names exclude each other', async () => {
      const [first, second] = await Promise.all([open(), open()]);
      const a = campaign(first, uniqueName());
      const b = campaign(second, uniqueName());

      await Promise.all([a.until(true), b.until(true)]);
    });
  });
}
