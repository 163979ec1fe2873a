import { Observable, type Subscriber } from 'rxjs';
import type { LeaderLock } from '../../sse/index.js';

/** Candidates per name, in arrival order; the first leads. Locks that share one exclude each other. */
export type MemoryLeaderStore = Map<string, Subscriber<boolean>[]>;

/**
 * The lock of a single process: a lone candidate always leads, and several candidates for one
 * name (two producers, or two locks over one store) take turns in arrival order.
 */
export class MemoryLeaderLock implements LeaderLock {
  constructor(private readonly store: MemoryLeaderStore = new Map()) {}

  lead(name: string): Observable<boolean> {
    return new Observable<boolean>((subscriber) => {
      const candidates = this.store.get(name) ?? [];
      this.store.set(name, candidates);
      candidates.push(subscriber);
      subscriber.next(candidates[0] === subscriber);
      return () => {
        const index = candidates.indexOf(subscriber);
        candidates.splice(index, 1);
        if (candidates.length === 0) {
          // Names come and go (producers are only one user); an empty queue must not linger.
          this.store.delete(name);
        } else if (index === 0) {
          candidates[0].next(true);
        }
      };
    });
  }
}
