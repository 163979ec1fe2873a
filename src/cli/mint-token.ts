import { SignJWT } from 'jose';

export interface MintOptions {
  /** The HS256 secret the server checks tokens with. */
  secret: string;
  publish: string[];
  subscribe: string[];
  /** Lifetime, in seconds from now. */
  ttlSeconds: number;
  audience?: string;
  issuer?: string;
  subject?: string;
  /** "Now", for tests. */
  now?: Date;
}

/** An HS256 JWT with Ripple's grants: `{"ripple": {"publish": [...], "subscribe": [...]}}`. */
export function mintToken(options: MintOptions): Promise<string> {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const jwt = new SignJWT({ ripple: { publish: options.publish, subscribe: options.subscribe } })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + options.ttlSeconds);
  if (options.audience !== undefined) {
    jwt.setAudience(options.audience);
  }
  if (options.issuer !== undefined) {
    jwt.setIssuer(options.issuer);
  }
  if (options.subject !== undefined) {
    jwt.setSubject(options.subject);
  }
  return jwt.sign(new TextEncoder().encode(options.secret));
}
