import { StringDecoder } from 'node:string_decoder';
import { DEFAULT_HASH_POLICY, hashPassword, MAX_PASSWORD_BYTES, type HashPolicy } from './password-hash.js';

export interface HashPasswordIo {
  stdin: NodeJS.ReadableStream & { setRawMode?: (mode: boolean) => unknown };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  isTTY: boolean;
}

const EXIT_OK = 0;
const EXIT_REFUSED = 1;
const EXIT_INTERRUPTED = 130;

/**
 * `gatehouse hash-password`: reads one password and prints its argon2id hash for the users
 * file. From a pipe it takes the first line as is (only the line ending is removed: spaces
 * count). On a terminal it asks twice without echo and requires both to match. The hash has
 * the policy's parameters: the configured `authentication.password_hash` (run-command.ts).
 */
export async function runHashPassword(io: HashPasswordIo, policy: HashPolicy = DEFAULT_HASH_POLICY): Promise<number> {
  const reader = createLineReader(io.stdin, io.isTTY);
  try {
    if (io.isTTY) io.stdin.setRawMode?.(true);
    const first = await prompt(io, reader, 'Password: ');
    if (first.kind !== 'line') return refuse(io, first);
    if (!isAcceptable(io, first.text)) return EXIT_REFUSED;
    if (io.isTTY) {
      const second = await prompt(io, reader, 'Again: ');
      if (second.kind !== 'line') return refuse(io, second);
      if (second.text !== first.text) {
        io.stderr.write('The passwords do not match.\n');
        return EXIT_REFUSED;
      }
    }
    io.stdout.write(`${await hashPassword(first.text, policy)}\n`);
    return EXIT_OK;
  } finally {
    if (io.isTTY) io.stdin.setRawMode?.(false);
    reader.close();
  }
}

async function prompt(io: HashPasswordIo, reader: LineReader, label: string): Promise<ReadResult> {
  if (io.isTTY) io.stderr.write(label);
  const result = await reader.readLine();
  // Enter was not echoed either: end the prompt's line ourselves.
  if (io.isTTY) io.stderr.write('\n');
  return result;
}

function isAcceptable(io: HashPasswordIo, password: string): boolean {
  if (password.length === 0) {
    io.stderr.write('Refusing an empty password.\n');
    return false;
  }
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    io.stderr.write(`Refusing a password longer than ${MAX_PASSWORD_BYTES} bytes (UTF-8): sign-in would refuse it too.\n`);
    return false;
  }
  return true;
}

function refuse(io: HashPasswordIo, result: Exclude<ReadResult, { kind: 'line' }>): number {
  if (result.kind === 'interrupted') return EXIT_INTERRUPTED;
  io.stderr.write(result.kind === 'too-long' ? `Refusing a password longer than ${MAX_PASSWORD_BYTES} bytes (UTF-8).\n` : 'No password given.\n');
  return EXIT_REFUSED;
}

type ReadResult = { kind: 'line'; text: string } | { kind: 'end' } | { kind: 'interrupted' } | { kind: 'too-long' };

interface LineReader {
  readLine(): Promise<ReadResult>;
  close(): void;
}

/**
 * Reads lines, keeping what follows a line for the next call (both answers may arrive in one
 * chunk). In raw terminal mode there is no line discipline, so it handles Backspace, Ctrl-C
 * and Ctrl-D itself. It stops buffering past the byte limit: a piped gigabyte is not read in.
 */
function createLineReader(stream: NodeJS.ReadableStream, raw: boolean): LineReader {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let ended = false;
  let wake: (() => void) | undefined;
  const onData = (chunk: Buffer | string) => {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    wake?.();
  };
  const onEnd = () => {
    pending += decoder.end();
    ended = true;
    wake?.();
  };
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.resume();

  async function readLine(): Promise<ReadResult> {
    let text = '';
    for (;;) {
      while (pending.length > 0) {
        const char = pending[0]!;
        pending = pending.slice(1);
        if (char === '\r' || char === '\n') {
          if (char === '\r' && pending[0] === '\n') pending = pending.slice(1);
          return { kind: 'line', text };
        }
        if (raw && char === '\u0003') return { kind: 'interrupted' };
        if (raw && char === '\u0004' && text === '') return { kind: 'end' };
        if (raw && (char === '\u007f' || char === '\b')) {
          text = Array.from(text).slice(0, -1).join('');
          continue;
        }
        text += char;
        if (text.length > MAX_PASSWORD_BYTES) return { kind: 'too-long' };
      }
      if (ended) return text === '' ? { kind: 'end' } : { kind: 'line', text };
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  }

  return {
    readLine,
    close() {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.pause();
    },
  };
}
