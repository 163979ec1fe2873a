import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it, jest } from '@jest/globals';
import {
  hasResponseHeader,
  isFastifyReply,
  rawRequest,
  rawResponse,
  requestPath,
  sendJson,
  setResponseHeader,
  type FastifyReplyLike,
} from './http-objects.js';

function nodePair(url = '/events?topic=a'): { request: IncomingMessage; response: ServerResponse } {
  const request = new IncomingMessage(new Socket());
  request.url = url;
  return { request, response: new ServerResponse(request) };
}

/** A stand-in for Fastify's reply: what the module calls, recorded. */
function fakeReply(raw: ServerResponse) {
  const headers: Record<string, string> = {};
  const reply = {
    raw,
    sent: false,
    headers,
    code: jest.fn((_status: number) => reply),
    header: jest.fn((name: string, value: string) => {
      headers[name.toLowerCase()] = value;
      return reply;
    }),
    hasHeader: (name: string) => name.toLowerCase() in headers,
    send: jest.fn((_payload: string) => reply),
    hijack: jest.fn(() => reply),
  };
  return reply satisfies FastifyReplyLike;
}

describe('the platform’s request and response', () => {
  it('finds Node’s objects under Fastify’s, and takes Express’s (Node’s own) as they are', () => {
    const { request, response } = nodePair();
    const reply = fakeReply(response);
    expect(isFastifyReply(reply)).toBe(true);
    expect(isFastifyReply(response)).toBe(false);
    expect(rawResponse(reply)).toBe(response);
    expect(rawResponse(response)).toBe(response);
    expect(rawRequest({ raw: request })).toBe(request);
    expect(rawRequest(request)).toBe(request);
  });

  it('sets a header on the reply for Fastify, whose send() writes its own over the raw ones', () => {
    const { response } = nodePair();
    const reply = fakeReply(response);
    setResponseHeader(reply, 'Retry-After', '1');
    expect(reply.headers['retry-after']).toBe('1');
    expect(response.hasHeader('retry-after')).toBe(false);
    setResponseHeader(response, 'Retry-After', '5');
    expect(response.getHeader('retry-after')).toBe('5');
  });

  it('sees a header set on either side of a Fastify reply', () => {
    const { response } = nodePair();
    const reply = fakeReply(response);
    expect(hasResponseHeader(reply, 'retry-after')).toBe(false);
    response.setHeader('Retry-After', '5');
    expect(hasResponseHeader(reply, 'retry-after')).toBe(true);
  });

  it('sends JSON through the reply on Fastify, and as text on a bare Node response', () => {
    const { response } = nodePair();
    const reply = fakeReply(response);
    sendJson(reply, 400, { statusCode: 400 });
    expect(reply.code).toHaveBeenCalledWith(400);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.send).toHaveBeenCalledWith('{"statusCode":400}');

    const bare = nodePair().response;
    const end = jest.spyOn(bare, 'end').mockImplementation(() => bare);
    sendJson(bare, 403, { statusCode: 403 });
    expect(bare.statusCode).toBe(403);
    expect(bare.getHeader('content-type')).toBe('application/json; charset=utf-8');
    expect(end.mock.calls[0]?.[0]).toBe('{"statusCode":403}');
  });

  it('gives the path without its query, from the original URL where there is one', () => {
    expect(requestPath(nodePair('/events?topic=a').request)).toBe('/events');
    expect(requestPath({ raw: nodePair('/live/news').request })).toBe('/live/news');
    expect(requestPath(Object.assign(nodePair('/').request, { originalUrl: '/api/live?x' }))).toBe(
      '/api/live',
    );
  });
});
