import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { readPublishBody } from './publish-body.js';

/** A request whose body the test feeds by hand, as the HTTP parser would. */
function request(headers: Record<string, string> = {}): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.headers = { 'content-type': 'application/json', ...headers };
  return req;
}

describe('readPublishBody', () => {
  it('parses a body that arrives in pieces', async () => {
    const req = request();
    const body = readPublishBody(req, 100, undefined);
    req.push('{"data":');
    req.push('[1,2]}');
    req.push(null);
    await expect(body).resolves.toEqual({ data: [1, 2] });
  });

  it('refuses a body over the limit with a 413, and keeps reading (dropping) the rest', async () => {
    const req = request();
    const body = readPublishBody(req, 10, undefined);
    req.push('{"data":"0123456789"}');
    await expect(body).rejects.toMatchObject({ status: 413 });
    req.push('more');
    req.push(null);
    await new Promise((resolve) => req.once('end', resolve));
  });

  it('answers a 400 when the client goes away mid-body, or had before it was read', async () => {
    const req = request();
    const body = readPublishBody(req, 100, undefined);
    req.push('{"data":');
    req.destroy();
    await expect(body).rejects.toMatchObject({ status: 400 });
    const gone = request();
    gone.destroy();
    await expect(readPublishBody(gone, 100, undefined)).rejects.toMatchObject({ status: 400 });
  });
});
