import { isLoopback } from './loopback.js';

describe('isLoopback', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])('%s is this host', (address) => {
    expect(isLoopback(address)).toBe(true);
  });

  it.each([
    '10.0.0.1',
    '192.168.1.10',
    '203.0.113.7',
    '::ffff:10.0.0.1',
    'fe80::1',
    '::',
    '0.0.0.0',
    'localhost',
    '',
    undefined,
  ])('%s is not', (address) => {
    expect(isLoopback(address)).toBe(false);
  });
});
