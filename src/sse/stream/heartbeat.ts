/** A stream that the heartbeat asks, once a period, whether it must send a keep-alive. */
export interface Ticking {
  tick(): void;
}

/**
 * One timer for every stream of the hub, started with the first and stopped with the last: a
 * stream costs an entry in a Set, not a subscription and a closure of its own.
 */
export class Heartbeat {
  private readonly streams = new Set<Ticking>();
  private timer: NodeJS.Timeout | undefined = undefined;

  constructor(private readonly periodMs: number) {}

  add(stream: Ticking): void {
    this.streams.add(stream);
    this.timer ??= setInterval(tickAll, this.periodMs, this.streams);
  }

  delete(stream: Ticking): void {
    if (this.streams.delete(stream) && this.streams.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  get size(): number {
    return this.streams.size;
  }
}

/** A stream that ends while the others tick leaves the Set; a Set visits each remaining one once. */
function tickAll(streams: Set<Ticking>): void {
  for (const stream of streams) {
    stream.tick();
  }
}
