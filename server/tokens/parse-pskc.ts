import { entryLabel, MAX_TOKEN_FILE_BYTES, MAX_TOKENS_PER_FILE, quoteValue, type ImportedToken, type TokenParseResult } from './imported-token.js';
import { readKeyPackage } from './pskc-key-package.js';
import { readProtection } from './pskc-protection.js';
import { attributeOf, childElements, descend, parseXmlDocument, textOf, type XmlElement } from './pskc-xml.js';

export type { ImportedToken } from './imported-token.js';

/** RFC 6030 §5 (Figure 5): a token's PIN travels as a key package of its own, with this algorithm. */
export const PIN_ALGORITHM = 'urn:ietf:params:xml:ns:keyprov:pskc:pin';

export const SIGNATURE_NOT_CHECKED =
  "the file's signature was not checked: it carries an XML signature (<Signature>, RFC 6030 §7), which Gatehouse does not verify; trust the file only as far as you trust the way it reached you";

/**
 * Reads a PSKC file (RFC 6030): plaintext, pre-shared-key (§6.1) or password-protected (§6.2)
 * HOTP and TOTP keys. All or nothing: one problem anywhere and no token is returned; every
 * problem is reported, each naming its KeyPackage (1-based) and serial. What is read but not
 * imported (a PIN's key package) or not checked (a signature) comes back as notes.
 */
export function parsePskc(xml: string, options: { password?: string; preSharedKey?: Buffer } = {}): TokenParseResult {
  if (Buffer.byteLength(xml, 'utf8') > MAX_TOKEN_FILE_BYTES) return { ok: false, errors: [`the file is larger than ${MAX_TOKEN_FILE_BYTES / 1024 / 1024} MB`] };
  const document = parseXmlDocument(xml.replace(/^\uFEFF/, ''), 'KeyContainer');
  if (!document.ok) return { ok: false, errors: [document.error] };
  const root = document.root;
  const version = attributeOf(root, 'Version');
  if (version !== '1.0') return { ok: false, errors: [`KeyContainer: Version ${quoteValue(version)} is not supported (RFC 6030 is 1.0)`] };
  const packages = childElements(root, 'KeyPackage');
  if (packages.length === 0) return { ok: false, errors: ['the file holds no <KeyPackage>'] };
  if (packages.length > MAX_TOKENS_PER_FILE) return { ok: false, errors: [`the file holds ${packages.length} keys; at most ${MAX_TOKENS_PER_FILE} are imported at once`] };

  const notes: string[] = [];
  if (childElements(root, 'Signature').length > 0) notes.push(SIGNATURE_NOT_CHECKED);
  const pinKeyUsers = pinKeyReferences(packages);
  const tokenPackages: Array<{ pkg: XmlElement; position: number }> = [];
  packages.forEach((pkg, index) => {
    const pin = pinKeyOf(pkg);
    if (pin === undefined) return tokenPackages.push({ pkg, position: index + 1 });
    const label = entryLabel(`KeyPackage ${index + 1}`, textOf(descend(pkg, ['DeviceInfo', 'SerialNo'], () => {}))?.trim());
    const user = pin.id === undefined ? undefined : pinKeyUsers.get(pin.id);
    const whose = user === undefined ? 'a PIN' : `the PIN of KeyPackage ${user}'s key (its <PINPolicy PINKeyId>)`;
    notes.push(`${label}: skipped: it holds ${whose}, not a token; Gatehouse does not import PINs (the token checks its own)`);
  });
  if (tokenPackages.length === 0) return { ok: false, errors: [`the file holds no token: its ${packages.length} <KeyPackage> hold${packages.length === 1 ? 's' : ''} only PINs`] };

  const protection = readProtection(
    root,
    options,
    tokenPackages.map((t) => t.pkg),
  );
  if (!protection.ok) return protection;

  const errors: string[] = [];
  const tokens: Array<{ label: string; token: ImportedToken; manufacturer: string | undefined }> = [];
  for (const { pkg, position } of tokenPackages) {
    const result = readKeyPackage(pkg, position, protection.protection);
    if (!result.ok) errors.push(...result.errors);
    else {
      tokens.push(result);
      notes.push(...result.notes);
    }
  }
  errors.push(...findRepeatedSerials(tokens));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, tokens: tokens.map((t) => t.token), notes };
}

/** A key package whose one key is a PIN, with that key's Id; undefined for anything else. */
function pinKeyOf(pkg: XmlElement): { id: string | undefined } | undefined {
  const keys = childElements(pkg, 'Key');
  if (keys.length !== 1 || attributeOf(keys[0], 'Algorithm') !== PIN_ALGORITHM) return undefined;
  return { id: attributeOf(keys[0], 'Id') };
}

/** PIN key Id → the position of the first key package whose key names it in <PINPolicy PINKeyId>. */
function pinKeyReferences(packages: readonly XmlElement[]): Map<string, number> {
  const users = new Map<string, number>();
  packages.forEach((pkg, index) => {
    for (const key of childElements(pkg, 'Key')) {
      for (const policy of childElements(key, 'Policy')) {
        for (const pinPolicy of childElements(policy, 'PINPolicy')) {
          const id = attributeOf(pinPolicy, 'PINKeyId');
          if (id !== undefined && !users.has(id)) users.set(id, index + 1);
        }
      }
    }
  });
  return users;
}

/**
 * A token's identity in Gatehouse is its serial alone: it is what is printed on the token, typed
 * in `tokens assign SERIAL`, and unique in storage. RFC 6030 Figure 10 repeats a serial for one
 * device that holds two keys (each valid for a month), and two vendors may happen to use the same
 * serial; either way the file must say which key is meant, so the error says how.
 */
function findRepeatedSerials(entries: ReadonlyArray<{ label: string; token: ImportedToken; manufacturer: string | undefined }>): string[] {
  const first = new Map<string, { label: string; manufacturer: string | undefined }>();
  const errors: string[] = [];
  for (const { label, token, manufacturer } of entries) {
    const seen = first.get(token.serial);
    if (seen === undefined) {
      first.set(token.serial, { label, manufacturer });
      continue;
    }
    const repeated = `${label}: serial ${token.serial} appears again (first in ${seen.label})`;
    if (seen.manufacturer === manufacturer) {
      const from = manufacturer === undefined ? 'with no <Manufacturer>' : `both from manufacturer ${quoteValue(manufacturer)}`;
      errors.push(`${repeated}, ${from}: Gatehouse identifies a hardware token by its serial and keeps one key per token; leave only the KeyPackage of the key the token uses now`);
    } else {
      errors.push(
        `${repeated}, from manufacturers ${quoteValue(seen.manufacturer ?? '')} and ${quoteValue(manufacturer ?? '')}: Gatehouse identifies a hardware token by its serial alone; give one of them another <SerialNo> in the file (for example with its manufacturer in front) and import again; that name is then its serial for tokens assign`,
      );
    }
  }
  return errors;
}
