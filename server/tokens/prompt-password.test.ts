import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { promptPassword } from './prompt-password.js';

function terminal(input: string[], isTTY: boolean) {
  const stdin = Object.assign(new PassThrough(), {
    rawModes: [] as boolean[],
    setRawMode(mode: boolean) {
      stdin.rawModes.push(mode);
    },
  });
  const stderr = new PassThrough();
  let shown = '';
  stderr.on('data', (c) => (shown += c));
  // Keystrokes arrive one chunk at a time, after the prompt is listening.
  setImmediate(() => {
    for (const chunk of input) stdin.write(chunk);
    if (!isTTY) stdin.end();
  });
  return { io: { stdin, stderr, isTTY }, stdin, shown: () => shown };
}

describe('promptPassword', () => {
  it.each([
    ['the first line of a pipe', ['qwerty\nsecond line\n'], { ok: true, password: 'qwerty' }],
    ['a CRLF line', ['pass word\r\n'], { ok: true, password: 'pass word' }],
    ['the whole pipe without a line end', ['qwe', 'rty'], { ok: true, password: 'qwerty' }],
    ['UTF-8 split across chunks', [Buffer.from('pässword\n').subarray(0, 2), Buffer.from('pässword\n').subarray(2)], { ok: true, password: 'pässword' }],
    ['an empty pipe', [], { ok: false, reason: 'no-input' }],
    ['an over-long line', ['x'.repeat(2000) + '\n'], { ok: false, reason: 'too-long' }],
  ])('reads %s', async (_name, input, expected) => {
    const t = terminal(input as string[], false);
    expect(await promptPassword(t.io, 'Password: ')).toEqual(expected);
    expect(t.shown()).toBe('');
    expect(t.stdin.rawModes).toEqual([]);
  });

  it('on a terminal: prompts, reads without echo in raw mode, handles Backspace, restores the mode', async () => {
    const t = terminal(['qwe', 'x\u007f', 'rty', '\r'], true);
    expect(await promptPassword(t.io, 'Password for f.pskc: ')).toEqual({ ok: true, password: 'qwerty' });
    expect(t.shown()).toBe('Password for f.pskc: \n');
    expect(t.stdin.rawModes).toEqual([true, false]);
  });

  it.each([
    ['Ctrl-C', ['abc\u0003'], { ok: false, reason: 'interrupted' }],
    ['Ctrl-D on an empty line', ['\u0004'], { ok: false, reason: 'no-input' }],
    ['Ctrl-D after text', ['abc\u0004'], { ok: true, password: 'abc' }],
  ])('on a terminal: %s', async (_name, input, expected) => {
    const t = terminal(input, true);
    expect(await promptPassword(t.io, 'P: ')).toEqual(expected);
    expect(t.stdin.rawModes).toEqual([true, false]);
  });
});
