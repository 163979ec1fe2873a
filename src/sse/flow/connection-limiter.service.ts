import { Inject, Injectable } from '@nestjs/common';
import type { ConnectionRefusal } from '../metrics/sse-metrics.interface.js';
import { SSE_OPTIONS, type ResolvedSseOptions } from '../sse.constants.js';

/**
 * Counts the streams open on this instance, in all and per client address, against
 * RIPPLE_MAX_CONNECTIONS and RIPPLE_MAX_CONNECTIONS_PER_IP (0: no limit). An address is
 * forgotten with its last stream, so the map holds only addresses with open streams.
 */
@Injectable()
export class ConnectionLimiter {
  private total = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(@Inject(SSE_OPTIONS) private readonly options: ResolvedSseOptions) {}

  get open(): number {
    return this.total;
  }

  /** Takes a place for a stream from `address`, or says why not; `release` gives it back once. */
  acquire(address: string): Place | { refused: ConnectionRefusal } {
    const { maxConnections, maxConnectionsPerIp } = this.options;
    if (maxConnections > 0 && this.total >= maxConnections) {
      return { refused: 'instance-full' };
    }
    const mine = this.perAddress.get(address) ?? 0;
    if (maxConnectionsPerIp > 0 && mine >= maxConnectionsPerIp) {
      return { refused: 'address-full' };
    }
    this.total++;
    this.perAddress.set(address, mine + 1);
    return new Place(this, address);
  }

  /** Gives back a place of `address`: Place.release calls it once. */
  free(address: string): void {
    this.total--;
    const left = (this.perAddress.get(address) ?? 1) - 1;
    if (left === 0) {
      this.perAddress.delete(address);
    } else {
      this.perAddress.set(address, left);
    }
  }
}

/** A stream's place, held as long as the stream: a small object, not a closure. */
export class Place {
  private released = false;

  constructor(
    private readonly limiter: ConnectionLimiter,
    private readonly address: string,
  ) {}

  release(): void {
    if (!this.released) {
      this.released = true;
      this.limiter.free(this.address);
    }
  }
}
