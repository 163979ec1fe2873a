import { Inject, Injectable } from '@nestjs/common';
import { AgeOrderedMap } from '../collections/age-ordered-map.js';
import { matchesAnyPattern } from '../auth/topic-pattern.js';
import { SSE_OPTIONS } from '../sse.constants.js';
import type { ResolvedSseOptions } from '../sse-options.interface.js';

export interface TopicDescription {
  producer: string;
  intervalMs?: number;
}

export interface TopicSummary {
  topic: string;
  producer: string | null;
  intervalMs: number | null;
  /** Events published through this instance per second, over the last RATE_WINDOW_MS. */
  ratePerSecond: number;
  published: number;
  subscribers: number;
}

/** What `GET /topics` answers: at most `maxTrackedTopics` topics, and what the cap left out. */
export interface TopicList {
  topics: TopicSummary[];
  /**
   * Publishes and subscriptions not counted since the start because every tracked topic was in
   * use (subscribed, or fed by a producer) when their topic was new.
   */
  untracked: number;
}

interface TopicEntry {
  description?: TopicDescription;
  subscribers: number;
  published: number;
  /** Publish counts per second of the window, as a ring indexed by the second. */
  buckets: number[];
  bucketSeconds: number[];
  lastActive: number;
  /** Matches `auth.privateTopics`: listed only to those who may subscribe to it. */
  private: boolean;
}

interface Snapshot {
  at: number;
  all: { summary: TopicSummary; private: boolean }[];
  /** The list without private topics, as most requests (no token) get it. */
  public: TopicSummary[];
  untracked: number;
  json?: string;
}

const RATE_WINDOW_S = 10;
/** A topic with no producer and no subscriber is forgotten after this long without activity. */
const IDLE_MS = 5 * 60_000;
/**
 * How long one rendering of the list serves every request: its cost stays one sort per second
 * however many clients ask (and the rate is over whole seconds anyway).
 */
const LIST_CACHE_MS = 1000;

/**
 * What `GET /topics` shows: the topics this instance knows, who feeds them, who reads them. At
 * most `maxTrackedTopics` of them: topic names come from anonymous clients. Past the cap the
 * least recently active topic nobody reads is forgotten for the new one; when every one is in
 * use, the new one is not tracked (and counted as such).
 */
@Injectable()
export class TopicStats {
  private readonly entries = new Map<string, TopicEntry>();
  /**
   * The entries that may be evicted (no subscriber, no producer), least recently active first: an
   * entry is moved to the newest end when active, so eviction and pruning take the oldest ones,
   * each in O(1).
   */
  private readonly idle = new AgeOrderedMap<string, TopicEntry>();
  private untracked = 0;
  private snapshot?: Snapshot;
  private readonly maxTracked: number;
  private readonly privateTopics: readonly string[];

  constructor(@Inject(SSE_OPTIONS) options: ResolvedSseOptions) {
    this.maxTracked = options.maxTrackedTopics;
    this.privateTopics = options.auth.privateTopics;
  }

  /** Topics tracked now. */
  get size(): number {
    return this.entries.size;
  }

  /** A producer's topic: tracked whatever the cap (producers are the application's, and few). */
  describe(topic: string, description: TopicDescription, now = Date.now()): void {
    const entry = this.entry(topic, now, true)!;
    entry.description = description;
    this.settle(topic, entry);
  }

  published(topic: string, now = Date.now()): void {
    const entry = this.entry(topic, now);
    if (!entry) {
      return;
    }
    entry.published++;
    const second = Math.floor(now / 1000);
    const slot = second % RATE_WINDOW_S;
    if (entry.bucketSeconds[slot] !== second) {
      entry.bucketSeconds[slot] = second;
      entry.buckets[slot] = 0;
    }
    entry.buckets[slot]++;
    this.settle(topic, entry);
  }

  subscribed(topic: string, delta: 1 | -1, now = Date.now()): void {
    // A subscriber leaving a topic that is not tracked (it was full) changes nothing.
    const entry = delta > 0 ? this.entry(topic, now) : this.entries.get(topic);
    if (!entry) {
      return;
    }
    entry.lastActive = now;
    // Not below 0: a topic first refused (full), then tracked, sees more leave than it saw come.
    entry.subscribers = Math.max(0, entry.subscribers + delta);
    this.settle(topic, entry);
  }

