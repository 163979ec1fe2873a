import { createHash } from 'node:crypto';
import { AgeOrderedMap } from '../collections/age-ordered-map.js';
import type { OutgoingEvent } from '../topic-event.interface.js';

/**
 * What tells a retry from another publish under the same Idempotency-Key: a digest of the type and
 * data (128 bits of SHA-256, base64url, no spaces). The NUL cannot occur in a type.
 */
export function eventFingerprint(event: OutgoingEvent): string {
  return createHash('sha256')
    .update(event.type ?? '')
    .update('\0')
    .update(event.data)
    .digest('base64url')
    .slice(0, 22);
}

/** The digest an Idempotency-Key is stored under: fixed length, whatever the key holds. */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

interface Remembered {
  id: string;
  fingerprint: string;
  expiresAt: number;
}

/**
 * The memory transport's Idempotency-Keys: at most `maxKeys`, each for `windowMs`. The window is
 * the same for all, so insertion order is expiry order, and the oldest go first either way.
 */
export class IdempotencyKeys {
  private readonly entries = new AgeOrderedMap<string, Remembered>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** What a publish of `topic` under `key` stored within the window, if any. */
  find(topic: string, key: string, now = Date.now()): Omit<Remembered, 'expiresAt'> | undefined {
    this.expire(now);
    const entry = this.entries.get(entryKey(topic, key));
    return entry && { id: entry.id, fingerprint: entry.fingerprint };
  }

  remember(topic: string, key: string, id: string, fingerprint: string, now = Date.now()): void {
    this.expire(now);
    while (this.entries.size >= this.maxKeys) {
      this.entries.deleteOldest();
    }
    this.entries.set(entryKey(topic, key), { id, fingerprint, expiresAt: now + this.windowMs });
  }

  private expire(now: number): void {
    for (let oldest = this.entries.oldest(); oldest; oldest = this.entries.oldest()) {
      if (oldest.value.expiresAt > now) {
        return;
      }
      this.entries.deleteOldest();
    }
  }
}

/** Topic names hold no NUL, so the pair cannot be confused. */
function entryKey(topic: string, key: string): string {
  return `${topic}\0${key}`;
}
