import type { Subscription } from 'rxjs';
import type { SseMetrics } from '../metrics/sse-metrics.interface.js';
import type { DirectSink } from './direct-sink.interface.js';
import type { TopicEvent } from '../topic-event.interface.js';
import { SUBSCRIBED, UNSUBSCRIBED, type Transport } from '../transport/transport.interface.js';
import type { FrameCache } from './frame-cache.js';
import { joinedFrame, type SharedFrame } from '../wire/sse-frame.js';
import { TopicMembership, type ChannelMember, type MembershipChannel } from './topic-membership.js';

/** What every channel of an instance shares (TopicChannels). */
export interface ChannelsShared {
  /** Encoded frames of recent events: a live event's frame serves its replays too. */
  readonly frames: FrameCache;
  /** Signals received from the transport by any channel (see TopicChannels.epoch). */
  signals: number;
}

/**
 * One topic's fan-out on this instance: one transport subscription, however many connections.
 * A live event's frame is encoded once and written, in one loop, to every connection that takes
 * it directly (one-topic, live, written by Ripple's writer). The others (joining, catching up,
 * several topics, or sent by Nest's `@Sse()`) get it as a signal and write it themselves. The hot
 * path is that loop: no Observable, no Promise, no copy per connection; see docs/performance.md.
 *
 * The loop runs once per turn of the event loop, not once per event: the events of a burst that
 * arrive in one turn are joined into one Buffer and written to each connection in one call, where
 * a write per event per connection would cost the same call (and Node's stream bookkeeping) that
 * many times over. The sockets are corked until the end of the turn anyway, so nothing leaves
 * later than it did. Whatever changes who is direct writes what is pending first, so that every
 * connection gets each event exactly once.
 */
export class TopicChannel implements MembershipChannel {
  private readonly waiting = new Set<TopicMembership>();
  private readonly direct = new Map<TopicMembership, DirectSink>();
  private subscription?: Subscription;
  /** The transport's subscription is in place: a new member is told SUBSCRIBED at once. */
  private live = false;
  private closed = false;
  /** This turn's frames for the direct sinks, written together at its end (flushChannels). */
  private pending: SharedFrame[] = [];
  /** Events written directly so far (or pending, in this turn), and the last of them. */
  directCount = 0;
  lastDirectId = '';

  constructor(
    readonly topic: string,
    private readonly transport: Transport,
    private readonly onEmpty: (channel: TopicChannel) => void,
    private readonly metrics: SseMetrics,
    private readonly shared: ChannelsShared,
  ) {}

  /** Subscribes to the transport, once; its first answer may come synchronously, even an error. */
  start(): void {
    if (this.subscription || this.closed) {
      return;
    }
    const subscription = this.transport.subscribe(this.topic).subscribe({
      next: (signal) => {
        this.shared.signals++;
        if (signal === SUBSCRIBED) {
          this.live = true;
          this.broadcast(SUBSCRIBED);
        } else if (signal === UNSUBSCRIBED) {
          this.live = false;
          this.broadcast(UNSUBSCRIBED);
        } else {
          this.fanOut(signal);
        }
      },
      error: (err: unknown) => this.close((member) => member.fail(err)),
      complete: () => this.close((member) => member.end()),
    });
    if (this.closed) {
      subscription.unsubscribe();
    } else {
      this.subscription = subscription;
    }
  }

  get size(): number {
    return this.waiting.size + this.direct.size;
  }

  add(member: ChannelMember): TopicMembership {
    const membership = new TopicMembership(this, member);
    this.waiting.add(membership);
    if (this.live) {
      member.signal(SUBSCRIBED);
    }
    return membership;
  }

  promote(membership: TopicMembership, sink: DirectSink): void {
    this.flush();
    if (this.waiting.delete(membership)) {
      membership.directFrom = this.directCount;
      this.direct.set(membership, sink);
    }
  }

  demote(membership: TopicMembership): void {
    this.flush();
    if (this.direct.delete(membership)) {
      membership.directFrom = -1;
      this.waiting.add(membership);
    }
  }

  remove(membership: TopicMembership): void {
    this.flush();
    this.waiting.delete(membership);
    this.direct.delete(membership);
    membership.directFrom = -1;
    if (this.size === 0 && !this.closed) {
      this.closed = true;
      this.subscription?.unsubscribe();
      this.onEmpty(this);
    }
  }

  private fanOut(event: TopicEvent): void {
    if (this.direct.size > 0) {
      if (this.pending.push(this.shared.frames.frameOf(event)) === 1) {
        flushThisTurn(this);
      }
      this.directCount++;
      this.lastDirectId = event.id;
      // Counted once per event, not per connection: the loop above stays bare.
      this.metrics.delivered(this.topic, this.direct.size);
    }
    // Members may go direct while they are told; a Set visits each once even so.
    for (const membership of this.waiting) {
      membership.member.signal(event);
    }
    // Every live connection of the topic has it now, written or handed to its writer.
    this.metrics.fannedOut(event.publishedAt);
  }

  /** Writes this turn's frames to every direct sink: one write each, however many events. */
  flush(): void {
    const frames = this.pending;
    if (frames.length === 0) {
      return;
    }
    this.pending = [];
    const frame = frames.length === 1 ? frames[0] : joinedFrame(frames);
    for (const sink of this.direct.values()) {
      sink.writeShared(frame);
    }
  }

  /** Control signals go to every member, direct or not, each once. */
  private broadcast(signal: typeof SUBSCRIBED | typeof UNSUBSCRIBED): void {
    this.flush();
    for (const membership of [...this.direct.keys(), ...this.waiting]) {
      membership.member.signal(signal);
    }
  }

  private close(tell: (member: ChannelMember) => void): void {
    if (this.closed) {
      return;
    }
    this.flush();
    this.closed = true;
    this.onEmpty(this);
    const members = [...this.direct.keys(), ...this.waiting];
    this.direct.clear();
    this.waiting.clear();
    for (const membership of members) {
      tell(membership.member);
    }
  }
}

/**
 * Channels with frames pending in this turn, flushed together in one callback rather than one
 * process.nextTick per channel. It runs before the sockets' uncork (the writes cork them for the
 * turn again if that ran already), and before any timer or I/O: the same moment the frames would
 * have left the corked sockets.
 */
const flushing: TopicChannel[] = [];

function flushChannels(): void {
  // Channels given frames while flushing (a sink's write cannot publish, but be safe) wait for the
  // next callback.
  for (const channel of flushing.splice(0)) {
    channel.flush();
  }
}

function flushThisTurn(channel: TopicChannel): void {
  if (flushing.push(channel) === 1) {
    process.nextTick(flushChannels);
  }
}
