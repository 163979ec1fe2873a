/**
 * Mints a token for local use: `npm run -s token -- --publish 'a.*' --subscribe 'private.*'`.
 * It signs with the same configuration the server reads, so what it prints is what the server
 * accepts.
 */
import { parseArgs } from 'node:util';
import { rippleConfigFromEnv } from '../config/ripple.config.js';
import { isTopicPattern } from '../sse/index.js';
import { BAD_PATTERN, BAD_TTL, NO_GRANT, NO_SECRET, TOKEN_USAGE } from './cli.messages.js';
import { mintToken } from './mint-token.js';

const MAX_TTL_SECONDS = 365 * 24 * 3600;

function patternsOf(values: string[] | undefined): string[] {
  const patterns = (values ?? []).flatMap((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );
  const bad = patterns.find((pattern) => !isTopicPattern(pattern));
  if (bad !== undefined) {
    throw new Error(BAD_PATTERN(bad));
  }
  return patterns;
}

async function main(argv: string[]): Promise<string> {
  const { values } = parseArgs({
    args: argv,
    options: {
      publish: { type: 'string', multiple: true },
      subscribe: { type: 'string', multiple: true },
      ttl: { type: 'string', default: '3600' },
      subject: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    return TOKEN_USAGE();
  }
  const publish = patternsOf(values.publish);
  const subscribe = patternsOf(values.subscribe);
  if (publish.length + subscribe.length === 0) {
    throw new Error(NO_GRANT());
  }
  const ttl = values.ttl;
  if (!/^\d+$/.test(ttl) || Number(ttl) < 1 || Number(ttl) > MAX_TTL_SECONDS) {
    throw new Error(BAD_TTL(ttl));
  }
  const { auth } = rippleConfigFromEnv();
  if (!auth.secret) {
    throw new Error(NO_SECRET());
  }
  return mintToken({
    secret: auth.secret,
    publish,
    subscribe,
    ttlSeconds: Number(ttl),
    audience: auth.audience,
    issuer: auth.issuer,
    subject: values.subject,
  });
}

try {
  process.stdout.write(`${await main(process.argv.slice(2))}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${TOKEN_USAGE()}\n`);
  process.exitCode = 2;
}
