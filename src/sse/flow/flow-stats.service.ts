import { Injectable } from '@nestjs/common';
import type { ConnectionRefusal } from '../metrics/sse-metrics.interface.js';

/** Why Ripple's writer dropped a client: too much waited for it, or its socket did not drain. */
export type DropReason = 'slow-consumer' | 'write-timeout';

/** What flow control did, for health, logs and metrics. */
@Injectable()
export class FlowStats {
  readonly drops: Record<DropReason, number> = { 'slow-consumer': 0, 'write-timeout': 0 };
  readonly refusals: Record<ConnectionRefusal, number> = { 'instance-full': 0, 'address-full': 0 };

  dropped(reason: DropReason): void {
    this.drops[reason]++;
  }

  refused(reason: ConnectionRefusal): void {
    this.refusals[reason]++;
  }
}
