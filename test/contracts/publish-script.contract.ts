import { parseEnvelope } from '../../src/sse/redis/envelope.js';
import type { RedisConnectionSet, RedisClient } from '../../src/sse/redis/redis-connection-set.js';
import { redisKeys, type RedisKeys } from '../../src/sse/redis/redis-keys.js';
import {
  parsePublishReply,
  publishBatchArgs,
  publishBatchScript,
  publishScript,
  type PublishCommand,
} from '../../src/sse/redis/redis-scripts.js';
import { scriptCall } from '../../src/sse/redis/script-call.js';
import { SUBSCRIBED } from '../../src/sse/transport/transport.interface.js';
import { testPrefix } from '../utils/redis.js';
import { until } from '../utils/until.js';
import { freshTopic } from './seams.js';

/**
 * Runs the publish script (defined as `ripplePublish` on `redis`) for one call of `publishId`,
 * keeping 10 events and the call's record for a minute.
 */
export function runPublishScript(
  redis: RedisClient & PublishCommand,
  keys: RedisKeys,
  topic: string,
  publishId: string,
  data: string,
): Promise<string> {
  return redis.ripplePublish(
    keys.log(topic),
    keys.live(topic),
    keys.published(topic, publishId),
    10,
    data,
    '',
    Date.now(),
    60_000,
  );
}

/**
 * The publish script run twice for one publish call, as ioredis does with a command whose answer a
 * closed connection lost: stored once, published once, and both answers name the one id.
 */
