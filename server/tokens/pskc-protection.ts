import { cipherKeyBytes, decodeBase64, decryptCbc, derivePbkdf2Key, hmacHash, isMacValid, MAX_PBKDF2_ITERATIONS, PBKDF2_ALGORITHM, type Pbkdf2Params } from './pskc-crypto.js';
import { quoteValue } from './imported-token.js';
import { attributeOf, childElements, descend, textOf, type XmlElement } from './pskc-xml.js';

/** How a container's secrets are opened: the encryption key and the MAC (hash and key). */
export interface Protection {
  key: Buffer;
  mac: { hash: string; key: Buffer } | undefined;
}

export type ProtectionResult = { ok: true; protection: Protection | undefined } | { ok: false; errors: string[]; needs?: 'password' | 'pre-shared-key' };

export const WRONG_KEY = 'wrong password or key: the MAC does not match';

/**
 * Reads <EncryptionKey> and <MACMethod> (RFC 6030 §6.1, §6.2) and turns the caller's password
 * or pre-shared key into the keys that open the secrets. Undefined protection: nothing is
 * encrypted. `packages`: the key packages that will be read (a skipped PIN's does not count).
 */
export function readProtection(root: XmlElement, options: { password?: string; preSharedKey?: Buffer }, packages: readonly XmlElement[]): ProtectionResult {
  const errors: string[] = [];
  const report = (message: string) => errors.push(message);
  const encryptionKeys = childElements(root, 'EncryptionKey');
  if (encryptionKeys.length > 1) return { ok: false, errors: [`<EncryptionKey> appears ${encryptionKeys.length} times`] };
  const encryptionKey = encryptionKeys[0];
  if (encryptionKey === undefined && !hasEncryptedValue(packages)) return { ok: true, protection: undefined };
  if (encryptionKey && childElements(encryptionKey, 'X509Data').length > 0) {
    return { ok: false, errors: ['EncryptionKey: keys encrypted to a certificate are not supported; ask the vendor for a pre-shared key or password'] };
  }

  let key: Buffer;
  const derivedKey = encryptionKey && descend(encryptionKey, ['DerivedKey'], report);
  if (derivedKey) {
    const params = readPbkdf2Params(derivedKey, errors);
    if (!params) return { ok: false, errors };
    if (options.password === undefined) return { ok: false, errors: ['the file is protected by a password; none was given'], needs: 'password' };
    key = derivePbkdf2Key(options.password, params);
  } else {
    if (errors.length > 0) return { ok: false, errors };
    if (options.preSharedKey === undefined) return { ok: false, errors: ['the file is encrypted with a pre-shared key; none was given'], needs: 'pre-shared-key' };
    key = options.preSharedKey;
  }

  const macMethods = childElements(root, 'MACMethod');
  if (macMethods.length > 1) return { ok: false, errors: [`<MACMethod> appears ${macMethods.length} times`] };
  const macMethod = macMethods[0];
  if (macMethod === undefined) return { ok: true, protection: { key, mac: undefined } };
  const macAlgorithm = attributeOf(macMethod, 'Algorithm') ?? '';
  const hash = hmacHash(macAlgorithm);
  if (!hash) return { ok: false, errors: [`MACMethod: algorithm ${quoteValue(macAlgorithm)} is not supported (HMAC-SHA1 and HMAC-SHA2 are)`] };
  const macKeyElement = descend(macMethod, ['MACKey'], report);
  // Drafts before RFC 6030 had no MACKey and used the encryption key for the MAC too.
  if (!macKeyElement) return errors.length > 0 ? { ok: false, errors } : { ok: true, protection: { key, mac: { hash, key } } };
  const macKey = decryptValue(macKeyElement, key, 'MACMethod/MACKey', report);
  if (!macKey) return { ok: false, errors };
  if (macKey.length === 0) return { ok: false, errors: ['MACMethod/MACKey: the MAC key is empty'] };
  return { ok: true, protection: { key, mac: { hash, key: macKey } } };
}

export interface MacCheck {
  hash: string;
  key: Buffer;
  expected: Buffer;
}

