import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jwtVerify } from 'jose';
import { TEST_SECRET } from './utils/auth.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = `${ROOT}/dist/cli/token.js`;

/** `npm run token -- ...` as built by `npm test`'s pretest step. */
function token(args: string[], env: Record<string, string> = {}) {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: run npm run build (npm test does it first)`);
  }
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 10_000,
  });
}

describe('the token CLI (e2e)', () => {
  it('prints a token with the grants asked for, signed with RIPPLE_JWT_SECRET', async () => {
    const run = token(
      ['--publish', 'a.*', '--subscribe', 'private.*', '--subscribe', 'x,y', '--ttl', '600'],
      { RIPPLE_JWT_SECRET: TEST_SECRET, RIPPLE_JWT_AUDIENCE: 'ripple' },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const printed = run.stdout.trim();
    expect(printed).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const { payload } = await jwtVerify(printed, new TextEncoder().encode(TEST_SECRET), {
      audience: 'ripple',
    });
    expect(payload.ripple).toEqual({ publish: ['a.*'], subscribe: ['private.*', 'x', 'y'] });
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it.each<[string, string[], Record<string, string>, RegExp]>([
    ['no secret', ['--publish', 'a'], {}, /RIPPLE_JWT_SECRET is not set/],
    [
      'a bad pattern',
      ['--publish', 'a b'],
      { RIPPLE_JWT_SECRET: TEST_SECRET },
      /Invalid topic pattern/,
    ],
    ['no grant', [], { RIPPLE_JWT_SECRET: TEST_SECRET }, /at least one --publish or --subscribe/],
    [
      'a bad ttl',
      ['--publish', 'a', '--ttl', '1h'],
      { RIPPLE_JWT_SECRET: TEST_SECRET },
      /--ttl must be/,
    ],
    [
      'a short secret',
      ['--publish', 'a'],
      { RIPPLE_JWT_SECRET: 'tooShortSecret42' },
      /RIPPLE_JWT_SECRET: at least 32/,
    ],
  ])('refuses %s, saying why, on stderr only', (_, args, env, message) => {
    const run = token(args, env);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    // Never the secret itself.
    expect(run.stderr).not.toContain('tooShortSecret42');
  });
});
