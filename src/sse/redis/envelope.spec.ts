import { parseEnvelope } from './envelope.js';

/** A version 2 message as the batch script composes it, from [id, type, at, data] per event. */
function batchMessage(events: [string, string, number, string][]): string {
  return (
    `2\n${events.length}\n` +
    events.map(([id, type, at, data]) => `${id}\n${type}\n${at}\n${data.length}\n${data}`).join('')
  );
}

describe('parseEnvelope', () => {
  it('reads the single event of a version 1 message, its data to the end', () => {
    expect(parseEnvelope('t', '1\n5-0\nping\n1700\n{"a":\n1}')).toEqual([
      { topic: 't', id: '5-0', type: 'ping', publishedAt: 1700, data: '{"a":\n1}' },
    ]);
    expect(parseEnvelope('t', '1\n5-1\n\n1700\n')).toEqual([
      { topic: 't', id: '5-1', type: undefined, publishedAt: 1700, data: '' },
    ]);
  });

  it('reads every event of a batch message, in order, whatever its data holds', () => {
    const data = ['"a"', '{\n"b": "😀"}', '', '"2\n9-9\n"'];
    const message = batchMessage([
      ['7-0', '', 10, data[0]],
      ['7-1', 'x', 11, data[1]],
      ['7-2', '', 12, data[2]],
      ['7-3', '', 13, data[3]],
    ]);
    expect(parseEnvelope('t', message)).toEqual([
      { topic: 't', id: '7-0', type: undefined, publishedAt: 10, data: data[0] },
      { topic: 't', id: '7-1', type: 'x', publishedAt: 11, data: data[1] },
      { topic: 't', id: '7-2', type: undefined, publishedAt: 12, data: data[2] },
      { topic: 't', id: '7-3', type: undefined, publishedAt: 13, data: data[3] },
    ]);
  });

  it('reads a stream that mixes both versions, as a rolling deploy sends it', () => {
    const stream = [
      '1\n1-0\n\n1\n"old"',
      batchMessage([
        ['2-0', '', 2, '"new a"'],
        ['2-1', '', 2, '"new b"'],
      ]),
      '1\n3-0\n\n3\n"old again"',
    ];
    expect(stream.flatMap((message) => parseEnvelope('t', message) ?? []).map((e) => e.id)).toEqual(
      ['1-0', '2-0', '2-1', '3-0'],
    );
  });

  it('refuses what it cannot read whole, rather than delivering part of it', () => {
    const good = batchMessage([
      ['7-0', '', 10, '"a"'],
      ['7-1', '', 11, '"b"'],
    ]);
    for (const message of [
      '',
      '3\n1-0\n\n1\n"a"',
      '1\n1-0\n\n',
      '1\nnot-an-id\n\n1\n"a"',
      '1\n1-0\n\nsoon\n"a"',
      good.replace('2\n2\n', '2\n3\n'),
      good.replace('2\n2\n', '2\n0\n'),
      good.replace('2\n2\n', '2\n-1\n'),
      good.slice(0, -1),
      `${good}"`,
      good.replace('\n3\n"a"', '\n9\n"a"'),
      good.replace('\n3\n"a"', '\n\n"a"'),
    ]) {
      expect(parseEnvelope('t', message)).toBeUndefined();
    }
  });
});
