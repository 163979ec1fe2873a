/** Topic names (docs/wire.md): safe in URLs, Redis keys and cursors, never empty, at most 128. */
export const TOPIC_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function isTopicName(value: string): boolean {
  return TOPIC_NAME.test(value);
}

/** Event types reserved for Ripple's own events (such as `ripple.reset`). */
export const RESERVED_TYPE_PREFIX = 'ripple.';
