import { generateKeyPairSync } from 'node:crypto';

/** A fresh EC P-256 private key in PKCS#8 PEM, as an administrator would generate it. */
export function generateEs256Pem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}
