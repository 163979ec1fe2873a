import type { DirectSink } from './direct-sink.interface.js';
import type { TransportSignal } from '../transport/transport.interface.js';

/** One connection's side of a topic: what the topic's channel tells it. */
export interface ChannelMember {
  /** SUBSCRIBED and UNSUBSCRIBED always; events only while not written directly. */
  signal(signal: TransportSignal): void;
  fail(err: unknown): void;
  end(): void;
}

/** What a membership asks of its topic's channel (TopicChannel), so neither imports the other. */
export interface MembershipChannel {
  /** Live events the channel has written directly, so far. */
  readonly directCount: number;
  /** The id of the last event it wrote directly. */
  readonly lastDirectId: string;
  promote(membership: TopicMembership, sink: DirectSink): void;
  demote(membership: TopicMembership): void;
  remove(membership: TopicMembership): void;
}

/** A connection's place in a topic's channel. */
export class TopicMembership {
  /** The channel's count of directly written events when this member started taking them. */
  directFrom = -1;

  constructor(
    private readonly channel: MembershipChannel,
    readonly member: ChannelMember,
  ) {}

  get direct(): boolean {
    return this.directFrom >= 0;
  }

  /** From the next event on, the channel writes this topic's live events straight to `sink`. */
  goDirect(sink: DirectSink): void {
    this.channel.promote(this, sink);
  }

  /**
   * The id of the last event the channel wrote to this member directly, or `undefined` when it
   * wrote none (or the member is not direct).
   */
  lastDirect(): string | undefined {
    return this.direct && this.channel.directCount > this.directFrom
      ? this.channel.lastDirectId
      : undefined;
  }

  /** Back to receiving events as signals; returns what lastDirect() returned. */
  leaveDirect(): string | undefined {
    const last = this.lastDirect();
    this.channel.demote(this);
    return last;
  }

  leave(): void {
    this.channel.remove(this);
  }
}