  /**
   * The topics, by name, without the private ones `mayRead` does not allow (without it: public
   * topics only). Rendered at most once per LIST_CACHE_MS.
   */
  list(mayRead?: (topic: string) => boolean, now = Date.now()): TopicList {
    const snapshot = this.render(now);
    const topics = mayRead
      ? snapshot.all
          .filter((item) => !item.private || mayRead(item.summary.topic))
          .map((item) => item.summary)
      : snapshot.public;
    return { topics, untracked: snapshot.untracked };
  }

  /**
   * `list()` as JSON, as most requests (no token) get it: serialized once per rendering, so that
   * clients asking at once cost one serialization, not one each.
   */
  json(mayRead?: (topic: string) => boolean, now = Date.now()): string {
    if (mayRead) {
      return JSON.stringify(this.list(mayRead, now));
    }
    const snapshot = this.render(now);
    snapshot.json ??= JSON.stringify(this.list(undefined, now));
    return snapshot.json;
  }

  private render(now: number): Snapshot {
    if (this.snapshot && now - this.snapshot.at < LIST_CACHE_MS && now >= this.snapshot.at) {
      return this.snapshot;
    }
    this.prune(now);
    const second = Math.floor(now / 1000);
    const all = [...this.entries]
      .map(([topic, entry]) => ({
        summary: summaryOf(topic, entry, second),
        private: entry.private,
      }))
      .sort((a, b) =>
        a.summary.topic < b.summary.topic ? -1 : a.summary.topic > b.summary.topic ? 1 : 0,
      );
    this.snapshot = {
      at: now,
      all,
      public: all.filter((item) => !item.private).map((item) => item.summary),
      untracked: this.untracked,
    };
    return this.snapshot;
  }

  /** The topic's entry, made if there is room (or `force`); undefined when it is not tracked. */
  private entry(topic: string, now: number, force = false): TopicEntry | undefined {
    let entry = this.entries.get(topic);
    if (!entry) {
      if (this.entries.size >= this.maxTracked && !this.evictOne() && !force) {
        this.untracked++;
        return undefined;
      }
      entry = {
        subscribers: 0,
        published: 0,
        buckets: Array.from({ length: RATE_WINDOW_S }, () => 0),
        bucketSeconds: Array.from({ length: RATE_WINDOW_S }, () => -1),
        lastActive: now,
        private: matchesAnyPattern(this.privateTopics, topic),
      };
      this.entries.set(topic, entry);
    }
    entry.lastActive = now;
    return entry;
  }

  /** Keeps `idle` true to the entry: in it, as the most recent, when nobody uses the topic. */
  private settle(topic: string, entry: TopicEntry): void {
    // set makes it the most recent whether or not it was in: a topic published to over and over
    // with nobody on it (a publishing instance's) stays in its slot rather than taking a new one.
    if (entry.subscribers === 0 && !entry.description) {
      this.idle.set(topic, entry);
    } else {
      this.idle.delete(topic);
    }
  }

  private evictOne(): boolean {
    const oldest = this.idle.deleteOldest();
    if (!oldest) {
      return false;
    }
    this.entries.delete(oldest.key);
    return true;
  }

  private prune(now: number): void {
    for (let oldest = this.idle.oldest(); oldest; oldest = this.idle.oldest()) {
      if (now - oldest.value.lastActive <= IDLE_MS) {
        // The rest were active later still.
        return;
      }
      this.idle.deleteOldest();
      this.entries.delete(oldest.key);
    }
  }
}

function summaryOf(topic: string, entry: TopicEntry, second: number): TopicSummary {
  let count = 0;
  for (let slot = 0; slot < RATE_WINDOW_S; slot++) {
    // The current second is still filling up, so the window is the last full ones.
    const age = second - entry.bucketSeconds[slot];
    if (age >= 1 && age <= RATE_WINDOW_S) {
      count += entry.buckets[slot];
    }
  }
  return {
    topic,
    producer: entry.description?.producer ?? null,
    intervalMs: entry.description?.intervalMs ?? null,
    ratePerSecond: Math.round((count / RATE_WINDOW_S) * 100) / 100,
    published: entry.published,
    subscribers: entry.subscribers,
  };
}
