import { Observable, Subject } from 'rxjs';
import type { DirectSink } from './direct-sink.interface.js';
import type { TopicEvent } from '../topic-event.interface.js';
import {
  SUBSCRIBED,
  UNSUBSCRIBED,
  type OncePublished,
  type Transport,
  type TransportSignal,
} from '../transport/transport.interface.js';
import { encodeFrame } from '../wire/sse-frame.js';
import { sharedTopicMessage } from '../wire/message-event.js';
import type { SharedFrame } from '../wire/sse-frame.js';
import { TopicChannels } from './topic-channels.js';
import type { ChannelMember } from './topic-membership.js';

/** A transport whose one subscription the test drives by hand. */
class ScriptedTransport implements Transport {
  readonly available = true;
  readonly upstream = new Subject<TransportSignal>();
  subscriptions = 0;
  active = 0;

  publish(): Promise<TopicEvent> {
    return Promise.reject(new Error('not used'));
  }

  publishOnce(): Promise<OncePublished> {
    return Promise.reject(new Error('not used'));
  }

  subscribe(): Observable<TransportSignal> {
    return new Observable<TransportSignal>((subscriber) => {
      this.subscriptions++;
      this.active++;
      const subscription = this.upstream.subscribe(subscriber);
      return () => {
        this.active--;
        subscription.unsubscribe();
      };
    });
  }
}

function member(): ChannelMember & { got: TransportSignal[]; ended: boolean } {
  const m = {
    got: [] as TransportSignal[],
    ended: false,
    signal: (signal: TransportSignal) => m.got.push(signal),
    fail: () => undefined,
    end: () => (m.ended = true),
  };
  return m;
}

function sink(): DirectSink & { frames: SharedFrame[] } {
  const s = {
    frames: [] as SharedFrame[],
    writeShared: (frame: SharedFrame) => s.frames.push(frame),
    takeWrote: () => false,
  };
  return s;
}

/** The end of this turn, when a channel writes what its direct sinks are due. */
const endOfTurn = () => new Promise<void>((resolve) => process.nextTick(resolve));

const event = (id: string, data = '{"n":1}'): TopicEvent => ({
  topic: 'news',
  id,
  data,
  publishedAt: 0,
});

