export const TOKEN_USAGE = () =>
  [
    'Usage: npm run -s token -- [--publish <pattern>]... [--subscribe <pattern>]... [--ttl <seconds>]',
    '                          [--subject <sub>]',
    '',
    'Prints an HS256 token signed with RIPPLE_JWT_SECRET, with RIPPLE_JWT_AUDIENCE and',
    'RIPPLE_JWT_ISSUER when they are set. Patterns are topic names with * for any run of',
    'characters; a flag may repeat, or take a comma-separated list. --ttl defaults to 3600.',
  ].join('\n');

export const NO_SECRET = () =>
  'RIPPLE_JWT_SECRET is not set: the token is signed with the HS256 secret the server checks';

export const BAD_TTL = (value: string) =>
  `--ttl must be a whole number of seconds from 1 to 31536000, not ${JSON.stringify(value)}`;

export const NO_GRANT = () => 'Give at least one --publish or --subscribe pattern';

export const BAD_PATTERN = (pattern: string) =>
  `Invalid topic pattern ${JSON.stringify(pattern.slice(0, 140))}: topic characters, with * for ` +
  'any run of them';
