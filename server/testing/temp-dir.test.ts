import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirForFile, tempDirForTest } from './temp-dir.js';

let perDescribe = '';
let perTest = '';

describe('a folder for a describe', () => {
  perDescribe = tempDirForFile('gatehouse-temp-dir-test-');

  it('is there, writable, while the describe runs', () => {
    writeFileSync(join(perDescribe, 'file'), 'x');
    expect(existsSync(join(perDescribe, 'file'))).toBe(true);
  });
});

it('a folder for a test is there while the test runs', () => {
  perTest = tempDirForTest('gatehouse-temp-dir-test-');
  writeFileSync(join(perTest, 'file'), 'x');
  expect(existsSync(perTest)).toBe(true);
  expect(perTest).not.toBe(perDescribe);
});

it('both are gone, with what was written in them, once their test or describe has ended', () => {
  expect(perDescribe).not.toBe('');
  expect(perTest).not.toBe('');
  expect(existsSync(perDescribe)).toBe(false);
  expect(existsSync(perTest)).toBe(false);
});
