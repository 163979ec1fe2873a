/**
 * A Map that hands out its oldest entry in O(1): `set` makes an entry the newest, and `oldest` and
 * `deleteOldest` take from the other end.
 *
 * A plain Map keeps insertion order too, but finding its first entry walks every entry deleted
 * before it since V8 last compacted the table: deleted entries stay in place as holes. A cache or a
 * window that deletes from the front on every insertion then pays for thousands of holes each time
 * (FrameCache did: 18% of the batch route's CPU). Here the age order is an array of slots read from
 * `head`; a slot whose key was deleted or set again since is stale and skipped, and the array is
 * compacted once the stale and consumed part outgrows the live one, so that each slot is visited
 * and copied a bounded number of times.
 */
export class AgeOrderedMap<K, V> {
  private readonly slots = new Map<K, Slot<K, V>>();
  private order: (Slot<K, V> | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.slots.size;
  }

  get(key: K): V | undefined {
    return this.slots.get(key)?.value;
  }

  has(key: K): boolean {
    return this.slots.has(key);
  }

  /**
   * Sets the value and makes the entry the newest, whether or not it was there. An entry that is
   * the newest already keeps its slot: a key set over and over (a busy topic's) then costs no slot.
   */
  set(key: K, value: V): void {
    const newest = this.order[this.order.length - 1];
    if (newest !== undefined && newest.key === key && this.slots.get(key) === newest) {
      newest.value = value;
      return;
    }
    const slot: Slot<K, V> = { key, value };
    this.slots.set(key, slot);
    this.order.push(slot);
    this.compactIfSparse();
  }

  delete(key: K): boolean {
    return this.slots.delete(key);
  }

  /** The oldest entry, or undefined when empty. */
  oldest(): { readonly key: K; readonly value: V } | undefined {
    while (this.head < this.order.length) {
      const slot = this.order[this.head];
      if (slot && this.slots.get(slot.key) === slot) {
        return slot;
      }
      this.order[this.head++] = undefined;
    }
    return undefined;
  }

  /** Removes and returns the oldest entry, or undefined when empty. */
  deleteOldest(): { readonly key: K; readonly value: V } | undefined {
    const slot = this.oldest();
    if (slot) {
      this.slots.delete(slot.key);
      this.order[this.head++] = undefined;
    }
    return slot;
  }

  /** Entries oldest first. */
  *entries(): IterableIterator<[K, V]> {
    for (let i = this.head; i < this.order.length; i++) {
      const slot = this.order[i];
      if (slot && this.slots.get(slot.key) === slot) {
        yield [slot.key, slot.value];
      }
    }
  }

  private compactIfSparse(): void {
    const length = this.order.length;
    if (length < COMPACT_AT || length <= 2 * this.slots.size) {
      return;
    }
    const live: Slot<K, V>[] = [];
    for (let i = this.head; i < length; i++) {
      const slot = this.order[i];
      if (slot && this.slots.get(slot.key) === slot) {
        live.push(slot);
      }
    }
    this.order = live;
    this.head = 0;
  }
}

/** Below this many slots the array is left as it is: compacting often costs more than it saves. */
const COMPACT_AT = 1024;

interface Slot<K, V> {
  readonly key: K;
  value: V;
}
