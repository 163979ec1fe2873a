import { describe, expect, it } from '@jest/globals';
import type { RequestLike } from '../http/http-objects.js';
import { requestQuery } from './request-query.js';

describe('requestQuery', () => {
  it("reads the request's query once, and gives every reader the same parse", () => {
    let parses = 0;
    const request = {
      // As Express 5 does: a getter that parses the URL's query at every read.
      get query() {
        parses += 1;
        return { topic: ['a', 'b'] };
      },
    } as unknown as RequestLike;
    const first = requestQuery(request);
    expect(requestQuery(request)).toBe(first);
    expect(first).toEqual({ topic: ['a', 'b'] });
    expect(parses).toBe(1);
  });

  it('gives an empty query for a request without one', () => {
    expect(requestQuery({} as RequestLike)).toEqual({});
  });
});
