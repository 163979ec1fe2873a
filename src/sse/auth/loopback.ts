import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether a socket's remote address is this host (127.0.0.0/8, ::1, or IPv4-mapped 127.x). Pass
 * the socket's address, never a header such as X-Forwarded-For, which any client can write.
 */
export function isLoopback(address: string | undefined): boolean {
  const family = address === undefined ? 0 : isIP(address);
  if (address === undefined || family === 0) {
    return false;
  }
  // A valid IPv4 address in 127.0.0.0/8 is one that starts so: BlockList.check would build a
  // SocketAddress for every publish to say the same.
  if (family === 4) {
    return address.startsWith('127.');
  }
  return LOOPBACK.check(address, 'ipv6');
}
