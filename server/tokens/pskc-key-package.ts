import type { OtpAlgorithm } from '../storage/storage.js';
import { asciiUpperCase, checkSerial, entryLabel, quoteValue, type ImportedToken } from './imported-token.js';
import { readIntegerField, readSecret } from './pskc-data.js';
import type { Protection } from './pskc-protection.js';
import { attributeOf, childElements, descend, textOf, type XmlElement } from './pskc-xml.js';

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
const SUPPORTED_PERIODS = new Set([30, 60]);

export type KeyPackageResult = { ok: true; label: string; token: ImportedToken; manufacturer: string | undefined; notes: string[] } | { ok: false; errors: string[] };

/** One token's KeyPackage: every problem in it, each prefixed with the package's place and serial. */
export function readKeyPackage(pkg: XmlElement, position: number, protection: Protection | undefined): KeyPackageResult {
  const problems: string[] = [];
  const notes: string[] = [];
  const report = (message: string) => problems.push(message);
  const serial = textOf(descend(pkg, ['DeviceInfo', 'SerialNo'], report))?.trim();
  const label = entryLabel(`KeyPackage ${position}`, serial);
  const failed = (): KeyPackageResult => ({ ok: false, errors: problems.map((p) => `${label}: ${p}`) });

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
  const counters = readIntegerField(data, 'Counter', protection, report);
  const times = readIntegerField(data, 'Time', protection, report);
  const periods = readIntegerField(data, 'TimeInterval', protection, report);
  // TimeDrift is checked for form only: the verifier learns each token's drift from its codes.
  readIntegerField(data, 'TimeDrift', protection, report, { signed: true });

  // An encrypted counter that reads two ways takes the larger: the smaller would accept again codes the token showed before.
  const counter = counters === undefined ? 0 : Math.max(...counters);
  if (kind === 'hotp' && counters !== undefined && counters.length > 1) {
    notes.push(
      `the encrypted <Counter> reads as ${counters.join(' or ')}; ${counter} is used, the larger, so no earlier code is accepted again (if the token's codes are refused: gatehouse tokens resync ${serial} CODE1 CODE2)`,
    );
  }
  if (kind === 'totp' && times !== undefined && !times.includes(0)) report(`<Time> (T0) is ${times.join(' or ')}; only 0, the Unix epoch, is supported`);
  const period = periods === undefined ? 30 : periods.find((p) => SUPPORTED_PERIODS.has(p));
  if (kind === 'totp' && period === undefined) report(`<TimeInterval> is ${periods!.join(' or ')} seconds; 30 or 60 are supported`);

  if (problems.length > 0 || kind === undefined || algorithm === undefined || digits === undefined || secret === undefined || serial === undefined) return failed();
  const manufacturer = textOf(childElements(childElements(pkg, 'DeviceInfo')[0] ?? {}, 'Manufacturer')[0])?.trim() || undefined;
  return {
    ok: true,
    label,
    manufacturer,
    notes: notes.map((note) => `${label}: ${note}`),
    token: { serial, kind, secret, algorithm, digits, period: kind === 'totp' ? period! : 30, counter: kind === 'hotp' ? counter : 0 },
  };
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
