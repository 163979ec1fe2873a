import { isJsonMediaType } from './json-media-type.js';

describe('isJsonMediaType', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON',
    'application/merge-patch+json',
    'application/vnd.api+json ; charset=UTF-8',
    'application/problem+json',
  ])('takes %s', (type) => {
    expect(isJsonMediaType(type)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'text/plain',
    'application/json-seq',
    'application/jsonx',
    'application/x-www-form-urlencoded',
    'text/json',
    'application/+json',
    'application/json+xml',
  ])('refuses %s', (type) => {
    expect(isJsonMediaType(type)).toBe(false);
  });
});
