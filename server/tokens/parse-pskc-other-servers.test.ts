import { createDecipheriv, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePskc, SIGNATURE_NOT_CHECKED } from './parse-pskc.js';
import { buildPskc, testSecret, type TestKeyPackage, type TestProtection } from './testing/build-pskc.js';

/** Files as other OTP servers and RFC 6030's other figures write them: PINs, signatures, bulk files, encrypted counters. */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const RFC_PSK = Buffer.from('12345678901234567890123456789012', 'hex');
const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');
const TOTP = 'urn:ietf:params:xml:ns:keyprov:pskc:totp';
const PSK = Buffer.alloc(16, 5);
const SEALED: TestProtection = { kind: 'pre-shared-key', key: PSK };

const errorsOf = (result: ReturnType<typeof parsePskc>) => (result.ok ? [] : result.errors);
const sealedFile = (packages: TestKeyPackage[], protection: TestProtection = SEALED) => buildPskc(packages, protection);
const parseSealed = (packages: TestKeyPackage[]) => parsePskc(sealedFile(packages), { preSharedKey: PSK });

describe('RFC 6030 Figure 5: a token with its PIN in a key package of its own', () => {
  const PIN_NOTE =
    "KeyPackage 2 (serial 987654321): skipped: it holds the PIN of KeyPackage 1's key (its <PINPolicy PINKeyId>), not a token; Gatehouse does not import PINs (the token checks its own)";

  it('imports the HOTP token and skips the PIN with a note', () => {
    expect(parsePskc(fixture('rfc6030-figure5.pskc'))).toEqual({
      ok: true,
      tokens: [{ serial: '987654321', kind: 'hotp', secret: RFC_SECRET, algorithm: 'SHA1', digits: 8, period: 30, counter: 0 }],
      notes: [PIN_NOTE],
    });
  });

  it('skips a PIN no key names, and refuses a file that holds nothing else', () => {
    const xml = fixture('rfc6030-figure5.pskc');
    const unreferenced = xml.replace('PINKeyId="123456781" ', '');
    expect(parsePskc(unreferenced)).toMatchObject({
      ok: true,
      notes: ['KeyPackage 2 (serial 987654321): skipped: it holds a PIN, not a token; Gatehouse does not import PINs (the token checks its own)'],
    });
    const onlyPin = xml.replace(/<KeyPackage>[\s\S]*?<\/KeyPackage>/, '');
    expect(parsePskc(onlyPin)).toEqual({ ok: false, errors: ['the file holds no token: its 1 <KeyPackage> holds only PINs'] });
  });

  it('needs no key for an encrypted PIN when the token itself is plain', () => {
    const sealedPin = sealedFile([{ serial: 'P1', algorithm: 'urn:ietf:params:xml:ns:keyprov:pskc:pin' }]);
    const pinPackage = /<KeyPackage>[\s\S]*<\/KeyPackage>/.exec(sealedPin)![0];
    const xml = buildPskc([{ serial: 'T1' }]).replace('</KeyContainer>', `${pinPackage}</KeyContainer>`);
    expect(parsePskc(xml)).toMatchObject({ ok: true, tokens: [{ serial: 'T1' }], notes: [expect.stringMatching(/^KeyPackage 2 \(serial P1\): skipped: it holds a PIN/)] });
  });

  it('skips only a package whose one key is exactly the PIN algorithm; a token whose PIN the server must check is still refused', () => {
    const xml = fixture('rfc6030-figure5.pskc');
    for (const lookAlike of [
      'urn:ietf:params:xml:ns:keyprov:pskc:PIN',
      'urn:ietf:params:xml:ns:keyprov:pskc#pin',
      'pin',
      'urn:ietf:params:xml:ns:keyprov:pskc:pin:x',
      'constructor',
    ]) {
      const changed = xml.replace('Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:pin"', `Algorithm="${lookAlike}"`);
      expect(changed).not.toBe(xml);
      expect(errorsOf(parsePskc(changed)).join('\n')).toMatch(/KeyPackage 2 \(serial 987654321\): algorithm .* is not supported/);
    }
    const twoKeys = xml.replace(/<\/Key>\s*<\/KeyPackage>\s*<KeyPackage>[\s\S]*?<Key /, '</Key><Key ');
    expect(errorsOf(parsePskc(twoKeys))).toEqual(['KeyPackage 1 (serial 987654321): has 2 <Key> elements; one is expected']);
    const serverPin = xml.replace('PINUsageMode="Local"', 'PINUsageMode="Prepend"');
    expect(errorsOf(parsePskc(serverPin))).toEqual([
      'KeyPackage 1 (serial 987654321): the token needs a PIN checked by the server (PINUsageMode "Prepend"), which is not supported',
    ]);
  });
});

