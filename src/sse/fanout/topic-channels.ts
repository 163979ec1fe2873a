import type { SseMetrics } from '../metrics/sse-metrics.interface.js';
import { NO_SSE_METRICS } from '../metrics/no-sse-metrics.js';
import type { Transport } from '../transport/transport.interface.js';
import { TopicChannel } from './topic-channel.js';
import type { ChannelMember, TopicMembership } from './topic-membership.js';

/** The channels of the topics that connections on this instance read; a topic's goes with its last reader. */
export class TopicChannels {
  private readonly channels = new Map<string, TopicChannel>();

  constructor(
    private readonly transport: Transport,
    private readonly metrics: SseMetrics = NO_SSE_METRICS,
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
