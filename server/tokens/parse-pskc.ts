import type { OtpAlgorithm } from '../storage/storage.js';
import {
  asciiUpperCase,
  checkSecretLength,
  checkSerial,
  entryLabel,
  findDuplicateSerials,
  MAX_TOKEN_FILE_BYTES,
  MAX_TOKENS_PER_FILE,
  quoteValue,
  type ImportedToken,
  type TokenParseResult,
} from './imported-token.js';
import { decodeBase64 } from './pskc-crypto.js';
import { decryptValue, readProtection, type Protection } from './pskc-protection.js';
import { attributeOf, childElements, descend, parseXmlDocument, textOf, type XmlElement } from './pskc-xml.js';

export type { ImportedToken } from './imported-token.js';

// Maps, not object literals: values from the file must not find "constructor" on Object.prototype.
const KINDS: ReadonlyMap<string, 'hotp' | 'totp'> = new Map([
  ['urn:ietf:params:xml:ns:keyprov:pskc:hotp', 'hotp'],
  ['urn:ietf:params:xml:ns:keyprov:pskc:totp', 'totp'],
]);

/** <AlgorithmParameters><Suite> names the hash for HMAC-based OTP (RFC 6030 §4.3.4); absent means SHA1. */
const SUITES: ReadonlyMap<string, OtpAlgorithm> = new Map<string, OtpAlgorithm>(
  (['SHA1', 'SHA256', 'SHA512'] as const).flatMap((hash) => [[`HMAC-${hash}`, hash] as const, [hash, hash] as const]),
);

/** PIN modes where the server would have to check a PIN along with the code: not supported. */
const SERVER_PIN_MODES = new Set(['Prepend', 'Append', 'Algorithmic']);