describe('RFC 6030 Figure 9: a signed file', () => {
  it('imports the token and says the signature was not checked', () => {
    const result = parsePskc(fixture('rfc6030-figure9.pskc'));
    expect(result).toEqual({
      ok: true,
      tokens: [{ serial: '0755225266', kind: 'hotp', secret: RFC_SECRET, algorithm: 'SHA1', digits: 6, period: 30, counter: 0 }],
      notes: [SIGNATURE_NOT_CHECKED],
    });
    expect(SIGNATURE_NOT_CHECKED).toMatch(/^the file's signature was not checked/);
  });

  it('says so for any prefix of <Signature>, and not for a file without one', () => {
    const xml = fixture('rfc6030-figure9.pskc');
    for (const name of ['Signature', 'dsig:Signature']) {
      const renamed = xml.replaceAll('ds:Signature>', `${name}>`).replace('xmlns:ds=', 'xmlns:dsig="http://www.w3.org/2000/09/xmldsig#" xmlns:ds=');
      expect(renamed).toContain(`<${name}>`);
      expect(parsePskc(renamed)).toMatchObject({ ok: true, notes: [SIGNATURE_NOT_CHECKED] });
    }
    expect(parsePskc(xml.replace(/<ds:Signature>[\s\S]*<\/ds:Signature>/, ''))).toMatchObject({ ok: true, notes: [] });
  });
});

describe('RFC 6030 Figure 10: bulk provisioning', () => {
  const xml = fixture('rfc6030-figure10.pskc');

  it('refuses the repeated serial 9999999 (one device, two keys), naming both packages and what to do; without one of them it imports', () => {
    expect(parsePskc(xml)).toEqual({
      ok: false,
      errors: [
        'KeyPackage 4 (serial 9999999): serial 9999999 appears again (first in KeyPackage 3 (serial 9999999)), both from manufacturer "TokenVendorAcme": Gatehouse identifies a hardware token by its serial and keeps one key per token; leave only the KeyPackage of the key the token uses now',
      ],
    });
    // As the error says: with one of the two left out, the file imports.
    const packages = xml.match(/<KeyPackage>[\s\S]*?<\/KeyPackage>/g)!;
    expect(packages).toHaveLength(4);
    const result = parsePskc(xml.replace(packages[2]!, ''));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.tokens.map((t) => [t.serial, t.kind, t.digits, t.counter])).toEqual([
      ['654321', 'hotp', 8, 0],
      ['123456', 'hotp', 8, 0],
      ['9999999', 'hotp', 8, 0],
    ]);
    expect(result.tokens.every((t) => t.secret.equals(RFC_SECRET))).toBe(true);
  });

  it('names both manufacturers when two vendors use one serial, and says how to tell them apart', () => {
    const errors = errorsOf(
      parsePskc(
        buildPskc([
          { serial: '1000', manufacturer: 'Acme' },
          { serial: '2000', manufacturer: 'Acme' },
          { serial: '1000', manufacturer: 'Other\u001bVendor', secret: testSecret(7) },
        ]),
      ),
    );
    expect(errors).toEqual([
      'KeyPackage 3 (serial 1000): serial 1000 appears again (first in KeyPackage 1 (serial 1000)), from manufacturers "Acme" and "Other\\u001bVendor": Gatehouse identifies a hardware token by its serial alone; give one of them another <SerialNo> in the file (for example with its manufacturer in front) and import again; that name is then its serial for tokens assign',
    ]);
    const renamed = parsePskc(
      buildPskc([
        { serial: '1000', manufacturer: 'Acme' },
        { serial: 'Other-1000', manufacturer: 'Other', secret: testSecret(7) },
      ]),
    );
    expect(renamed).toMatchObject({ ok: true, tokens: [{ serial: '1000' }, { serial: 'Other-1000' }] });
  });
});

/** Decrypts one CipherValue the way RFC 6030 §6.1 says, independently of the code under test. */
function openCipherValue(base64: string, key: Buffer): Buffer {
  const data = Buffer.from(base64, 'base64');
  const decipher = createDecipheriv('aes-128-cbc', key, data.subarray(0, 16));
  return Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]);
}

