import { Injectable } from '@nestjs/common';

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

interface TopicEntry {
  description?: TopicDescription;
  subscribers: number;
  published: number;
  /** Publish counts per second of the window, as a ring indexed by the second. */
  buckets: number[];
  bucketSeconds: number[];
  lastActive: number;
}

const RATE_WINDOW_S = 10;
/** A topic with no producer and no subscriber is forgotten after this long without a publish. */
const IDLE_MS = 5 * 60_000;
/** A cap on the number of topics tracked, so clients cannot grow the map without bound. */
const MAX_TRACKED = 10_000;

/** What `GET /topics` shows: the topics this instance knows, who feeds them, who reads them. */
@Injectable()
export class TopicStats {
  private readonly entries = new Map<string, TopicEntry>();

  describe(topic: string, description: TopicDescription): void {
    this.entry(topic).description = description;
  }

  published(topic: string, now = Date.now()): void {
    const entry = this.entry(topic, now);
    entry.published++;
    const second = Math.floor(now / 1000);
    const slot = second % RATE_WINDOW_S;
    if (entry.bucketSeconds[slot] !== second) {
      entry.bucketSeconds[slot] = second;
      entry.buckets[slot] = 0;
    }
    entry.buckets[slot]++;
  }

  subscribed(topic: string, delta: 1 | -1, now = Date.now()): void {
    this.entry(topic, now).subscribers += delta;
  }

  list(now = Date.now()): TopicSummary[] {
    this.prune(now);
    const second = Math.floor(now / 1000);
    return [...this.entries]
      .map(([topic, entry]) => {
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
      })
      .sort((a, b) => a.topic.localeCompare(b.topic));
  }

  private entry(topic: string, now = Date.now()): TopicEntry {
    let entry = this.entries.get(topic);
    if (!entry) {
      if (this.entries.size >= MAX_TRACKED) {
        this.prune(now);
      }
      entry = {
        subscribers: 0,
        published: 0,
        buckets: Array.from({ length: RATE_WINDOW_S }, () => 0),
        bucketSeconds: Array.from({ length: RATE_WINDOW_S }, () => -1),
        lastActive: now,
      };
      this.entries.set(topic, entry);
    }
    entry.lastActive = now;
    return entry;
  }

  private prune(now: number): void {
    for (const [topic, entry] of this.entries) {
      if (!entry.description && entry.subscribers === 0 && now - entry.lastActive > IDLE_MS) {
        this.entries.delete(topic);
      }
    }
  }
}