/**
 * Reads a PSKC file (RFC 6030): plaintext, pre-shared-key (§6.1) or password-protected (§6.2)
 * HOTP and TOTP keys. All or nothing: one problem anywhere and no token is returned; every
 * problem is reported, each naming its KeyPackage (1-based) and serial.
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

  const protection = readProtection(root, options);
  if (!protection.ok) return protection;

  const errors: string[] = [];
  const tokens: Array<{ label: string; token: ImportedToken }> = [];
  packages.forEach((pkg, index) => {
    const result = readKeyPackage(pkg, index + 1, protection.protection);
    if (result.ok) tokens.push({ label: result.label, token: result.token });
    else errors.push(...result.errors);
  });
  errors.push(...findDuplicateSerials(tokens.map(({ label, token }) => ({ label, serial: token.serial }))));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, tokens: tokens.map((t) => t.token) };
}

type PackageResult = { ok: true; label: string; token: ImportedToken } | { ok: false; errors: string[] };

function readKeyPackage(pkg: XmlElement, position: number, protection: Protection | undefined): PackageResult {
  const problems: string[] = [];
  const report = (message: string) => problems.push(message);
  const serial = textOf(descend(pkg, ['DeviceInfo', 'SerialNo'], report))?.trim();
  const label = entryLabel(`KeyPackage ${position}`, serial);
  const failed = (): PackageResult => ({ ok: false, errors: problems.map((p) => `${label}: ${p}`) });

  // problems holds a repeated <SerialNo> already, if there is one.
  const serialProblem = problems.length > 0 ? undefined : serial === undefined ? 'has no <DeviceInfo><SerialNo>' : checkSerial(serial);
  if (serialProblem) report(serialProblem);
  const keys = childElements(pkg, 'Key');
  if (keys.length !== 1) {
    report(keys.length === 0 ? 'has no <Key>' : `has ${keys.length} <Key> elements; one is expected`);
    return failed();
  }
  const key = keys[0]!;
  const algorithmUri = attributeOf(key, 'Algorithm');
  const kind = algorithmUri === undefined ? undefined : KINDS.get(algorithmUri);
  if (kind === undefined) report(`algorithm ${quoteValue(algorithmUri)} is not supported (only HOTP and TOTP are)`);

  const parameters = descend(key, ['AlgorithmParameters'], report);
  const suite = textOf(descend(parameters, ['Suite'], report))?.trim();
  const algorithm = suite === undefined ? 'SHA1' : SUITES.get(asciiUpperCase(suite));
  if (algorithm === undefined) report(`<Suite> ${quoteValue(suite)} is not supported (HMAC-SHA1, HMAC-SHA256 or HMAC-SHA512)`);
  const digits = readDigits(descend(parameters, ['ResponseFormat'], report), report);
  const pinMode = attributeOf(descend(key, ['Policy', 'PINPolicy'], report), 'PINUsageMode');
  if (pinMode !== undefined && SERVER_PIN_MODES.has(pinMode)) report(`the token needs a PIN checked by the server (PINUsageMode ${quoteValue(pinMode)}), which is not supported`);

  const problemsBefore = problems.length;
  const data = descend(key, ['Data'], report);
  const secretElement = descend(data, ['Secret'], report);
  // A repeated <Data> or <Secret> was reported already; "has no secret" would only confuse.
  const secret = problems.length > problemsBefore ? undefined : readSecret(secretElement, protection, report);
  const counter = readInteger(data, 'Counter', report) ?? 0;
  const time = readInteger(data, 'Time', report) ?? 0;
  const period = readInteger(data, 'TimeInterval', report) ?? 30;
  // TimeDrift is checked for form only: the verifier learns each token's drift from its codes.
  readInteger(data, 'TimeDrift', report, { signed: true });
  if (kind === 'totp' && time !== 0) report(`<Time> (T0) is ${time}; only 0, the Unix epoch, is supported`);
  if (kind === 'totp' && period !== 30 && period !== 60) report(`<TimeInterval> is ${period} seconds; 30 or 60 are supported`);

  if (problems.length > 0 || kind === undefined || algorithm === undefined || digits === undefined || secret === undefined || serial === undefined) return failed();
  return { ok: true, label, token: { serial, kind, secret, algorithm, digits, period: kind === 'totp' ? period : 30, counter: kind === 'hotp' ? counter : 0 } };
}

function readDigits(format: XmlElement | undefined, report: (message: string) => void): 6 | 8 | undefined {
  // Without a ResponseFormat the OATH default applies.
  if (format === undefined) return 6;
  const encoding = attributeOf(format, 'Encoding');
  if (encoding !== undefined && encoding !== 'DECIMAL') report(`<ResponseFormat> Encoding ${quoteValue(encoding)} is not supported (DECIMAL is)`);
  const length = attributeOf(format, 'Length');
  if (length === '6' || length === '8') return Number(length) as 6 | 8;
  report(`<ResponseFormat> Length ${quoteValue(length)} is not supported (6 or 8 digits)`);
  return undefined;
}

function readSecret(secret: XmlElement | undefined, protection: Protection | undefined, report: (message: string) => void): Buffer | undefined {
  const fail = (message: string) => {
    report(message);
    return undefined;
  };
  if (secret === undefined) return fail('has no secret (<Data><Secret>)');
  const plain = descend(secret, ['PlainValue'], report);
  const encrypted = descend(secret, ['EncryptedValue'], report);
  if (plain && encrypted) return fail('the secret has both a <PlainValue> and an <EncryptedValue>');
  let value: Buffer | undefined;
  if (plain) {
    value = decodeBase64(textOf(plain) ?? '');
    if (value === undefined) return fail('the secret\'s <PlainValue> is not base64');
  } else if (encrypted) {
    if (!protection) return fail('the secret is encrypted but the file names no key');
    if (!protection.mac) return fail('the secret is encrypted without a <MACMethod>; unauthenticated encryption is refused');
    const expected = decodeBase64(textOf(descend(secret, ['ValueMAC'], report)) ?? '');
    if (!expected || expected.length === 0) return fail('the encrypted secret has no <ValueMAC> (or it is not base64); unauthenticated encryption is refused');
    value = decryptValue(encrypted, protection.key, 'the secret', report, { ...protection.mac, expected });
    if (value === undefined) return undefined;
  } else {
    return fail('has no secret (<PlainValue> or <EncryptedValue>)');
  }
  const tooShort = checkSecretLength(value);
  return tooShort ? fail(tooShort) : value;
}

/** A non-negative (or, with `signed`, any) whole number in <Data><name><PlainValue>. */
function readInteger(data: XmlElement | undefined, name: string, report: (message: string) => void, options: { signed?: boolean } = {}): number | undefined {
  const element = descend(data, [name], report);
  if (element === undefined) return undefined;
  if (descend(element, ['EncryptedValue'], report)) {
    report(`an encrypted <${name}> is not supported`);
    return undefined;
  }
  const text = textOf(descend(element, ['PlainValue'], report))?.trim() ?? '';
  const value = Number(text);
  if (!(options.signed ? /^-?[0-9]{1,16}$/ : /^[0-9]{1,16}$/).test(text) || !Number.isSafeInteger(value)) {
    report(`<${name}> ${quoteValue(text.slice(0, 20))} is not a ${options.signed ? '' : 'non-negative '}whole number`);
    return undefined;
  }
  return value;
}