describe('a multiOTP-style export: Counter, Time and TimeInterval encrypted like the secret', () => {
  const xml = fixture('multiotp-export.pskc');

  it("imports every token with its counter and time step (the fixture's ciphertexts checked first)", () => {
    // The fixture holds real ciphertexts: each value decrypts under the key and its ValueMAC matches.
    const macKey = openCipherValue(/<pskc:MACKey>[\s\S]*?<xenc:CipherValue>([^<]+)</.exec(xml)![1]!, RFC_PSK);
    const values = [...xml.matchAll(/<pskc:(Secret|Counter|Time|TimeInterval)>[\s\S]*?<xenc:CipherValue>([^<]+)<[\s\S]*?<pskc:ValueMAC>([^<]+)</g)];
    expect(values.map((v) => v[1])).toEqual(['Secret', 'Counter', 'Secret', 'Counter', 'Secret', 'Time', 'TimeInterval', 'Secret', 'Time', 'TimeInterval']);
    for (const [, , cipherValue, mac] of values) expect(createHmac('sha1', macKey).update(Buffer.from(cipherValue!, 'base64')).digest('base64')).toBe(mac);
    expect(values.map((v) => openCipherValue(v[2]!, RFC_PSK).toString('hex'))).toEqual([
      Buffer.from('multiOTP-hotp-key-01').toString('hex'),
      '04d2',
      Buffer.from('multiOTP-hotp-key-02').toString('hex'),
      '00',
      Buffer.from('multiOTP-totp-sha256-key-0000001').toString('hex'),
      '00',
      '1e',
      Buffer.from('multiOTP-totp-key-01').toString('hex'),
      '00',
      '3c',
    ]);
    expect(parsePskc(xml, { preSharedKey: RFC_PSK })).toEqual({
      ok: true,
      tokens: [
        { serial: 'MOTP-H1', kind: 'hotp', secret: Buffer.from('multiOTP-hotp-key-01'), algorithm: 'SHA1', digits: 6, period: 30, counter: 1234 },
        { serial: 'MOTP-H2', kind: 'hotp', secret: Buffer.from('multiOTP-hotp-key-02'), algorithm: 'SHA1', digits: 8, period: 30, counter: 0 },
        { serial: 'MOTP-T1', kind: 'totp', secret: Buffer.from('multiOTP-totp-sha256-key-0000001'), algorithm: 'SHA256', digits: 8, period: 30, counter: 0 },
        { serial: 'MOTP-T2', kind: 'totp', secret: Buffer.from('multiOTP-totp-key-01'), algorithm: 'SHA1', digits: 6, period: 60, counter: 0 },
      ],
      notes: [],
    });
  });

  it('refuses the whole file when one encrypted counter was changed, naming only that one', () => {
    const counters = [...xml.matchAll(/<pskc:Counter>[\s\S]*?<xenc:CipherValue>([^<]+)</g)].map((m) => m[1]!);
    const flipped = Buffer.from(counters[0]!, 'base64');
    flipped[15]! ^= 0x01;
    const errors = errorsOf(parsePskc(xml.replace(counters[0]!, flipped.toString('base64')), { preSharedKey: RFC_PSK }));
    expect(errors).toEqual(['KeyPackage 1 (serial MOTP-H1): <Counter>: wrong password or key: the MAC does not match']);
  });
});

