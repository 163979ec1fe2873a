import type { AddressInfo } from 'node:net';

/**
 * Where a server really listens, for the start-up log: `http://0.0.0.0:3000 (every IPv4
 * address)` rather than the `http://127.0.0.1:3000` Nest's getUrl() makes of it, which hides that
 * the port is open to the network.
 */
export function listenAddress(address: AddressInfo | string | null): string {
  if (address === null) {
    return 'nowhere (not listening)';
  }
  if (typeof address === 'string') {
    return address; // A Unix socket or a Windows pipe.
  }
  const { address: host, port, family } = address;
  if (host === '0.0.0.0') {
    return `http://0.0.0.0:${port} (every IPv4 address)`;
  }
  if (host === '::') {
    return `http://[::]:${port} (every address, IPv6 and IPv4)`;
  }
  return family === 'IPv6' ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}
