/** What a publisher hands to the transport: the payload is serialised once, here, for every reader. */
export interface OutgoingEvent {
  /** The SSE event type; absent means the topic name. */
  type?: string;
  /** The payload as JSON text. */
  data: string;
}

/** An event once it is stored: it has its id, and its place in the topic's order. */
export interface TopicEvent extends OutgoingEvent {
  topic: string;
  /** `<ms>-<seq>`, growing within a topic (see wire/event-id.ts). */
  id: string;
  /** When the publishing instance accepted it, in epoch ms, for publish-to-write latency. */
  publishedAt: number;
}