describe('encrypted Counter, Time, TimeInterval and TimeDrift', () => {
  const be = (hex: string) => Buffer.from(hex, 'hex');
  const text = (digits: string) => Buffer.from(digits, 'ascii');

  it('reads them under a pre-shared key and under a password (PBKDF2), with the key and MAC of the secret', () => {
    const packages: TestKeyPackage[] = [
      { serial: 'H1', sealed: { Counter: be('0186a0') } },
      { serial: 'T1', algorithm: TOTP, sealed: { Time: be('00'), TimeInterval: be('3c'), TimeDrift: be('ff') } },
    ];
    const expected = [
      { serial: 'H1', kind: 'hotp', counter: 100_000 },
      { serial: 'T1', kind: 'totp', period: 60, counter: 0 },
    ];
    expect(parseSealed(packages)).toMatchObject({ ok: true, tokens: expected, notes: [] });
    const password = buildPskc(packages, { kind: 'password', password: 'pw', iterations: 10 });
    expect(parsePskc(password, { password: 'pw' })).toMatchObject({ ok: true, tokens: expected });
  });

  it.each([
    ['big-endian 0x1E', 30, be('1e')],
    ['big-endian 0x003C', 60, be('003c')],
    ['decimal "30"', 30, text('30')],
    ['decimal "60"', 60, text('60')],
  ])('a TimeInterval of %s is %d seconds', (_name, period, plain) => {
    expect(parseSealed([{ serial: 'T1', algorithm: TOTP, sealed: { TimeInterval: plain } }])).toMatchObject({ ok: true, tokens: [{ period }], notes: [] });
  });

  it.each([
    ['big-endian 45', be('2d'), '<TimeInterval> is 45 seconds; 30 or 60 are supported'],
    ['decimal "45"', text('45'), '<TimeInterval> is 13365 or 45 seconds; 30 or 60 are supported'],
    ['big-endian 0x3330 with a zero in front', be('003330'), '<TimeInterval> is 13104 seconds; 30 or 60 are supported'],
    ['a Time of 1000', be('03e8'), '<Time> (T0) is 1000; only 0, the Unix epoch, is supported'],
    ['a Time of decimal "1"', text('1'), '<Time> (T0) is 49 or 1; only 0, the Unix epoch, is supported'],
  ])('refuses %s', (name, plain, expected) => {
    const sealed = name.startsWith('a Time') ? { Time: plain } : { TimeInterval: plain };
    expect(errorsOf(parseSealed([{ serial: 'T1', algorithm: TOTP, sealed }]))).toEqual([`KeyPackage 1 (serial T1): ${expected}`]);
  });

  it('a Time of 0 reads as 0 whether written as a byte or as the digit "0"', () => {
    for (const plain of [be('00'), be('0000000000000000'), text('0')]) {
      expect(parseSealed([{ serial: 'T1', algorithm: TOTP, sealed: { Time: plain } }])).toMatchObject({ ok: true, tokens: [{ period: 30 }] });
    }
  });

  it('a counter that reads two ways takes the larger and says so, so no earlier code is accepted again', () => {
    expect(parseSealed([{ serial: 'H1', sealed: { Counter: text('5') } }])).toEqual({
      ok: true,
      tokens: [expect.objectContaining({ serial: 'H1', counter: 53 })],
      notes: [
        "KeyPackage 1 (serial H1): the encrypted <Counter> reads as 53 or 5; 53 is used, the larger, so no earlier code is accepted again (if the token's codes are refused: gatehouse tokens resync H1 CODE1 CODE2)",
      ],
    });
    expect(parseSealed([{ serial: 'H1', sealed: { Counter: text('00') } }])).toMatchObject({ ok: true, tokens: [{ counter: 0x3030 }] });
    // Digits longer than 8 bytes have no big-endian reading left: only the decimal one.
    expect(parseSealed([{ serial: 'H1', sealed: { Counter: text('1234567890123456') } }])).toMatchObject({ ok: true, tokens: [{ counter: 1234567890123456 }], notes: [] });
  });

  it.each([
    ['nothing', Buffer.alloc(0), 'the encrypted <Counter> is not a whole number (1 to 8 big-endian bytes, or decimal digits)'],
    ['9 bytes', Buffer.alloc(9, 0x41), 'the encrypted <Counter> is not a whole number (1 to 8 big-endian bytes, or decimal digits)'],
    ['2^53', be('0020000000000000'), 'the encrypted <Counter> is 9007199254740992, more than 9007199254740991, the largest supported'],
    ['2^64 - 1', be('ffffffffffffffff'), 'the encrypted <Counter> is 18446744073709551615, more than 9007199254740991, the largest supported'],
  ])('refuses a counter of %s', (_name, plain, expected) => {
    expect(errorsOf(parseSealed([{ serial: 'H1', sealed: { Counter: plain } }]))).toEqual([`KeyPackage 1 (serial H1): ${expected}`]);
  });
});