export function describePublishScriptContract(
  name: string,
  connect: (prefix: string) => RedisConnectionSet,
  drop: (prefix: string) => Promise<void>,
): void {
  describe(`the publish script: ${name}`, () => {
    const prefix = testPrefix(`script-${name}`);
    const keys = redisKeys(prefix);
    let backend: RedisConnectionSet;
    let redis: RedisClient & PublishCommand;

    beforeAll(async () => {
      backend = connect(prefix);
      backend.command.defineCommand('ripplePublish', {
        numberOfKeys: 3,
        lua: publishScript(backend.pubsub.publishCommand),
      });
      redis = backend.command as RedisClient & PublishCommand;
      expect(await backend.whenReady(5000)).toBe(true);
    });
    afterAll(async () => {
      await backend.onApplicationShutdown();
      await drop(prefix);
    });

    /** The topic's channel, subscribed: every message it carries from now on. */
    async function listen(topic: string) {
      const messages: string[] = [];
      let subscribed!: () => void;
      const ready = new Promise<void>((resolve) => (subscribed = resolve));
      const subscription = backend.pubsub.channel(keys.live(topic)).subscribe((signal) => {
        if (signal === SUBSCRIBED) {
          subscribed();
        } else if (typeof signal === 'string') {
          messages.push(signal);
        }
      });
      await ready;
      return { messages, subscription };
    }

    it('stores and publishes a call once, however often it runs, and answers one id', async () => {
      const topic = freshTopic('once');
      const { messages, subscription } = await listen(topic);
      const call = (publishId: string, data: string) =>
        runPublishScript(redis, keys, topic, publishId, data);

      const first = await call('call-1', '"a"');
      expect(await call('call-1', '"a"')).toBe(first);
      const other = await call('call-2', '"b"');
      expect(other).not.toBe(first);

      // A second "a" would come before "b": one connection, in the order Redis ran them.
      await until(() => messages.length >= 2, 'the two messages');
      const events = messages.flatMap((message) => parseEnvelope(topic, message) ?? []);
      expect(events.map((event) => [event.id, event.data])).toEqual([
        [first, '"a"'],
        [other, '"b"'],
      ]);
      expect(await backend.command.xlen(keys.log(topic))).toBe(2);
      // Kept for the time it was given, then gone with nothing to clean up.
      const ttl = await backend.command.pttl(keys.published(topic, 'call-1'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
      subscription.unsubscribe();
    });

    it('keeps an Idempotency-Key’s record with its fingerprint, and answers it to a retry', async () => {
      const topic = freshTopic('idem');
      const record = keys.idempotent(topic, 'digest');
      const call = (data: string, fingerprint: string) =>
        redis.ripplePublish(
          keys.log(topic),
          keys.live(topic),
          record,
          10,
          data,
          '',
          Date.now(),
          600_000,
          fingerprint,
        );
      const first = parsePublishReply(await call('"a"', 'fp-a'));
      expect(first).toEqual({ id: expect.stringMatching(/^\d+-\d+$/) });
      // A retry, and another event under the same key: neither is stored, both learn what was.
      expect(parsePublishReply(await call('"a"', 'fp-a'))).toEqual({
        id: first.id,
        storedFingerprint: 'fp-a',
      });
      expect(parsePublishReply(await call('"b"', 'fp-b'))).toEqual({
        id: first.id,
        storedFingerprint: 'fp-a',
      });
      expect(await backend.command.xlen(keys.log(topic))).toBe(1);
      const ttl = await backend.command.pttl(record);
      expect(ttl).toBeGreaterThan(60_000);
      expect(ttl).toBeLessThanOrEqual(600_000);
    });

    it('stores a batch of calls in order, once each, however often it runs', async () => {
      const topic = freshTopic('batch');
      const { messages, subscription } = await listen(topic);
      const script = scriptCall(backend.command, publishBatchScript(backend.pubsub.publishCommand));
      const keyRecord = keys.idempotent(topic, 'k1');
      /** One script call, `callId` its publish id; a call given a key has a record of its own. */
      const batch = (callId: string, calls: [data: string, keyed?: boolean][]) =>
        script<string>(
          [
            keys.log(topic),
            keys.live(topic),
            keys.published(topic, callId),
            ...calls.filter(([, keyed]) => keyed).map(() => keyRecord),
          ],
          publishBatchArgs(
            10,
            60_000,
            calls.map(([data, keyed]) => ({
              event: { data },
              publishedAt: Date.now(),
              keepMs: 600_000,
              fingerprint: keyed ? `fp-${data}` : '',
            })),
          ),
        ).then((answer) => answer.split('\n'));

      // Data of any characters: a newline, and one outside the BMP (two UTF-16 units, 4 bytes).
      const calls: [string, boolean?][] = [['"a"'], ['{\n"b": "😀"}'], ['"c"', true]];
      const first = await batch('c-1', calls);
      expect(first).toHaveLength(3);
      expect(new Set(first).size).toBe(3);
      // The same script call again, as ioredis resends it: the same answers, nothing stored.
      expect(await batch('c-1', calls)).toEqual(first);
      // Another call: its key's event was stored, so only the new event is.
      const [d, replayed] = await batch('c-2', [['"d"'], ['"c"', true]]);
      expect(replayed).toBe(`${first[2]} fp-"c"`);
      // Nothing new: nothing published.
      expect(await batch('c-3', [['"x"', true]])).toEqual([`${first[2]} fp-"c"`]);

      // One message per call that stored something: the three at once, then the one new event
      // alone in the single event's envelope, which instances of an older version read too.
      await until(() => messages.length >= 2, 'the two messages');
      expect(messages[0].startsWith('2\n3\n')).toBe(true);
      expect(messages[1].startsWith('1\n')).toBe(true);
      const events = messages.flatMap((message) => parseEnvelope(topic, message) ?? []);
      expect(events.map((event) => [event.id, event.data])).toEqual([
        [first[0], '"a"'],
        [first[1], '{\n"b": "😀"}'],
        [first[2], '"c"'],
        [d, '"d"'],
      ]);
      expect(messages).toHaveLength(2);
      expect(await backend.command.xlen(keys.log(topic))).toBe(4);
      // The call's record is kept for the time it was given.
      const ttl = await backend.command.pttl(keys.published(topic, 'c-1'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
      subscription.unsubscribe();
    });

    it('trims a batch back to the bound once a sixteenth over, the last trimmed id as deleted', async () => {
      const topic = freshTopic('batch-trim');
      const script = scriptCall(backend.command, publishBatchScript(backend.pubsub.publishCommand));
      let call = 0;
      /** One script call of `count` events, keeping 32: trimmed once over 34 (32 + 32/16). */
      const batch = (count: number) =>
        script<string>(
          [keys.log(topic), keys.live(topic), keys.published(topic, `t-${call++}`)],
          publishBatchArgs(
            32,
            60_000,
            Array.from({ length: count }, (_, i) => ({
              event: { data: `"${i}"` },
              publishedAt: Date.now(),
              keepMs: 60_000,
              fingerprint: '',
            })),
          ),
        ).then((answer) => answer.split('\n'));
      const stream = async () => {
        const info = (await backend.command.call('XINFO', 'STREAM', keys.log(topic))) as unknown[];
        const field = (name: string) => info[info.indexOf(name) + 1];
        return {
          length: field('length'),
          deleted: field('max-deleted-entry-id'),
          first: (field('first-entry') as [string])[0],
        };
      };
      const ids = await batch(34);
      // A sixteenth over at most: kept whole (marked, as made, as holding nothing before its first).
      expect(await stream()).toEqual({ length: 34, deleted: ids[0], first: ids[0] });
      ids.push(...(await batch(40)));
      // 74 stored, 32 kept: the 42nd is the last gone, the newest position a read calls trimmed.
      expect(await stream()).toEqual({ length: 32, deleted: ids[41], first: ids[42] });
    });

    it('runs a script Redis does not hold yet, on the node of its first key', async () => {
      // A script no server has seen (the comment makes it new): EVALSHA fails, EVAL runs it.
      const lua = `-- ${prefix} ${Date.now()}\nreturn { KEYS[1], ARGV[1], redis.call('INCR', KEYS[1]) }`;
      const call = scriptCall(backend.command, lua);
      const counters = ['a', 'b', 'c', 'd'].map((name) => keys.log(freshTopic(name)));
      for (const counter of counters) {
        expect(await call([counter], ['x'])).toEqual([counter, 'x', 1]);
        // Held now: the same call runs through EVALSHA.
        expect(await call([counter], ['y'])).toEqual([counter, 'y', 2]);
      }
    });
  });
}
