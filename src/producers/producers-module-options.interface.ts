export interface ProducersModuleOptions {
  /** The names of the producers to run (RIPPLE_PRODUCERS); a name no producer has fails the boot. */
  enabled: string[];
  /** Names this process in what its producers publish (the `system` topic). */
  instanceId: string;
}
