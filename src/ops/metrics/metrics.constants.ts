/** The label of every topic past the cap on topic labels (no topic name starts with `_`). */
export const OTHER_TOPIC = '_other';

/** The label of every private topic (`RIPPLE_PRIVATE_TOPICS`): their names are not for scrapers. */
export const PRIVATE_TOPIC = '_private';

/**
 * Publish-to-write latency buckets, in seconds: 0.5 ms (a local fan-out) to 10 s (a client far
 * behind); the steps are fine around the few milliseconds a Redis hop adds.
 */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
