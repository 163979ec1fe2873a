import type { Observable } from 'rxjs';

/**
 * Mutual exclusion by name, across every instance that shares the lock's backend: at most one
 * subscriber of `lead(name)` leads at a time.
 *
 * The shape is a lease's: subscribing campaigns for the lease, unsubscribing gives it up at once.
 * A lease lock (Redis `SET NX PX`, renewed while held) emits `false` when a renewal fails and keeps
 * campaigning; a dead holder's lease expires, and another candidate takes over.
 */
export interface LeaderLock {
  /**
   * Campaigns for `name` while subscribed. The first value (`true`: this subscriber leads,
   * `false`: another holds it) comes as soon as the first attempt is decided; after that, a value
   * comes only when it changes. Never errors for a lost or unreachable backend: it emits `false`
   * and keeps trying. Unsubscribing releases the lease if held.
   */
  lead(name: string): Observable<boolean>;
}
