import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createWithExpressPrototypes } from './express-prototypes.js';

/** An Express application on a server of its own, and the prototypes of what Node creates. */
async function serve(adopt: boolean) {
  const app = express();
  app.get('/', (request, response) => {
    response.send(typeof request.get('host'));
  });
  const server: Server = createServer(app);
  const created: { request: object | null; response: object | null }[] = [];
  // Before Express sees them: what Node made.
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    created.push({
      request: Object.getPrototypeOf(request) as object | null,
      response: Object.getPrototypeOf(response) as object | null,
    });
  });
  const adopted = adopt && createWithExpressPrototypes(server, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { app, server, created, adopted, url };
}

describe('createWithExpressPrototypes', () => {
  it('has Node create requests and responses with the prototypes Express gives them', async () => {
    const { app, server, created, adopted, url } = await serve(true);
    try {
      expect(adopted).toBe(true);
      const answer = await fetch(url);
      // Express's request methods and its response methods work as before.
      expect(await answer.text()).toBe('string');
      expect(created).toEqual([{ request: app.request, response: app.response }]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('is needed: without it Node makes plain ones, which Express then changes', async () => {
    const { app, server, created, url } = await serve(false);
    try {
      await (await fetch(url)).text();
      expect(created[0].request).not.toBe(app.request);
      expect(created[0].response).not.toBe(app.response);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
