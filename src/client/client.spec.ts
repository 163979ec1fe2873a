import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import ts from 'typescript';
import { backoffMs, encodeCursor, FrameReader, parseCursor, retryAfterMs } from './index.js';

describe('the client module (nestjs-ripple/client)', () => {
  it('imports nothing, so a page can load its compiled file as is, and stays small', () => {
    const source = readFileSync(new URL('./index.ts', import.meta.url), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: {
        target: ts.ScriptTarget.ES2023,
        module: ts.ModuleKind.ESNext,
        removeComments: true,
      },
    });
    expect(outputText).not.toMatch(/^\s*import\s/m);
    expect(outputText).not.toMatch(/require\(|node:|@nestjs/);
    const gzipped = gzipSync(outputText, { level: 9 }).length;
    // The README states this figure; keep it in step when the client grows.
    process.stdout.write(`client: ${outputText.length} B, ${gzipped} B gzipped\n`);
    expect(gzipped).toBeLessThan(4 * 1024);
  });

  it('reads the frames Ripple writes, across chunk boundaries and CRLF', () => {
    const reader = new FrameReader();
    expect(
      reader.push('retry: 1000\nid: a=1-0\n\n: hb\n\nevent: tick\r\nid: a=2-0\ndata: {"x"'),
    ).toEqual([{ event: '', data: undefined, id: 'a=1-0', retry: 1000 }]);
    expect(reader.push(':1}\n\n')).toEqual([
      { event: 'tick', data: '{"x":1}', id: 'a=2-0', retry: undefined },
    ]);
  });

  it('round-trips a cursor and reads Retry-After as seconds or a date', () => {
    const cursor = parseCursor('a=1-0,b.c=17-3');
    expect([...cursor]).toEqual([
      ['a', '1-0'],
      ['b.c', '17-3'],
    ]);
    expect(encodeCursor(cursor)).toBe('a=1-0,b.c=17-3');
    expect(retryAfterMs('5')).toBe(5000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });

  it('backs off exponentially up to its cap, jittered within the upper half', () => {
    expect(backoffMs(1, 1000, 30_000, () => 0)).toBe(500);
    expect(backoffMs(1, 1000, 30_000, () => 1)).toBe(1000);
    expect(backoffMs(4, 1000, 30_000, () => 1)).toBe(8000);
    expect(backoffMs(40, 1000, 30_000, () => 1)).toBe(30_000);
  });
});
