import { isRelayed } from './relay-headers.js';

describe('isRelayed', () => {
  it.each([
    'forwarded',
    'x-forwarded-for',
    'x-forwarded-host',
    'x-forwarded-proto',
    'x-forwarded-port',
    'x-original-forwarded-for',
    'x-real-ip',
    'x-client-ip',
    'true-client-ip',
    'cf-connecting-ip',
    'fastly-client-ip',
    'x-cluster-client-ip',
    'via',
    'cdn-loop',
    'fly-client-ip',
    'x-azure-clientip',
    'x-azure-socketip',
    'x-vercel-forwarded-for',
    'wl-proxy-client-ip',
    'x-originating-ip',
    'x-remote-ip',
    'x-remote-addr',
    'x-nf-client-connection-ip',
    'ali-cdn-real-ip',
  ])('takes a request with %s as relayed', (name) => {
    expect(isRelayed({ host: 'localhost', [name]: '203.0.113.7' })).toBe(true);
  });

  it('takes a request with none of them as direct', () => {
    expect(
      isRelayed({
        host: 'localhost',
        'content-type': 'application/json',
        'x-request-id': 'abc',
        authorization: 'Bearer x',
      }),
    ).toBe(false);
  });
});
