import type { SseMetrics } from '../metrics/sse-metrics.interface.js';
import { NO_SSE_METRICS } from '../metrics/no-sse-metrics.js';
import type { Transport } from '../transport/transport.interface.js';
import { FrameCache } from './frame-cache.js';
import { TopicChannel } from './topic-channel.js';
import type { ChannelsShared } from './topic-channel.js';
import type { ChannelMember, TopicMembership } from './topic-membership.js';

/** The channels of the topics that connections on this instance read; a topic's goes with its last reader. */
export class TopicChannels implements ChannelsShared {
  private readonly channels = new Map<string, TopicChannel>();
  /**
   * Signals any channel received from the transport (an event, a subscription lost or regained).
   * Two history reads of a topic asked while it stays the same see the same history as far as
   * their streams can tell: no live event reached this instance in between, so whatever the later
   * reader's subscription does not hold was stored before the first read began. That is what lets
   * concurrent readers share one read (SharedReads).
   */
  signals = 0;

  constructor(
    private readonly transport: Transport,
    private readonly metrics: SseMetrics = NO_SSE_METRICS,
    /** The encoded frames of recent events, shared with the replays (none kept by default). */
    readonly frames: FrameCache = new FrameCache(0),
  ) {}

  join(topic: string, member: ChannelMember): TopicMembership {
    let channel = this.channels.get(topic);
    if (!channel) {
      channel = new TopicChannel(
        topic,
        this.transport,
        (gone) => {
          if (this.channels.get(gone.topic) === gone) {
            this.channels.delete(gone.topic);
          }
        },
        this.metrics,
        this,
      );
      this.channels.set(topic, channel);
    }
    const membership = channel.add(member);
    channel.start();
    return membership;
  }

  get topics(): string[] {
    return [...this.channels.keys()];
  }
}
