import { describe, expect, it } from 'vitest';
import { isDeliverableAddress, maskEmailAddress } from './email-address.js';

describe('isDeliverableAddress', () => {
  it.each(['alice@corp.example', 'a.b+tag@mail.corp.example', "o'neil@corp.example", '陳@corp.example', 'x@y.zz'])('takes %s', (address) => {
    expect(isDeliverableAddress(address)).toBe(true);
  });

  it.each([
    'alice@corp.example\r\nBcc: m@evil.example',
    'alice@corp.example\nBcc: m@evil.example',
    'alice@corp.example\r',
    'alice@corp.example\t',
    'alice@corp.example\u0085',
    'alice@corp.example\u2028',
    'alice@corp.example\u2029',
    'alice@corp.example\u0000',
    'Alice <alice@corp.example>',
    'alice@corp.example, m@evil.example',
    'alice@corp.example;m@evil.example',
    '"a"@corp.example',
    'a(comment)@corp.example',
    'a@[127.0.0.1]',
    'a\\b@corp.example',
    'a b@corp.example',
    'alice@@corp.example',
    'alice@corp',
    '@corp.example',
    'alice@',
    '',
    `${'a'.repeat(250)}@corp.example`,
  ])('refuses %j', (address) => {
    expect(isDeliverableAddress(address)).toBe(false);
  });
});

describe('maskEmailAddress', () => {
  it.each([
    ['alice@corp.example', 'a••••@corp.example'],
    ['a@corp.example', 'a••••@corp.example'],
    ['陳柏宇@corp.example', '陳••••@corp.example'],
    ['no-at-sign', '••••'],
  ])('masks %s as %s', (address, masked) => expect(maskEmailAddress(address)).toBe(masked));
});
