import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pageAssets } from './page-assets.js';

describe('pageAssets', () => {
  let server: Server;
  let url: string;
  const passedOn: string[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'page-'));
    writeFileSync(join(dir, 'index.html'), '<p>page</p>');
    writeFileSync(join(dir, 'app.js'), 'export {};');
    const serve = pageAssets(dir);
    server = createServer((request, response) =>
      serve(request, response, () => {
        passedOn.push(request.url ?? '');
        response.end('route');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('serves the page’s files at their paths, the index at /', async () => {
    expect(await (await fetch(`${url}/`)).text()).toBe('<p>page</p>');
    expect(await (await fetch(`${url}/app.js?v=2`)).text()).toBe('export {};');
  });

  it('passes every other path on without looking for it on disk', async () => {
    expect(await (await fetch(`${url}/events?topic=a`)).text()).toBe('route');
    expect(await (await fetch(`${url}/missing.js`)).text()).toBe('route');
    expect(passedOn).toEqual(['/events?topic=a', '/missing.js']);
  });
});
