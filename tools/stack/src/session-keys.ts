import { generateKeyPairSync } from 'node:crypto';

/** An ES256 key pair for sessions: auth signs with `privateKey`, every service verifies with `publicKeys`. */
export interface SessionKeys {
  privateKey: string;
  publicKeys: string;
}

/** A new P-256 key pair, PEM. */
export function newSessionKeys(): SessionKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKey, publicKeys: publicKey };
}