describe('encrypted counters and times are authenticated like the secret', () => {
  const good = (name: 'Counter' | 'Time' | 'TimeInterval' | 'TimeDrift') =>
    sealedFile([{ serial: 'S1', algorithm: name === 'Counter' ? undefined : TOTP, sealed: { [name]: Buffer.from([name === 'TimeInterval' ? 30 : 0]) } }]);
  const valueOf = (xml: string, name: string) => new RegExp(`<${name}>[\\s\\S]*?<xenc:CipherValue>([^<]+)<[\\s\\S]*?<ValueMAC>([^<]+)<`).exec(xml)!;
  const fields = ['Counter', 'Time', 'TimeInterval', 'TimeDrift'] as const;

  it.each(fields)('%s: the file as written imports', (name) => {
    expect(parsePskc(good(name), { preSharedKey: PSK }).ok).toBe(true);
  });

  it.each(fields)('%s: a changed MAC, a changed ciphertext, a truncated MAC → refused, entry named', (name) => {
    const xml = good(name);
    const [, cipherValue, mac] = valueOf(xml, name);
    const flippedMac = Buffer.from(mac!, 'base64');
    flippedMac[0]! ^= 0x80;
    const flippedData = Buffer.from(cipherValue!, 'base64');
    flippedData[20]! ^= 0x01;
    for (const tampered of [
      xml.replace(mac!, flippedMac.toString('base64')),
      xml.replace(cipherValue!, flippedData.toString('base64')),
      xml.replace(mac!, Buffer.from(mac!, 'base64').subarray(0, 10).toString('base64')),
    ]) {
      expect(tampered).not.toBe(xml);
      expect(errorsOf(parsePskc(tampered, { preSharedKey: PSK }))).toEqual([`KeyPackage 1 (serial S1): <${name}>: wrong password or key: the MAC does not match`]);
    }
  });

  it('a CBC bit-flip that would set a counter back without the key is refused by the MAC', () => {
    const xml = sealedFile([{ serial: 'H1', sealed: { Counter: Buffer.from([0x27, 0x10]) } }]);
    const [, cipherValue] = valueOf(xml, 'Counter');
    const data = Buffer.from(cipherValue!, 'base64');
    // XOR into the IV what turns 0x2710 (10000) into 0x0001 (1): the plaintext changes exactly so.
    data[0]! ^= 0x27 ^ 0x00;
    data[1]! ^= 0x10 ^ 0x01;
    const forged = xml.replace(cipherValue!, data.toString('base64'));
    const plain = openCipherValue(data.toString('base64'), PSK);
    expect(plain).toEqual(Buffer.from([0x00, 0x01]));
    expect(errorsOf(parsePskc(forged, { preSharedKey: PSK }))).toEqual(['KeyPackage 1 (serial H1): <Counter>: wrong password or key: the MAC does not match']);
  });

  it.each(fields)('%s: no <ValueMAC>, or no <MACMethod> in the file → refused as unauthenticated', (name) => {
    const xml = good(name);
    const noValueMac = xml.replace(new RegExp(`(<${name}>[\\s\\S]*?)<ValueMAC>[^<]*</ValueMAC>`), '$1');
    expect(errorsOf(parsePskc(noValueMac, { preSharedKey: PSK }))).toEqual([
      `KeyPackage 1 (serial S1): the encrypted <${name}> has no <ValueMAC> (or it is not base64); unauthenticated encryption is refused`,
    ]);
    const noMethod = xml.replace(/<MACMethod[\s\S]*<\/MACMethod>/, '');
    expect(errorsOf(parsePskc(noMethod, { preSharedKey: PSK }))).toEqual([
      'KeyPackage 1 (serial S1): the secret is encrypted without a <MACMethod>; unauthenticated encryption is refused',
      `KeyPackage 1 (serial S1): <${name}> is encrypted without a <MACMethod>; unauthenticated encryption is refused`,
    ]);
  });

  it.each(fields)('%s: both a <PlainValue> and an <EncryptedValue> → refused', (name) => {
    const xml = good(name).replace(`<${name}><EncryptedValue>`, `<${name}><PlainValue>0</PlainValue><EncryptedValue>`);
    expect(errorsOf(parsePskc(xml, { preSharedKey: PSK }))).toEqual([`KeyPackage 1 (serial S1): <${name}> has both a <PlainValue> and an <EncryptedValue>`]);
  });

  it('imports nothing when one of many packages has a bad counter, and names only that one', () => {
    const packages: TestKeyPackage[] = Array.from({ length: 5 }, (_, i) => ({ serial: `G${i}`, secret: testSecret(i), sealed: { Counter: Buffer.from([i]) } }));
    const xml = sealedFile(packages);
    const fourth = /<KeyPackage><DeviceInfo><SerialNo>G3[\s\S]*?<\/KeyPackage>/.exec(xml)![0];
    const counterMac = /<Counter>[\s\S]*?<ValueMAC>([^<]+)</.exec(fourth)![1]!;
    const tampered = xml.replace(fourth, fourth.replace(counterMac, createHmac('sha1', 'not the mac key').update('x').digest('base64')));
    expect(errorsOf(parsePskc(tampered, { preSharedKey: PSK }))).toEqual(['KeyPackage 4 (serial G3): <Counter>: wrong password or key: the MAC does not match']);
    expect(parsePskc(xml, { preSharedKey: PSK })).toMatchObject({ ok: true, tokens: packages.map((p, i) => ({ serial: p.serial, counter: i })) });
  });
});
