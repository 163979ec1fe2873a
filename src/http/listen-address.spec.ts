import { listenAddress } from './listen-address.js';

describe('listenAddress', () => {
  it('says when the server listens on every address', () => {
    expect(listenAddress({ address: '0.0.0.0', family: 'IPv4', port: 3000 })).toBe(
      'http://0.0.0.0:3000 (every IPv4 address)',
    );
    expect(listenAddress({ address: '::', family: 'IPv6', port: 3000 })).toBe(
      'http://[::]:3000 (every address, IPv6 and IPv4)',
    );
  });

  it('gives one address as it is', () => {
    expect(listenAddress({ address: '127.0.0.1', family: 'IPv4', port: 8080 })).toBe(
      'http://127.0.0.1:8080',
    );
    expect(listenAddress({ address: '::1', family: 'IPv6', port: 8080 })).toBe('http://[::1]:8080');
    expect(listenAddress('/run/ripple.sock')).toBe('/run/ripple.sock');
  });
});
