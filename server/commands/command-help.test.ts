import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COMMANDS_WITH_HELP, USAGE, asksForHelp } from './command-help.js';
import { runCommand } from './run-command.js';

/** `gatehouse COMMAND --help` for every command: its usage on stdout, status 0, nothing run. */

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const stdout = new PassThrough().on('data', (c) => (out += c));
  const stderr = new PassThrough().on('data', (c) => (err += c));
  // No stdin: a command that tried to read a password would wait here, and the test would time out.
  const code = await runCommand(argv, {}, { stdin: new PassThrough(), stdout, stderr, isTTY: false });
  return { code, out, err };
}

const SUBCOMMANDS: Record<string, string[]> = {
  policy: ['explain'],
  tokens: ['import', 'list'],
  enroll: ['issue'],
  factors: ['list'],
  users: ['show', 'reset-factors'],
  sessions: ['revoke'],
  audit: ['tail', 'export'],
  storage: ['rotate-key'],
  directory: ['test'],
};

const cases = COMMANDS_WITH_HELP.flatMap((command) => [
  [command, '--help'],
  [command, '-h'],
  ...(SUBCOMMANDS[command] ?? []).map((sub) => [command, sub, '--help']),
  [command, '--config', '/nonexistent.yml', '--help'],
]);

describe('gatehouse COMMAND --help', () => {
  it('covers every command of the usage', () => {
    const listed = new Set([...USAGE.matchAll(/^ {2}([a-z-]+)[ \n]/gm)].map((m) => m[1]));
    expect([...listed].sort()).toEqual([...COMMANDS_WITH_HELP].sort());
  });

  it.each(cases)('%s %s %s %s prints the usage, status 0', async (...argv) => {
    const { code, out, err } = await run(argv.filter((a): a is string => typeof a === 'string'));
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^usage:/i);
    expect(out).toContain(`gatehouse ${argv[0]}`);
    expect(out).not.toMatch(/unknown option/i);
  });

  it('treats --help after -- as an operand, not a request for help', () => {
    expect(asksForHelp(['show', '--', '--help'])).toBe(false);
    expect(asksForHelp(['show', '-h', '--'])).toBe(true);
    expect(asksForHelp(['--helpful'])).toBe(false);
  });

  it('prints the whole usage for gatehouse --help, and an unknown command still fails', async () => {
    expect(await run(['--help'])).toEqual({ code: 0, out: USAGE, err: '' });
    const unknown = await run(['frobnicate', '--help']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "frobnicate --help"');
  });

  it('still refuses a real unknown option, naming it', async () => {
    const { code, err } = await run(['demo', '--prot', '9092']);
    expect(code).toBe(2);
    expect(err).toMatch(/Unknown option '--prot'/);
  });
});