describe('TopicChannel', () => {
  it('shares one transport subscription and releases it with the last member', () => {
    const transport = new ScriptedTransport();
    const channels = new TopicChannels(transport);
    const a = channels.join('news', member());
    const b = channels.join('news', member());
    expect(transport.subscriptions).toBe(1);
    a.leave();
    expect(transport.active).toBe(1);
    b.leave();
    expect(transport.active).toBe(0);
    expect(channels.topics).toEqual([]);
  });

  it('counts every signal the transport sends any channel: a read shared across it would miss one', () => {
    const transport = new ScriptedTransport();
    const channels = new TopicChannels(transport);
    channels.join('news', member());
    const before = channels.signals;
    transport.upstream.next(SUBSCRIBED);
    transport.upstream.next(event('1-0'));
    transport.upstream.next(UNSUBSCRIBED);
    transport.upstream.next(SUBSCRIBED);
    expect(channels.signals).toBe(before + 4);
    // Told SUBSCRIBED by the channel itself, not the transport: nothing new reached the instance.
    channels.join('news', member());
    expect(channels.signals).toBe(before + 4);
  });

  it('tells a member that joins a live channel SUBSCRIBED at once', () => {
    const transport = new ScriptedTransport();
    const channels = new TopicChannels(transport);
    const first = member();
    channels.join('news', first);
    expect(first.got).toEqual([]);
    transport.upstream.next(SUBSCRIBED);
    const late = member();
    channels.join('news', late);
    expect(first.got).toEqual([SUBSCRIBED]);
    expect(late.got).toEqual([SUBSCRIBED]);
  });

  it('writes a live event once encoded to every direct sink, and signals the others', async () => {
    const transport = new ScriptedTransport();
    const channels = new TopicChannels(transport);
    const fast = member();
    const slow = member();
    const fastJoin = channels.join('news', fast);
    channels.join('news', slow);
    transport.upstream.next(SUBSCRIBED);
    const [x, y] = [sink(), sink()];
    fastJoin.goDirect(x);
    const other = channels.join('news', member());
    other.goDirect(y);

    const e = event('5-0');
    transport.upstream.next(e);
    await endOfTurn();
    expect(x.frames).toHaveLength(1);
    expect(y.frames[0]).toBe(x.frames[0]);
    expect(fast.got).toEqual([SUBSCRIBED]);
    expect(slow.got).toEqual([SUBSCRIBED, e]);
    expect(fastJoin.lastDirect()).toBe('5-0');
  });

  it('encodes the same frame as the writer does for a one-topic message, as one HTTP chunk', async () => {
    const transport = new ScriptedTransport();
    const channels = new TopicChannels(transport);
    const join = channels.join('news', member());
    const s = sink();
    join.goDirect(s);
    const e = event('7-1', '{"text":"two\\nlines é"}');
    transport.upstream.next(e);
    await endOfTurn();
    const frame = s.frames[0];
    const expected = encodeFrame(sharedTopicMessage(e));
    expect(frame.plain.toString()).toBe(expected);
    const size = Buffer.byteLength(expected);
    expect(frame.chunked.toString()).toBe(`${size.toString(16)}\r\n${expected}\r\n`);
    expect(frame.cursor).toBe('news=7-1');
  });

  it('writes a burst of one turn to each direct sink in one write: the frames back to back', async () => {
    const transport = new ScriptedTransport();
    const channels = new TopicChannels(transport);
    const [x, y] = [sink(), sink()];
    channels.join('news', member()).goDirect(x);
    channels.join('news', member()).goDirect(y);
    const burst = ['1-0', '2-0', '3-0'].map((id) => event(id));
    for (const e of burst) {
      transport.upstream.next(e);
    }
    expect(x.frames).toEqual([]);
    await endOfTurn();
    expect(x.frames).toHaveLength(1);
    expect(y.frames[0]).toBe(x.frames[0]);
    const frames = burst.map((e) => encodeFrame(sharedTopicMessage(e)));
    expect(x.frames[0].plain.toString()).toBe(frames.join(''));
    expect(x.frames[0].chunked.toString()).toBe(
      frames.map((f) => `${Buffer.byteLength(f).toString(16)}\r\n${f}\r\n`).join(''),
    );
    expect(x.frames[0].cursor).toBe('news=3-0');
    transport.upstream.next(event('4-0'));
    await endOfTurn();
    expect(x.frames.map((f) => f.cursor)).toEqual(['news=3-0', 'news=4-0']);
  });

  it('gives each event of a turn once to a member that goes direct or leaves in that turn', async () => {
    const transport = new ScriptedTransport();
    const channels = new TopicChannels(transport);
    const early = sink();
    const earlyJoin = channels.join('news', member());
    earlyJoin.goDirect(early);
    const late = member();
    const lateJoin = channels.join('news', late);
    const leaving = sink();
    const leavingJoin = channels.join('news', member());
    leavingJoin.goDirect(leaving);

    transport.upstream.next(event('1-0'));
    // Told 1-0 as a signal, it writes that itself: only what follows is the channel's to write.
    const lateSink = sink();
    lateJoin.goDirect(lateSink);
    transport.upstream.next(event('2-0'));
    expect(leavingJoin.leaveDirect()).toBe('2-0');
    transport.upstream.next(event('3-0'));
    earlyJoin.leave();
    await endOfTurn();

    const cursors = (s: { frames: SharedFrame[] }) =>
      s.frames.flatMap((f) => f.plain.toString().match(/news=\d+-0/g));
    expect(cursors(early)).toEqual(['news=1-0', 'news=2-0', 'news=3-0']);
    expect(late.got).toEqual([event('1-0')]);
    expect(cursors(lateSink)).toEqual(['news=2-0', 'news=3-0']);
    expect(cursors(leaving)).toEqual(['news=1-0', 'news=2-0']);
  });

  it('gives a member that leaves direct writing the last id written to it', () => {
    const transport = new ScriptedTransport();
    const channels = new TopicChannels(transport);
    const m = member();
    const join = channels.join('news', m);
    transport.upstream.next(SUBSCRIBED);
    join.goDirect(sink());
    expect(join.leaveDirect()).toBeUndefined();
    join.goDirect(sink());
    transport.upstream.next(event('1-0'));
    transport.upstream.next(event('2-0'));
    expect(join.leaveDirect()).toBe('2-0');
    expect(join.direct).toBe(false);
    transport.upstream.next(event('3-0'));
    expect(m.got).toEqual([SUBSCRIBED, event('3-0')]);
  });

  it('tells direct and waiting members of a lost subscription once each', () => {
    const transport = new ScriptedTransport();
    const channels = new TopicChannels(transport);
    const a = member();
    const b = member();
    const aJoin = channels.join('news', {
      ...a,
      // A direct member leaves direct writing when told, as a stream does.
      signal: (signal) => {
        a.got.push(signal);
        if (signal === UNSUBSCRIBED) {
          aJoin.leaveDirect();
        }
      },
    });
    channels.join('news', b);
    transport.upstream.next(SUBSCRIBED);
    aJoin.goDirect(sink());
    transport.upstream.next(UNSUBSCRIBED);
    expect(a.got).toEqual([SUBSCRIBED, UNSUBSCRIBED]);
    expect(b.got).toEqual([SUBSCRIBED, UNSUBSCRIBED]);
  });

  it('ends every member when the transport completes, and forgets the topic', () => {
    const transport = new ScriptedTransport();
    const channels = new TopicChannels(transport);
    const a = member();
    const b = member();
    channels.join('news', a).goDirect(sink());
    channels.join('news', b);
    transport.upstream.complete();
    expect([a.ended, b.ended]).toEqual([true, true]);
    expect(channels.topics).toEqual([]);
  });
});
