/**
 * The benchmark payload: `{"s":<sequence>,"t":<publish time, ms since the epoch>,"p":"xxx…"}`,
 * padded so that its JSON is about `bytes` long (100 by default). `t` is
 * performance.timeOrigin + performance.now() in the publishing process; every process of a run
 * is on one machine, so receivers subtract it from their own clock for publish-to-receive latency.
 */
export const TOPIC = 'bench';

/** The padding string that brings a payload to about `bytes` bytes of JSON. */
export function padFor(bytes) {
  // {"s":1234567,"t":1764097200000.123,"p":""} is about 44 characters.
  return 'x'.repeat(Math.max(0, bytes - 44));
}
