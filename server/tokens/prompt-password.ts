import { StringDecoder } from 'node:string_decoder';

export interface PromptIo {
  stdin: NodeJS.ReadableStream & { setRawMode?: (mode: boolean) => unknown };
  stderr: NodeJS.WritableStream;
  isTTY: boolean;
}

export type PromptResult = { ok: true; password: string } | { ok: false; reason: 'no-input' | 'interrupted' | 'too-long' };

/** Longer than any passphrase a vendor sends; stops a piped file from being read in whole. */
const MAX_PASSWORD_CHARS = 1024;

/**
 * Reads a password: on a terminal after a prompt, without echo (raw mode, so Backspace,
 * Ctrl-C and Ctrl-D are handled here); from a pipe, the first line as is. Never from argv,
 * where other users' `ps` would see it.
 */
export async function promptPassword(io: PromptIo, label: string): Promise<PromptResult> {
  const decoder = new StringDecoder('utf8');
  let text = '';
  if (io.isTTY) {
    io.stderr.write(label);
    io.stdin.setRawMode?.(true);
  }
  try {
    return await new Promise<PromptResult>((resolve) => {
      const finish = (result: PromptResult) => {
        io.stdin.off('data', onData);
        io.stdin.off('end', onEnd);
        io.stdin.pause();
        resolve(result);
      };
      const onEnd = () => {
        text += decoder.end();
        finish(text === '' ? { ok: false, reason: 'no-input' } : { ok: true, password: text });
      };
      const onData = (chunk: Buffer | string) => {
        for (const char of typeof chunk === 'string' ? chunk : decoder.write(chunk)) {
          if (char === '\r' || char === '\n') return finish({ ok: true, password: text });
          if (io.isTTY && char === '\u0003') return finish({ ok: false, reason: 'interrupted' });
          if (io.isTTY && char === '\u0004') return finish(text === '' ? { ok: false, reason: 'no-input' } : { ok: true, password: text });
          if (io.isTTY && (char === '\u007f' || char === '\b')) {
            text = Array.from(text).slice(0, -1).join('');
            continue;
          }
          text += char;
          if (text.length > MAX_PASSWORD_CHARS) return finish({ ok: false, reason: 'too-long' });
        }
      };
      io.stdin.on('data', onData);
      io.stdin.on('end', onEnd);
      io.stdin.resume();
    });
  } finally {
    if (io.isTTY) {
      io.stdin.setRawMode?.(false);
      // Enter was not echoed either: end the prompt's line.
      io.stderr.write('\n');
    }
  }
}
