import type { MessageEvent } from '@nestjs/common';
import { NEVER } from 'rxjs';
import { TopicChannels } from '../fanout/topic-channels.js';
import { MemoryHistory } from '../history/memory-history.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import { parseCursor } from '../wire/cursor.js';
import { resumableStream } from './resumable-stream.js';
import { streamControlOf, type StreamWriter } from './stream-control.js';

/** Lets the microtasks (history reads, the replay's awaits) run out. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

/** A writer whose room the test gives, one page at a time. */
class PacedWriter implements StreamWriter {
  readonly pages: number[] = [];
  private room?: () => void;
  private counting = -1;
  waits = 0;

  whenWritable(): Promise<void> {
    this.waits++;
    return new Promise((resolve) => (this.room = resolve));
  }
  page(send: () => void): void {
    this.counting = 0;
    send();
    this.pages.push(this.counting);
    this.counting = -1;
  }
  /** Called for each message the stream writes. */
  wrote(): void {
    if (this.counting >= 0) {
      this.counting++;
    }
  }
  giveRoom(): void {
    const room = this.room;
    this.room = undefined;
    room?.();
  }
  get waiting(): boolean {
    return this.room !== undefined;
  }
  writeShared(): void {
    throw new Error('not direct in this spec');
  }
  takeWrote(): boolean {
    return false;
  }
}

describe('resumableStream replay', () => {
  const PAGE = 3;
  let history: MemoryHistory;
  let transport: MemoryTransport;

  const publish = async (topic: string, n: number) =>
    transport.publish(topic, { data: JSON.stringify(n) });

  /** A resume of `topics` from `cursor`, written through a PacedWriter. */
  const resume = (topics: string[], cursor: string) => {
    const writer = new PacedWriter();
    const messages: MessageEvent[] = [];
    const subscription = resumableStream(
      {
        channels: new TopicChannels(transport),
        history,
        retryMs: 1000,
        pageSize: PAGE,
        heartbeat$: NEVER,
      },
      topics,
      parseCursor(cursor),
    ).subscribe((message) => {
      streamControlOf(message)?.attach(writer);
      messages.push(message);
      writer.wrote();
    });
    const data = () =>
      messages
        .filter((m) => m.data !== undefined)
        .map((m) => JSON.parse(m.data as string) as number);
    return { writer, messages, data, subscription };
  };

  beforeEach(() => {
    history = new MemoryHistory(1000);
    transport = new MemoryTransport(history);
  });

  it('sends a page, then the next only once the writer has room', async () => {
    const start = await history.head('t');
    for (let i = 0; i < 10; i++) {
      await publish('t', i);
    }
    const { writer, data, subscription } = resume(['t'], `t=${start}`);
    await settled();
    expect(data()).toEqual([0, 1, 2]);
    expect(writer.waiting).toBe(true);
    writer.giveRoom();
    await settled();
    expect(data()).toEqual([0, 1, 2, 3, 4, 5]);
    writer.giveRoom();
    await settled();
    writer.giveRoom();
    await settled();
    writer.giveRoom();
    await settled();
    expect(data()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Every page was at most PAGE events, each written inside page().
    expect(Math.max(...writer.pages)).toBeLessThanOrEqual(PAGE);
    // Live once history is out.
    await publish('t', 10);
    expect(data().at(-1)).toBe(10);
    subscription.unsubscribe();
  });

  it('reads from history instead of holding more than a page of live events', async () => {
    const start = await history.head('t');
    for (let i = 0; i < 5; i++) {
      await publish('t', i);
    }
    const { writer, data, subscription } = resume(['t'], `t=${start}`);
    await settled();
    expect(data()).toEqual([0, 1, 2]);
    // The client does not read while twenty more are published.
    for (let i = 5; i < 25; i++) {
      await publish('t', i);
    }
    for (let round = 0; round < 20 && writer.waiting; round++) {
      writer.giveRoom();
      await settled();
    }
    expect(data()).toEqual(Array.from({ length: 25 }, (_, i) => i));
    await publish('t', 25);
    expect(data().at(-1)).toBe(25);
    subscription.unsubscribe();
  });

  it('stops paging when the subscriber leaves mid-replay', async () => {
    const start = await history.head('t');
    for (let i = 0; i < 10; i++) {
      await publish('t', i);
    }
    const { writer, data, subscription } = resume(['t'], `t=${start}`);
    await settled();
    subscription.unsubscribe();
    writer.giveRoom();
    await settled();
    expect(data()).toEqual([0, 1, 2]);
    expect(writer.waits).toBe(1);
  });
});
