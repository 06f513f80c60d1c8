import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePskc } from './parse-pskc.js';
import { buildPskc, testSecret } from './testing/build-pskc.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const RFC_PSK = Buffer.from('12345678901234567890123456789012', 'hex');
const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');

/** RFC 4226 §5.3, written out here so the test does not lean on the code under test. */
function hotp(secret: Buffer, counter: number, digits: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** RFC 4226 Appendix D: the truncated values for counters 0-9 of the key "12345678901234567890". */
const APPENDIX_D = [1284755224, 1094287082, 137359152, 1726969429, 1640338314, 868254676, 1918287922, 82162583, 673399871, 645520489];

function expectRfc4226Token(result: ReturnType<typeof parsePskc>) {
  expect(result).toEqual({
    ok: true,
    tokens: [{ serial: '987654321', kind: 'hotp', secret: RFC_SECRET, algorithm: 'SHA1', digits: 8, period: 30, counter: 0 }],
    notes: [],
  });
  if (!result.ok) return;
  const token = result.tokens[0]!;
  APPENDIX_D.forEach((value, counter) => {
    expect(hotp(token.secret, counter, 6)).toBe(String(value % 1e6).padStart(6, '0'));
    expect(hotp(token.secret, counter, token.digits)).toBe(String(value % 1e8).padStart(8, '0'));
  });
}

describe('parsePskc: RFC 6030 examples', () => {
  it('Figure 3: a plaintext HOTP key whose codes are RFC 4226 Appendix D', () => {
    expectRfc4226Token(parsePskc(fixture('rfc6030-figure3.pskc')));
  });

  it('Figure 6: AES-128-CBC under the pre-shared key, MAC checked with the encrypted MAC key', () => {
    expectRfc4226Token(parsePskc(fixture('rfc6030-figure6.pskc'), { preSharedKey: RFC_PSK }));
  });

  it('Figure 7: PBKDF2 from the password "qwerty"', () => {
    expectRfc4226Token(parsePskc(fixture('rfc6030-figure7.pskc'), { password: 'qwerty' }));
  });

  it('Figure 2 is refused: it has no serial and a 32-bit secret', () => {
    expect(parsePskc(fixture('rfc6030-figure2.pskc'))).toEqual({
      ok: false,
      errors: ['KeyPackage 1: has no <DeviceInfo><SerialNo>', 'KeyPackage 1: the secret is 32 bits; at least 128 are required'],
    });
  });
});

describe('parsePskc: wrong or missing password and key', () => {
  it.each(['', 'Qwerty', 'qwerty ', 'qwert', 'qwertyqwerty', 'ｑｗｅｒｔｙ', 'wrong'])('password %j → wrong password or key, no tokens', (password) => {
    const result = parsePskc(fixture('rfc6030-figure7.pskc'), { password });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join('\n')).toMatch(/wrong password or key/);
  });

  it.each([
    ['last byte changed', '12345678901234567890123456789013'],
    ['all zero', '00000000000000000000000000000000'],
    ['the MAC key', '11223344556677889900112233445566'],
    ['the derived key of Figure 7', '651e63cd57008476af1ff6422cd02e41'],
  ])('pre-shared key %s → wrong password or key, no tokens', (_name, hex) => {
    const result = parsePskc(fixture('rfc6030-figure6.pskc'), { preSharedKey: Buffer.from(hex, 'hex') });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join('\n')).toMatch(/wrong password or key/);
  });

  it('a pre-shared key of the wrong length is named as such', () => {
    const result = parsePskc(fixture('rfc6030-figure6.pskc'), { preSharedKey: Buffer.alloc(32, 1) });
    expect(result).toEqual({ ok: false, errors: ['MACMethod/MACKey: aes128-cbc needs a 128-bit key; the one given has 256'] });
  });

  it('asks for what is missing instead of failing on every entry', () => {
    expect(parsePskc(fixture('rfc6030-figure7.pskc'))).toMatchObject({ ok: false, needs: 'password' });
    expect(parsePskc(fixture('rfc6030-figure6.pskc'))).toMatchObject({ ok: false, needs: 'pre-shared-key' });
    expect(parsePskc(fixture('rfc6030-figure6.pskc'), { password: 'qwerty' })).toMatchObject({ ok: false, needs: 'pre-shared-key' });
  });

  it('checks the MAC before decrypting: a changed ValueMAC or ciphertext is refused with the entry named', () => {
    const xml = fixture('rfc6030-figure6.pskc');
    for (const tampered of [xml.replace('Su+NvtQfmvfJzF6bmQiJqoLRExc=', 'Tu+NvtQfmvfJzF6bmQiJqoLRExc='), xml.replace('AAECAwQFBgcICQoLDA0OD+cI', 'AAECAwQFBgcICQoLDA0OD+cJ')]) {
      expect(tampered).not.toBe(xml);
      expect(parsePskc(tampered, { preSharedKey: RFC_PSK })).toEqual({
        ok: false,
        errors: ['KeyPackage 1 (serial 987654321): the secret: wrong password or key: the MAC does not match'],
      });
    }
  });

  it('refuses a truncated MAC (no prefix comparison)', () => {
    const xml = fixture('rfc6030-figure6.pskc').replace('Su+NvtQfmvfJzF6bmQiJqoLRExc=', Buffer.from('Su+NvtQfmvfJzF6bmQiJqoLRExc=', 'base64').subarray(0, 10).toString('base64'));
    expect(parsePskc(xml, { preSharedKey: RFC_PSK }).ok).toBe(false);
  });

  it('refuses encrypted secrets without a MAC: no <MACMethod>, or no <ValueMAC>', () => {
    const xml = fixture('rfc6030-figure6.pskc');
    const noMethod = xml.replace(/<MACMethod[\s\S]*<\/MACMethod>/, '');
    const noValueMac = xml.replace(/<ValueMAC>[\s\S]*<\/ValueMAC>/, '');
    expect(parsePskc(noMethod, { preSharedKey: RFC_PSK })).toEqual({
      ok: false,
      errors: ['KeyPackage 1 (serial 987654321): the secret is encrypted without a <MACMethod>; unauthenticated encryption is refused'],
    });
    expect(parsePskc(noValueMac, { preSharedKey: RFC_PSK })).toEqual({
      ok: false,
      errors: ['KeyPackage 1 (serial 987654321): the encrypted secret has no <ValueMAC> (or it is not base64); unauthenticated encryption is refused'],
    });
  });

  it('refuses an unknown MAC algorithm and an unknown cipher', () => {
    const xml = fixture('rfc6030-figure6.pskc');
    expect(parsePskc(xml.replace('xmldsig#hmac-sha1', 'xmldsig#hmac-md5'), { preSharedKey: RFC_PSK })).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^MACMethod: algorithm .* is not supported/)],
    });
    for (const name of ['constructor', 'toString', '__proto__']) {
      expect(parsePskc(xml.replace('http://www.w3.org/2000/09/xmldsig#hmac-sha1', name), { preSharedKey: RFC_PSK })).toEqual({
        ok: false,
        errors: [`MACMethod: algorithm "${name}" is not supported (HMAC-SHA1 and HMAC-SHA2 are)`],
      });
      expect(parsePskc(xml.replaceAll('http://www.w3.org/2001/04/xmlenc#aes128-cbc', name), { preSharedKey: RFC_PSK })).toMatchObject({
        ok: false,
        errors: [expect.stringContaining(`encryption algorithm "${name}" is not supported`)],
      });
    }
    const kw = xml.replaceAll('xmlenc#aes128-cbc', 'xmlenc#kw-aes128');
    expect(parsePskc(kw, { preSharedKey: RFC_PSK })).toMatchObject({ ok: false, errors: [expect.stringMatching(/encryption algorithm .*kw-aes128.* is not supported/)] });
  });
});

