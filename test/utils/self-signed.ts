import { execFile } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeWhenInstalled } from './required-tool.js';
import type { TlsFiles } from './nginx.js';

/** The OpenSSL command-line tool (`apt-get install openssl`), which makes the test's certificate. */
export const OPENSSL_PATH = process.env.OPENSSL_PATH || '/usr/bin/openssl';

/** `describe`, when openssl is installed (a loud skip without it; a failure under `CI=true`). */
export function describeWithOpenssl(name: string, fn: () => void): void {
  describeWhenInstalled(
    {
      path: OPENSSL_PATH,
      why:
        `openssl is not installed at ${OPENSSL_PATH}: install it (apt-get install -y openssl) ` +
        'or point OPENSSL_PATH at an openssl binary.',
      suites: 'the TLS tests',
      required: 'makes a certificate',
    },
    name,
    fn,
  );
}

export interface SelfSigned extends TlsFiles {
  /**
   * Base64 of the SHA-256 of the key's SubjectPublicKeyInfo: what Chromium's
   * `--ignore-certificate-errors-spki-list` takes, so that it trusts this certificate and no other.
   */
  spki: string;
}

/** A one-day certificate for 127.0.0.1 and its P-256 key, written to `dir`. */
export async function selfSignedCertificate(dir: string): Promise<SelfSigned> {
  const cert = join(dir, 'ripple.crt');
  const key = join(dir, 'ripple.key');
  await promisify(execFile)(OPENSSL_PATH, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  const der = createPublicKey(await readFile(key)).export({ type: 'spki', format: 'der' });
  return { cert, key, spki: createHash('sha256').update(der).digest('base64') };
}
