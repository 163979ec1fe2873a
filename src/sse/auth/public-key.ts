import { createPublicKey, type KeyObject } from 'node:crypto';
import { BAD_PUBLIC_KEY } from './auth.messages.js';

export type PublicKeyAlgorithm = 'RS256' | 'ES256';

export interface ParsedPublicKey {
  key: KeyObject;
  algorithm: PublicKeyAlgorithm;
}

/**
 * A PEM public key and the one algorithm it verifies: RS256 for RSA, ES256 for EC P-256. The
 * algorithm comes from the key, never from a token's header, so no token can pick its own check.
 */
export function parsePublicKey(pem: string): ParsedPublicKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error(BAD_PUBLIC_KEY());
  }
  // A private key parses as its public half: refuse it, it does not belong in this setting.
  if (key.type !== 'public' || !pem.includes('PUBLIC KEY')) {
    throw new Error(BAD_PUBLIC_KEY());
  }
  if (key.asymmetricKeyType === 'rsa') {
    return { key, algorithm: 'RS256' };
  }
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return { key, algorithm: 'ES256' };
  }
  throw new Error(BAD_PUBLIC_KEY());
}

/** Whether `pem` is a public key Ripple verifies tokens with (see parsePublicKey). */
export function isPublicKeyPem(pem: string): boolean {
  try {
    parsePublicKey(pem);
    return true;
  } catch {
    return false;
  }
}
