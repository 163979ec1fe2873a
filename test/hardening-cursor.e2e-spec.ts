import { LogCapture } from './utils/log-capture.js';
import { describeWithRedis, dropPrefix, TEST_REDIS_URL, testPrefix } from './utils/redis.js';
import { SseReader } from './utils/sse-reader.js';
import { post, startApp, type TestApp } from './utils/test-app.js';
import { until } from './utils/until.js';

const describeRedis = await describeWithRedis();

const UINT64 = '18446744073709551615';
const TOO_BIG = '18446744073709551616';
const TWENTY_NINES = '9'.repeat(20);

type Reason = 'malformed-cursor' | 'unknown-position' | 'trimmed';

/** The stored ids of the topic when a row runs: 10 published, the first 5 trimmed (history 5). */
interface Stored {
  ids: string[];
  msOf(index: number): string;
}

interface Row {
  name: string;
  cursor(stored: Stored): string;
  /** The reset expected, per backend where they differ. */
  reason: Reason | { memory: Reason; redis: Reason };
}

/**
 * Cursors that parse, or nearly, but name no position the history can use. Each must get a
 * `ripple.reset` naming why, then live events: never a dead 200 (item 5 of issue 13).
 */
const ROWS: Row[] = [
  {
    // Issue 13's cursor: on Redis it reached XRANGE, which refused it, on every reconnect.
    name: 'a seq past uint64 at the ms of a retained event',
    cursor: (s) => `t=${s.msOf(7)}-${TWENTY_NINES}`,
    reason: 'malformed-cursor',
  },
  { name: 'a ms past uint64', cursor: () => `t=${TWENTY_NINES}-0`, reason: 'malformed-cursor' },
  { name: 'uint64 + 1 as ms', cursor: () => `t=${TOO_BIG}-0`, reason: 'malformed-cursor' },
  {
    name: 'uint64 + 1 as seq of a retained ms',
    cursor: (s) => `t=${s.msOf(7)}-${TOO_BIG}`,
    reason: 'malformed-cursor',
  },
  { name: 'max uint64 both', cursor: () => `t=${UINT64}-${UINT64}`, reason: 'unknown-position' },
  {
    name: 'max uint64 seq at the last ms',
    cursor: (s) => `t=${s.msOf(9)}-${UINT64}`,
    reason: 'unknown-position',
  },
  {
    name: 'an hour in the future',
    cursor: () => `t=${Date.now() + 3_600_000}-0`,
    reason: 'unknown-position',
  },
  {
    // Memory ids start above a floor taken at start; on Redis 0-0 is a real position, and
    // history no longer reaches back to it.
    name: '0-0',
    cursor: () => 't=0-0',
    reason: { memory: 'unknown-position', redis: 'trimmed' },
  },
  { name: 'a trimmed position', cursor: (s) => `t=${s.ids[1]}`, reason: 'trimmed' },
  { name: 'leading zeros', cursor: (s) => `t=0${s.ids[8]}`, reason: 'malformed-cursor' },
  { name: 'a negative id', cursor: () => 't=-1-0', reason: 'malformed-cursor' },
  {
    name: 'many other topics, ours absurd',
    cursor: (s) =>
      [
        ...Array.from({ length: 500 }, (_, i) => `x${i}=1-0`),
        `t=${s.msOf(7)}-${TWENTY_NINES}`,
      ].join(','),
    reason: 'malformed-cursor',
  },
];

function cursorSuite(
  backend: 'memory' | 'redis',
  env: () => Record<string, string>,
  cleanUp: () => Promise<void> = () => Promise.resolve(),
): void {
  let t: TestApp;
  const logs = new LogCapture();
  const readers: SseReader[] = [];

  const publish = async (data: unknown): Promise<string> => {
    const res = await post(`${t.url}/events/t`, { data });
    expect(res.status).toBe(201);
    return (res.body as { id: string }).id;
  };

  /** Ten fresh events, the last on a later millisecond than the ones before it. */
  const storeTen = async (): Promise<Stored> => {
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) {
      ids.push(await publish(i));
    }
    const ms = (id: string) => Number(id.slice(0, id.indexOf('-')));
    await until(() => Date.now() > ms(ids[8]) + 1, 'the clock to move on');
    ids.push(await publish(9));
    return { ids, msOf: (index) => String(ms(ids[index])) };
  };

  beforeAll(async () => {
    t = await startApp({ RIPPLE_HISTORY_SIZE: '5', ...env() }, { logger: logs });
  });
  afterEach(() => {
    readers.splice(0).forEach((reader) => reader.close());
  });
  afterAll(async () => {
    await t?.close();
    await cleanUp();
  });

  it.each(ROWS)('$name: 200, the opening, a reset, then live events', async (row) => {
    const stored = await storeTen();
    const reason = typeof row.reason === 'string' ? row.reason : row.reason[backend];
    const reader = await SseReader.open(`${t.url}/events?topic=t`, {
      'last-event-id': row.cursor(stored),
    });
    readers.push(reader);
    expect(reader.status).toBe(200);
    const [reset] = await reader.framesOf('ripple.reset', 1, 10_000);
    expect(reader.frames[0].type).toBe('retry');
    expect(JSON.parse(reset.data)).toEqual({ reason, topics: ['t'] });
    // Nothing from history after a reset: the stream starts at the head.
    expect(reader.frames.filter((f) => f.type === 't')).toEqual([]);
    const live = await publish({ live: row.name });
    const [event] = await reader.framesOf('t', 1, 10_000);
    expect(event.lastEventId).toBe(`t=${live}`);
    expect(JSON.parse(event.data)).toEqual({ live: row.name });
    expect(logs.lines.filter((line) => line.level === 'error')).toEqual([]);
  });
}

describe('absurd cursors on the memory transport (e2e)', () => {
  cursorSuite('memory', () => ({}));
});

describeRedis('absurd cursors on the Redis transport (e2e)', () => {
  const prefix = testPrefix('cursor');
  cursorSuite(
    'redis',
    () => ({ RIPPLE_TRANSPORT: 'redis', RIPPLE_REDIS_PREFIX: prefix }),
    () => dropPrefix(TEST_REDIS_URL, prefix),
  );
});
