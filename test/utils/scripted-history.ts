import type { History, HistoryRead } from '../../src/sse/history/history.interface.js';
import type { TopicEvent } from '../../src/sse/topic-event.interface.js';
import { compareEventIds, ORIGIN_ID } from '../../src/sse/wire/event-id.js';

/** A read the stream made and the test has not answered yet. */
export interface PendingRead {
  /** `head(t)` or `readAfter(t, after, limit)`, as the stream called it. */
  readonly call: string;
  readonly topic: string;
  resolve(value: string | HistoryRead): void;
  reject(err: unknown): void;
  /** What the store answers for this read now. */
  answer(): string | HistoryRead;
  /** What the store answered when the read was made (a read that ran at once, answered late). */
  readonly early: string | HistoryRead;
}

/**
 * A History whose reads wait until the test answers them, one by one, in any order: `answer()`
 * answers from the events stored at that moment (so the read "happens" then), `answerEarly()` as
 * the store was when it was called, `answerWith()` with any page, `reject()` fails it. The store is what the transport would have written: `store()`
 * an event before sending it live, as a real transport does; `trim()` drops a topic's oldest.
 */
export class ScriptedHistory implements History {
  private readonly logs = new Map<string, TopicEvent[]>();
  /** The id before a topic's oldest retained event (what was trimmed up to). */
  private readonly bases = new Map<string, string>();
  readonly pending: PendingRead[] = [];
  /** Every call the stream made, answered or not, in order. */
  readonly calls: string[] = [];

  head(topic: string): Promise<string> {
    return this.wait(`head(${topic})`, topic, () => this.headOf(topic)) as Promise<string>;
  }

  readAfter(topic: string, after: string, limit: number): Promise<HistoryRead> {
    return this.wait(`readAfter(${topic}, ${after}, ${limit})`, topic, () =>
      this.page(topic, after, limit),
    ) as Promise<HistoryRead>;
  }

  /** Not scripted: the stream asks it only on an open with history, which these tests never do. */
  recentStart(topic: string): Promise<string> {
    return Promise.resolve(this.headOf(topic));
  }

  store(...events: TopicEvent[]): void {
    for (const event of events) {
      const log = this.logs.get(event.topic) ?? [];
      log.push(event);
      this.logs.set(event.topic, log);
    }
  }

  /** History no longer reaches back past `upTo`: reads after an earlier position are `trimmed`. */
  trim(topic: string, upTo: string): void {
    this.logs.set(
      topic,
      (this.logs.get(topic) ?? []).filter((event) => compareEventIds(event.id, upTo) > 0),
    );
    this.bases.set(topic, upTo);
  }

  /**
   * Takes a waiting read: the oldest (of `which`, a topic), or the one at index `which` of
   * `pending`. Throws when there is none.
   */
  next(which?: string | number): PendingRead {
    const index =
      typeof which === 'number'
        ? which
        : this.pending.findIndex((read) => which === undefined || read.topic === which);
    if (index < 0 || index >= this.pending.length) {
      throw new Error(
        `no read of ${which ?? 'any topic'} is waiting (calls: ${this.calls.join(', ')})`,
      );
    }
    return this.pending.splice(index, 1)[0];
  }

  /** Answers a waiting read (see `next`) from the store as it is now. */
  answer(which?: string | number): void {
    const read = this.next(which);
    read.resolve(read.answer());
  }

  /** Answers a waiting read (see `next`) as the store was when the read was made. */
  answerEarly(which?: string | number): void {
    const read = this.next(which);
    read.resolve(read.early);
  }

  answerWith(value: string | HistoryRead, which?: string | number): void {
    this.next(which).resolve(value);
  }

  reject(which?: string | number, err: unknown = new Error('history unreachable')): void {
    this.next(which).reject(err);
  }

  /** Reads waiting now, as called. */
  get waiting(): string[] {
    return this.pending.map((read) => read.call);
  }

  private wait(
    call: string,
    topic: string,
    answer: () => string | HistoryRead,
  ): Promise<string | HistoryRead> {
    this.calls.push(call);
    const early = answer();
    return new Promise((resolve, reject) => {
      this.pending.push({ call, topic, resolve, reject, answer, early });
    });
  }

  private headOf(topic: string): string {
    return this.logs.get(topic)?.at(-1)?.id ?? this.bases.get(topic) ?? ORIGIN_ID;
  }

  /** As every History answers: a page after `after`, or a gap where it cannot. */
  private page(topic: string, after: string, limit: number): HistoryRead {
    const head = this.headOf(topic);
    if (compareEventIds(after, head) > 0) {
      return { events: [], more: false, head, gap: 'unknown-position' };
    }
    if (compareEventIds(after, this.bases.get(topic) ?? ORIGIN_ID) < 0) {
      return { events: [], more: false, head, gap: 'trimmed' };
    }
    const rest = (this.logs.get(topic) ?? []).filter(
      (event) => compareEventIds(event.id, after) > 0,
    );
    return { events: rest.slice(0, limit), more: rest.length > limit, head };
  }
}
