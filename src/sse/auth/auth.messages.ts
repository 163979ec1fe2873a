/**
 * Every message about who may publish and subscribe, in one place. None of them ever holds a token,
 * a secret or a query string: they name topics, claims and settings only.
 */

const list = (topics: readonly string[]) => topics.slice(0, 20).join(', ');

// Answers to clients (401, 403, 503).

export const NO_SUBSCRIBE_TOKEN = (topics: readonly string[], cookieName: string) =>
  `Private topic(s) ${list(topics)} need a token with a subscribe grant: send it as the ` +
  `${cookieName} cookie, as "Authorization: Bearer <token>", or (short-lived tokens only) as ` +
  '?access_token=<token>';

export const NO_PUBLISH_TOKEN = (cookieName: string) =>
  'Publishing needs a token with a publish grant for the topic: send it as ' +
  `"Authorization: Bearer <token>" or as the ${cookieName} cookie`;

export const BAD_AUTHORIZATION_HEADER = () => 'The Authorization header must be "Bearer <token>"';

export const BAD_QUERY_TOKEN = () => 'Send one access_token query parameter, not several';

export const BAD_TOKEN = (reason: string) => `The token was refused: ${reason}`;

export const QUERY_TOKEN_TOO_LONG_LIVED = (maxSeconds: number) =>
  `A token in ?access_token= must expire within ${maxSeconds} s; send a longer-lived token as ` +
  'a cookie or as "Authorization: Bearer <token>"';

export const NO_SUBSCRIBE_GRANT = (topics: readonly string[]) =>
  `The token does not grant subscribing to private topic(s) ${list(topics)}`;

export const NO_PUBLISH_GRANT = (topic: string) =>
  `The token does not grant publishing to ${topic}`;

export const NO_BATCH_GRANT = () =>
  'The token does not grant publishing to every topic of the batch; nothing was published';

export const LOOPBACK_ONLY = () =>
  'No token key is configured on this server, so only clients on its own host (loopback, not ' +
  'relayed by a proxy) may publish';

export const KEYS_UNAVAILABLE = () =>
  'The keys that verify tokens cannot be fetched right now; retry later';

export const ORIGIN_NOT_ALLOWED = (origin: string) =>
  `Origin ${JSON.stringify(origin.slice(0, 200))} is not among the allowed CORS origins`;

// Why a token was refused, from jose's error codes.

export const TOKEN_EXPIRED = () => 'it has expired (exp)';
export const TOKEN_NOT_YET_VALID = () => 'it is not valid yet (nbf)';
export const TOKEN_WRONG_AUDIENCE = () => 'it is meant for another audience (aud)';
export const TOKEN_WRONG_ISSUER = () => 'it comes from another issuer (iss)';
export const TOKEN_MISSING_CLAIM = (claim: string) =>
  `it has no "${claim.slice(0, 40)}" claim, which this server requires`;
export const TOKEN_BAD_CLAIM = (claim: string) => `its "${claim.slice(0, 40)}" claim is invalid`;
export const TOKEN_BAD_SIGNATURE = () => 'its signature does not verify';
export const TOKEN_BAD_ALGORITHM = () =>
  'it is signed with an algorithm this server does not accept';
export const TOKEN_NO_MATCHING_KEY = () => 'no key of the key set matches it';
export const TOKEN_MALFORMED = () => 'it is not a well-formed JWT';
export const TOKEN_UNVERIFIABLE = () => 'it cannot be verified';

// Log lines and boot errors, for operators.

export const AUTH_MODE_OPEN = () =>
  'No token key configured: only loopback clients may publish over HTTP, and no topic is private';

export const AUTH_MODE_KEYED = (
  key: string,
  privateTopics: readonly string[],
  audience?: string,
  issuer?: string,
) =>
  `Tokens checked with ${key}` +
  (audience === undefined ? '' : `, audience ${audience}`) +
  (issuer === undefined ? '' : `, issuer ${issuer}`) +
  `: publishing needs a publish grant; private topics: ${privateTopics.length > 0 ? list(privateTopics) : 'none'}`;

export const KEY_HS256 = () => 'HS256 (shared secret)';
export const KEY_PEM = (algorithm: string) => `${algorithm} (public key)`;
export const KEY_JWKS = (where: string) => `RS256/ES256 (key set at ${where})`;

export const REFUSED = (method: string, path: string, status: number, message: string) =>
  `Refused ${method} ${path}: ${status} ${message}`;

export const JWKS_FETCH_FAILED = (where: string, detail: string) =>
  `Could not fetch the key set at ${where}: ${detail.slice(0, 200)}`;

export const STREAM_TOKEN_EXPIRED = () => 'Ended a stream of private topics: its token expired';

export const KEY_SOURCES_CONFLICT = () =>
  'Set only one token key: a secret, a public key or a JWKS URL';

export const PRIVATE_TOPICS_NEED_KEY = () =>
  'Private topics need a token key (a secret, a public key or a JWKS URL) to check grants';

export const BAD_PUBLIC_KEY = () =>
  'not a PEM public key (SPKI "-----BEGIN PUBLIC KEY-----", RSA for RS256 or EC P-256 for ES256)';
