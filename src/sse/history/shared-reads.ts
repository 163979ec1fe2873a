import type { History, HistoryRead, Recent } from './history.interface.js';

/**
 * One history read for every stream that asks the same at once: in a reconnect storm, thousands
 * of clients resume the same topic from the same few cursors, and each would otherwise make its
 * own round trip to Redis for the same page. It sits above the History seam, so both histories
 * share their reads the same way.
 *
 * A stream may take a read that began before it asked only if nothing it could have missed was
 * published in between: a stream subscribes live first and holds what arrives, so it needs from
 * history what was stored before its subscription. `epoch` names the moment: it must change
 * whenever a live event or a subscription change reaches this instance (TopicChannels.signals).
 * Reads asked in one epoch share; a read asked in a later one is a read of its own.
 *
 * Only reads in flight are kept (they are forgotten as they settle), so this holds at most one
 * entry per stream opening at the moment. What a read resolves to is shared: read it, never
 * change it.
 */
export class SharedReads implements History {
  private readonly reads = new Map<string, Promise<HistoryRead>>();
  private readonly heads = new Map<string, Promise<string>>();

  constructor(
    private readonly history: History,
    private readonly epoch: () => number,
  ) {}

  /** Reads in flight now. */
  get pending(): number {
    return this.reads.size + this.heads.size;
  }

  head(topic: string): Promise<string> {
    return share(this.heads, `${this.epoch()}\n${topic}`, () => this.history.head(topic));
  }

  readAfter(topic: string, after: string, limit: number): Promise<HistoryRead> {
    return share(this.reads, `${this.epoch()}\n${topic}\n${after}\n${limit}`, () =>
      this.history.readAfter(topic, after, limit),
    );
  }

  /** Not shared: asked only by streams opened with recent history, not by a storm of resumes. */
  recentStart(topic: string, recent: Recent): Promise<string> {
    return this.history.recentStart(topic, recent);
  }
}

/** The read in flight under `key`, or a new one, kept there until it settles. */
function share<T>(
  inFlight: Map<string, Promise<T>>,
  key: string,
  read: () => Promise<T>,
): Promise<T> {
  const pending = inFlight.get(key);
  if (pending) {
    return pending;
  }
  const promise = read();
  inFlight.set(key, promise);
  const forget = (): void => {
    if (inFlight.get(key) === promise) {
      inFlight.delete(key);
    }
  };
  promise.then(forget, forget);
  return promise;
}
