import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoggerService } from '@nestjs/common';
import { SignJWT, type CryptoKey, type JWK } from 'jose';

/** The HS256 secret the auth e2e specs configure. */
export const TEST_SECRET = 'ripple-e2e-secret-0123456789abcdef0123456789';

export interface TokenSpec {
  publish?: string[];
  subscribe?: string[];
  /** Seconds from now to `exp` (negative: already expired); `null`: no `exp` at all. Default 3600. */
  expiresIn?: number | null;
  /** Seconds from now to `nbf`. */
  notBefore?: number;
  audience?: string;
  issuer?: string;
  /** Replaces the `ripple` claim (to send a malformed one). */
  ripple?: unknown;
}

/** A signed JWT as an identity provider would issue it. */
export async function signToken(
  spec: TokenSpec,
  key: CryptoKey | Uint8Array = new TextEncoder().encode(TEST_SECRET),
  alg = 'HS256',
  kid?: string,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    ripple: 'ripple' in spec ? spec.ripple : { publish: spec.publish, subscribe: spec.subscribe },
  })
    .setProtectedHeader(kid ? { alg, kid } : { alg })
    .setIssuedAt(now)
    .setSubject('e2e');
  if (spec.expiresIn !== null) {
    jwt.setExpirationTime(now + (spec.expiresIn ?? 3600));
  }
  if (spec.notBefore !== undefined) {
    jwt.setNotBefore(now + spec.notBefore);
  }
  if (spec.audience !== undefined) {
    jwt.setAudience(spec.audience);
  }
  if (spec.issuer !== undefined) {
    jwt.setIssuer(spec.issuer);
  }
  return jwt.sign(key);
}

/** A tiny JWKS endpoint on 127.0.0.1, as an identity provider serves its keys. */
export async function startJwksServer(
  keys: JWK[],
): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    requests: () => requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every line Nest's logger is given, at every level, with every argument (error stacks too), as text. */
export class LogTranscript implements LoggerService {
  readonly lines: string[] = [];

  log(...parts: unknown[]): void {
    this.push('log', parts);
  }
  error(...parts: unknown[]): void {
    this.push('error', parts);
  }
  warn(...parts: unknown[]): void {
    this.push('warn', parts);
  }
  debug(...parts: unknown[]): void {
    this.push('debug', parts);
  }
  verbose(...parts: unknown[]): void {
    this.push('verbose', parts);
  }
  fatal(...parts: unknown[]): void {
    this.push('fatal', parts);
  }

  get text(): string {
    return this.lines.join('\n');
  }

  private push(level: string, parts: unknown[]): void {
    this.lines.push(
      `${level} ${parts.map((part) => (typeof part === 'string' ? part : part instanceof Error ? `${part.message} ${part.stack}` : (JSON.stringify(part) ?? String(part)))).join(' ')}`,
    );
  }
}
