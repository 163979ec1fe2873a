import type { RedisConnectionSet, RedisClient } from './redis-connection-set.js';
import type { RedisKeys } from './redis-keys.js';
import { READ_SCRIPT } from './redis-scripts.js';
import type { TopicEvent } from '../topic-event.interface.js';
import { compareEventIds, isEventId } from '../wire/event-id.js';
import {
  laterOf,
  type History,
  type HistoryRead,
  type Recent,
} from '../history/history.interface.js';

type StreamEntry = [id: string, fields: string[]];
type ReadReply = [last: string, deleted: string, entries: StreamEntry[]];

interface ReadCommand {
  rippleRead(key: string, after: string, count: number): Promise<ReadReply>;
}

/**
 * History in Redis streams, one per topic; the publish script writes them. On a cluster each read
 * runs on the master that owns the topic's slot.
 */
export class RedisHistory implements History {
  private readonly redis: RedisClient & ReadCommand;

  constructor(
    backend: RedisConnectionSet,
    private readonly keys: RedisKeys,
  ) {
    backend.command.defineCommand('rippleRead', { numberOfKeys: 1, lua: READ_SCRIPT });
    this.redis = backend.command as RedisClient & ReadCommand;
  }

  async head(topic: string): Promise<string> {
    const [last] = await this.redis.rippleRead(this.keys.log(topic), '', 0);
    return last;
  }

  async recentStart(topic: string, { last, since }: Recent): Promise<string> {
    const key = this.keys.log(topic);
    // What was trimmed away bounds every answer: a position before it would read as trimmed. Asked
    // from 0-0, a stream that lost nothing answers 0-0 (not the mark of its creation, which is
    // its first entry: read after it, that would be left out).
    let from = (await this.redis.rippleRead(key, '0-0', 0))[1];
    if (last !== undefined) {
      const entries = await this.redis.xrevrange(key, '+', '-', 'COUNT', last + 1);
      from = entries.length > last ? laterOf(from, entries[last][0]) : from;
    }
    if (since !== undefined && since > 0) {
      // Ids are the publishing Redis's clock in ms: the last one before `since` bounds the rest.
      const [before] = await this.redis.xrevrange(key, `(${since}-0`, '-', 'COUNT', 1);
      from = before ? laterOf(from, before[0]) : from;
    }
    return from;
  }

  async readAfter(topic: string, after: string, limit: number): Promise<HistoryRead> {
    if (!isEventId(after)) {
      // No position Redis could hold: it never reaches a command.
      return { events: [], more: false, head: await this.head(topic), gap: 'unknown-position' };
    }
    const count = Math.max(1, Math.floor(limit));
    const [head, deleted, entries] = await this.redis.rippleRead(
      this.keys.log(topic),
      after,
      count,
    );
    if (compareEventIds(after, head) > 0) {
      return { events: [], more: false, head, gap: 'unknown-position' };
    }
    if (compareEventIds(after, deleted) < 0) {
      return { events: [], more: false, head, gap: 'trimmed' };
    }
    const events = entries.map((entry) => toEvent(topic, entry));
    // A full page that stops short of the head: more follow (the head is the stream's last entry).
    const more = events.length === count && compareEventIds(events[count - 1].id, head) < 0;
    return { events, more, head };
  }
}

function toEvent(topic: string, [id, fields]: StreamEntry): TopicEvent {
  let data = '';
  let type: string | undefined;
  let publishedAt = 0;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1];
    if (fields[i] === 'd') {
      data = value;
    } else if (fields[i] === 't') {
      type = value === '' ? undefined : value;
    } else if (fields[i] === 'p') {
      publishedAt = Number(value);
    }
  }
  return { topic, id, type, data, publishedAt };
}
