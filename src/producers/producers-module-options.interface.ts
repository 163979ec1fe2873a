export interface ProducersModuleOptions {
  /** The names of the producers to run (RIPPLE_PRODUCERS); a name no producer has fails the boot. */
  enabled: string[];
  /** Names this process in what its producers publish (the `system` topic). */
  instanceId: string;
  /** How long a producer's leader lease lasts on Redis (RIPPLE_LEADER_LEASE_MS). Default 10000. */
  leaseMs?: number;
}