describe('parsePskc: files written like vendors write them', () => {
  const psk = Buffer.alloc(16, 7);

  it('reads many packages with pre-shared-key encryption, HOTP and TOTP mixed', () => {
    const packages = Array.from({ length: 6 }, (_, i) =>
      i % 2 === 0
        ? { serial: `H${i}`, secret: testSecret(i), counter: String(i * 10) }
        : {
            serial: `T${i}`,
            secret: testSecret(i, 32),
            algorithm: 'urn:ietf:params:xml:ns:keyprov:pskc:totp',
            suite: 'HMAC-SHA256',
            timeInterval: '60',
            time: '0',
            timeDrift: '-2',
            digits: '8',
          },
    );
    const result = parsePskc(buildPskc(packages, { kind: 'pre-shared-key', key: psk }), { preSharedKey: psk });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.tokens).toHaveLength(6);
    expect(result.tokens[0]).toEqual({ serial: 'H0', kind: 'hotp', secret: testSecret(0), algorithm: 'SHA1', digits: 6, period: 30, counter: 0 });
    expect(result.tokens[1]).toEqual({ serial: 'T1', kind: 'totp', secret: testSecret(1, 32), algorithm: 'SHA256', digits: 8, period: 60, counter: 0 });
    expect(result.tokens[4]).toMatchObject({ serial: 'H4', counter: 40 });
  });

  it('reads password-protected files with other PBKDF2 parameters and AES-256', () => {
    const xml = buildPskc([{ serial: 'A1' }], { kind: 'password', password: 'correct horse', iterations: 2000, keyLength: 16, salt: Buffer.from('0123456789abcdef') });
    expect(parsePskc(xml, { password: 'correct horse' })).toMatchObject({ ok: true, tokens: [{ serial: 'A1', secret: testSecret(1) }] });
    const aes256 = buildPskc([{ serial: 'A2' }], { kind: 'pre-shared-key', key: Buffer.alloc(32, 9), cipher: 'aes256-cbc' });
    expect(parsePskc(aes256, { preSharedKey: Buffer.alloc(32, 9) })).toMatchObject({ ok: true, tokens: [{ serial: 'A2' }] });
  });

  it('accepts the pre-RFC form where the MAC key is the encryption key (no <MACKey>)', () => {
    const xml = buildPskc([{ serial: 'OLD1' }], { kind: 'pre-shared-key', key: psk, macKey: 'omit' });
    expect(parsePskc(xml, { preSharedKey: psk })).toMatchObject({ ok: true, tokens: [{ serial: 'OLD1', secret: testSecret(1) }] });
    expect(parsePskc(xml, { preSharedKey: Buffer.alloc(16, 8) })).toEqual({
      ok: false,
      errors: ['KeyPackage 1 (serial OLD1): the secret: wrong password or key: the MAC does not match'],
    });
  });

  it('refuses a PBKDF2 iteration count that would stall the import, before deriving anything', () => {
    const xml = buildPskc([{ serial: 'A1' }], { kind: 'password', password: 'x', iterations: 1 }).replace(
      '<IterationCount>1</IterationCount>',
      '<IterationCount>999999999999</IterationCount>',
    );
    // Deriving with 10^12 iterations would run for days: finishing at all shows nothing was derived.
    expect(parsePskc(xml, { password: 'x' })).toEqual({ ok: false, errors: ['EncryptionKey: the PBKDF2 iteration count must be 1-10000000'] });
  });

  it.each([
    ['<KeyLength>16</KeyLength>', '<KeyLength>15</KeyLength>', /key length must be 16, 24 or 32/],
    ['<Specified>', '<Specified>!!', /salt .* not base64/],
    ['<PRF/>', '<PRF Algorithm="http://example.com/md5"/>', /PRF .* is not supported/],
    ['<PRF/>', '<PRF Algorithm="constructor"/>', /PRF "constructor" is not supported/],
    ['pkcs-5v2-0#pbkdf2"', 'pkcs-5v2-0#pbkdf1"', /key derivation .* is not supported/],
  ])('refuses PBKDF2 parameters: %s → %s', (from, to, expected) => {
    const xml = buildPskc([{ serial: 'A1' }], { kind: 'password', password: 'x' }).replace(from, to);
    const result = parsePskc(xml, { password: 'x' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join('\n')).toMatch(expected);
  });
});
