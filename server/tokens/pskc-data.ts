import { checkSecretLength, quoteValue } from './imported-token.js';
import { decodeBase64 } from './pskc-crypto.js';
import { decryptValue, type Protection } from './pskc-protection.js';
import { descend, textOf, type XmlElement } from './pskc-xml.js';

type Report = (message: string) => void;

/** <Data><Secret>: plain or encrypted (RFC 6030 §4.1, §6), of a length an OTP token can hold. */
export function readSecret(secret: XmlElement | undefined, protection: Protection | undefined, report: Report): Buffer | undefined {
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
    if (value === undefined) return fail("the secret's <PlainValue> is not base64");
  } else if (encrypted) {
    value = openEncrypted(secret, encrypted, { subject: 'the secret', noun: 'secret' }, protection, report);
    if (value === undefined) return undefined;
  } else {
    return fail('has no secret (<PlainValue> or <EncryptedValue>)');
  }
  const tooShort = checkSecretLength(value);
  return tooShort ? fail(tooShort) : value;
}

/**
 * A whole number in <Data><name> (Counter, Time, TimeInterval, TimeDrift): undefined when the
 * element is absent or wrong (reported), else every value it can mean. A <PlainValue> means one;
 * an <EncryptedValue> may mean two (see readEncryptedInteger). With `signed`, an encrypted value
 * is decrypted and its MAC checked but not interpreted (an empty list): only TimeDrift is signed,
 * and its value is not used.
 */
export function readIntegerField(
  data: XmlElement | undefined,
  name: string,
  protection: Protection | undefined,
  report: Report,
  options: { signed?: boolean } = {},
): number[] | undefined {
  const element = descend(data, [name], report);
  if (element === undefined) return undefined;
  const plain = descend(element, ['PlainValue'], report);
  const encrypted = descend(element, ['EncryptedValue'], report);
  if (plain && encrypted) {
    report(`<${name}> has both a <PlainValue> and an <EncryptedValue>`);
    return undefined;
  }
  if (encrypted) {
    const value = openEncrypted(element, encrypted, { subject: `<${name}>`, noun: `<${name}>` }, protection, report);
    if (value === undefined) return undefined;
    if (options.signed) return [];
    const readings = readEncryptedInteger(value);
    if (readings.length > 0) return readings;
    const tooLarge = value.length >= 1 && value.length <= 8;
    report(
      tooLarge
        ? `the encrypted <${name}> is ${BigInt(`0x${value.toString('hex')}`)}, more than ${Number.MAX_SAFE_INTEGER}, the largest supported`
        : `the encrypted <${name}> is not a whole number (1 to 8 big-endian bytes, or decimal digits)`,
    );
    return undefined;
  }
  const text = textOf(plain)?.trim() ?? '';
  const value = Number(text);
  if (!(options.signed ? /^-?[0-9]{1,16}$/ : /^[0-9]{1,16}$/).test(text) || !Number.isSafeInteger(value)) {
    report(`<${name}> ${quoteValue(text.slice(0, 20))} is not a ${options.signed ? '' : 'non-negative '}whole number`);
    return undefined;
  }
  return [value];
}

/**
 * RFC 6030 does not say how a number is written before it is encrypted. multiOTP (and
 * python-pskc) write its big-endian bytes (30 → 0x1E, 0 → 0x00); other writers its decimal
 * digits ("30"). Bytes that are all ASCII digits are both ("5" is 0x35, also 53), so every
 * reading is returned, the big-endian one first, and the field decides.
 */
export function readEncryptedInteger(plain: Buffer): number[] {
  const readings: number[] = [];
  if (plain.length >= 1 && plain.length <= 8) {
    const value = BigInt(`0x${plain.toString('hex')}`);
    if (value <= BigInt(Number.MAX_SAFE_INTEGER)) readings.push(Number(value));
  }
  const text = plain.toString('latin1');
  if (/^[0-9]{1,16}$/.test(text) && Number.isSafeInteger(Number(text)) && !readings.includes(Number(text))) readings.push(Number(text));
  return readings;
}

/**
 * Decrypts a data element's <EncryptedValue> with the container's key, the same for every
 * element (RFC 6030 §6). The MAC is required and checked before decrypting: without it anyone
 * who can edit the file could flip chosen bits of a CBC value's first block — set a counter back,
 * or a time step — without knowing the key.
 */
function openEncrypted(
  element: XmlElement,
  encrypted: XmlElement,
  what: { subject: string; noun: string },
  protection: Protection | undefined,
  report: Report,
): Buffer | undefined {
  const fail = (message: string) => {
    report(message);
    return undefined;
  };
  if (!protection) return fail(`${what.subject} is encrypted but the file names no key`);
  if (!protection.mac) return fail(`${what.subject} is encrypted without a <MACMethod>; unauthenticated encryption is refused`);
  const expected = decodeBase64(textOf(descend(element, ['ValueMAC'], report)) ?? '');
  if (!expected || expected.length === 0) return fail(`the encrypted ${what.noun} has no <ValueMAC> (or it is not base64); unauthenticated encryption is refused`);
  return decryptValue(encrypted, protection.key, what.subject, report, { ...protection.mac, expected });
}