/**
 * Decrypts an <EncryptedValue>-shaped element (EncryptionMethod + CipherData/CipherValue,
 * the IV in front). With `macCheck`, the MAC over IV || ciphertext is verified first, so
 * nothing unauthenticated reaches the cipher.
 */
export function decryptValue(element: XmlElement, key: Buffer, where: string, report: (message: string) => void, macCheck?: MacCheck): Buffer | undefined {
  const fail = (message: string) => {
    report(`${where}: ${message}`);
    return undefined;
  };
  const algorithm = attributeOf(descend(element, ['EncryptionMethod'], report), 'Algorithm') ?? '';
  const keyBytes = cipherKeyBytes(algorithm);
  if (keyBytes === undefined) return fail(`encryption algorithm ${quoteValue(algorithm)} is not supported (AES-CBC is)`);
  if (key.length !== keyBytes) return fail(`${algorithm.split('#')[1]} needs a ${keyBytes * 8}-bit key; the one given has ${key.length * 8}`);
  const data = decodeBase64(textOf(descend(element, ['CipherData', 'CipherValue'], report)) ?? '');
  if (!data || data.length === 0) return fail('<CipherData/CipherValue> is missing or not base64');
  if (macCheck && !isMacValid(macCheck.hash, macCheck.key, data, macCheck.expected)) return fail(WRONG_KEY);
  const result = decryptCbc(algorithm, key, data);
  if (result.ok) return result.value;
  if (result.reason !== 'bad-padding') return fail('the encrypted value is malformed (an IV and whole blocks are expected)');
  // Without a MAC a padding failure is the usual sign of a wrong key; with a matching MAC the file itself is broken.
  return fail(macCheck ? 'the value does not decrypt although its MAC matches: the file is corrupt' : 'wrong password or key: it does not decrypt');
}

function readPbkdf2Params(derivedKey: XmlElement, errors: string[]): Pbkdf2Params | undefined {
  const before = errors.length;
  const report = (message: string) => errors.push(message);
  const method = descend(derivedKey, ['KeyDerivationMethod'], report);
  const algorithm = attributeOf(method, 'Algorithm') ?? '';
  if (algorithm !== PBKDF2_ALGORITHM) {
    report(`EncryptionKey: key derivation ${quoteValue(algorithm)} is not supported (PBKDF2 is)`);
    return undefined;
  }
  const params = descend(method, ['PBKDF2-params'], report);
  const salt = decodeBase64(textOf(descend(params, ['Salt', 'Specified'], report)) ?? '');
  const iterations = Number(textOf(descend(params, ['IterationCount'], report))?.trim() || 'x');
  const keyLength = Number(textOf(descend(params, ['KeyLength'], report))?.trim() || 'x');
  const prfAlgorithm = attributeOf(descend(params, ['PRF'], report), 'Algorithm');
  const hash = prfAlgorithm === undefined ? 'sha1' : hmacHash(prfAlgorithm);
  if (!salt || salt.length === 0) report('EncryptionKey: the PBKDF2 salt (<Salt/Specified>) is missing or not base64');
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) report(`EncryptionKey: the PBKDF2 iteration count must be 1-${MAX_PBKDF2_ITERATIONS}`);
  if (![16, 24, 32].includes(keyLength)) report('EncryptionKey: the PBKDF2 key length must be 16, 24 or 32 bytes');
  if (!hash) report(`EncryptionKey: PBKDF2 PRF ${quoteValue(prfAlgorithm)} is not supported (HMAC-SHA1 and HMAC-SHA2 are)`);
  if (errors.length !== before || !salt || !hash) return undefined;
  return { salt, iterations, keyLength, hash };
}

/** Whether any key's data is encrypted (a file may omit <EncryptionKey> and rely on a key agreed out of band). */
function hasEncryptedValue(packages: readonly XmlElement[]): boolean {
  return packages.some((pkg) =>
    childElements(pkg, 'Key').some((key) =>
      childElements(key, 'Data').some((data) => Object.values(data).some((v) => Array.isArray(v) && v.some((d) => typeof d === 'object' && d !== null && 'EncryptedValue' in d))),
    ),
  );
}
