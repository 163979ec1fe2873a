const quoted = (names: string[]): string => names.map((name) => `"${name}"`).join(', ');

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const UNKNOWN_PRODUCERS = (unknown: string[], known: string[]): string =>
  `Unknown producer${unknown.length === 1 ? '' : 's'} ${quoted(unknown)} in RIPPLE_PRODUCERS. ` +
  `Known producers: ${known.length === 0 ? 'none' : known.join(', ')}.`;

export const DUPLICATE_PRODUCER = (name: string, first: string, second: string): string =>
  `Producer name "${name}" is used by both ${first} and ${second}; names must be unique.`;

export const PRODUCER_WITHOUT_SOURCE = (name: string, className: string): string =>
  `Producer "${name}" (${className}) must implement produce$(), or produce() with a positive ` +
  `intervalMs in @Producer().`;

export const PRODUCER_NOT_SINGLETON = (name: string, className: string): string =>
  `Producer "${name}" (${className}) must be a singleton provider: request-scoped and transient ` +
  `producers have no instance to run.`;

export const TICK_FAILED = (name: string, error: unknown): string =>
  `Producer "${name}": tick failed and was skipped: ${reason(error)}`;

export const SLOW_TICK = (name: string, tookMs: number, intervalMs: number): string =>
  `Producer "${name}": a tick took ${tookMs} ms, longer than its ${intervalMs} ms interval; ` +
  `the ticks due meanwhile were skipped.`;

export const PUBLISH_FAILED = (name: string, error: unknown): string =>
  `Producer "${name}": publish failed, the value was dropped: ${reason(error)}`;

export const STREAM_FAILED = (name: string, delayMs: number, error: unknown): string =>
  `Producer "${name}": produce$() failed; subscribing again in ${delayMs} ms: ${reason(error)}`;

export const LEADER_LOCK_FAILED = (name: string, delayMs: number, error: unknown): string =>
  `Producer "${name}": its leader lock failed; the producer is paused and campaigns again in ` +
  `${delayMs} ms: ${reason(error)}`;
