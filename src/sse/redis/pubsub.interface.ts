import type { Observable } from 'rxjs';
import type { SUBSCRIBED, UNSUBSCRIBED } from '../transport/transport.interface.js';

/**
 * What a channel carries to its subscriber: a message, SUBSCRIBED each time the subscription is
 * (again) in place, UNSUBSCRIBED each time it is lost (messages may be missed until the next
 * SUBSCRIBED).
 */
export type ChannelSignal = string | typeof SUBSCRIBED | typeof UNSUBSCRIBED;

/**
 * The pub/sub side of a Redis backend, the one thing the Redis transport does differently on one
 * server and on a cluster: classic PUBLISH/SUBSCRIBE on one connection, or sharded
 * SPUBLISH/SSUBSCRIBE on the node that owns each channel's slot.
 */
export interface PubSub {
  /** The command the publish script publishes with. */
  readonly publishCommand: 'PUBLISH' | 'SPUBLISH';
  /**
   * Subscribes to `channel` while subscribed to, and keeps it subscribed through lost connections
   * and moved slots, saying so with SUBSCRIBED and UNSUBSCRIBED. At most one subscriber per channel
   * at a time (the transport shares it among its local subscribers); unsubscribing unsubscribes on
   * Redis. Errors only when the subscription cannot be made at all.
   */
  channel(channel: string): Observable<ChannelSignal>;
}
