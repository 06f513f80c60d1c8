import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { userInfo } from 'node:os';
import type { AuditInput } from '../audit/audit-event.js';
import { createAuditLog } from '../audit/create-audit-log.js';
import { createSilentLogger } from '../core/logger.js';
import type { Directory } from '../directory/directory.js';
import { openCommandDirectory } from '../directory/open-directory.js';
import { openSqliteStorage } from '../storage/sqlite-storage.js';
import { resyncOtpDevice } from '../factors/otp/resync-device.js';
import { openConfiguredStorage, storageOptionsFromConfig } from '../storage/storage-options.js';
import type { Storage } from '../storage/storage.js';
import { assignToken, listTokenSummaries, unassignToken } from '../tokens/assign-token.js';
import { quoteValue } from '../tokens/imported-token.js';
import { detectTokenFormat, importTokens } from '../tokens/import-tokens.js';
import { promptPassword, type PromptIo } from '../tokens/prompt-password.js';
import { readTokenFile } from '../tokens/read-token-file.js';
import type { CommandIo } from './check-config.js';

export interface TokensCommandIo extends CommandIo {
  /** For the PSKC password prompt; without it a password must come from --password-file. */
  stdin?: PromptIo['stdin'];
  isTTY?: boolean;
}

export interface TokensCommandDeps {
  /**
   * Opens durable storage for the loaded config (default: SQLite at storage.path). `create`:
   * whether a missing database may be created (import) or is an error (a wrong path would
   * otherwise list no tokens).
   */
  openStorage?: (config: Config, configPath: string, options: { create: boolean }) => Promise<Storage>;
  /** Who may be given a token (default: the users file named in the config). */
  openDirectory?: (config: Config) => Promise<Pick<Directory, 'findUser' | 'lookupUser' | 'close'>>;
  now?: () => number;
}

export const TOKENS_USAGE = `Usage:
  gatehouse tokens import FILE [--format pskc|csv] [--password-file F] [--key-file F] [--config FILE]
  gatehouse tokens assign SERIAL USERNAME [--config FILE]
  gatehouse tokens unassign SERIAL [--config FILE]
  gatehouse tokens list [--config FILE]
  gatehouse tokens resync SERIAL CODE1 CODE2 [--config FILE]
`;

const ARITY: ReadonlyMap<string, number> = new Map([
  ['import', 1],
  ['assign', 2],
  ['unassign', 1],
  ['list', 0],
  ['resync', 3],
]);
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/**
 * `gatehouse tokens …`: imports OATH hardware tokens (PSKC or CSV, all or nothing) and assigns
 * them to users. Exit 0 done, 1 refused or failed, 2 bad command line. Never prints a secret;
 * a PSKC password comes from --password-file or a prompt, never from argv.
 */
export async function runTokensCommand(args: string[], env: Record<string, string | undefined>, io: TokensCommandIo, deps: TokensCommandDeps = {}): Promise<number> {
  let parsed;
  try {
    const options = { config: { type: 'string', short: 'c' }, format: { type: 'string' }, 'password-file': { type: 'string' }, 'key-file': { type: 'string' } } as const;
    parsed = parseArgs({ args, strict: true, allowPositionals: true, options });
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  const { values } = parsed;
  const [subcommand, ...operands] = parsed.positionals;
  const arity = subcommand === undefined ? undefined : ARITY.get(subcommand);
  if (arity === undefined) return usage(io, subcommand === undefined ? 'a subcommand is required' : `unknown subcommand ${quoteValue(subcommand)}`);
  if (operands.length !== arity) return usage(io, `${subcommand} takes ${arity} argument${arity === 1 ? '' : 's'}`);
  if (subcommand !== 'import' && (values.format ?? values['password-file'] ?? values['key-file']) !== undefined)
    return usage(io, '--format, --password-file and --key-file are for import');
  const configPath = values.config ?? env.GATEHOUSE_CONFIG;
  if (!configPath) return usage(io, '--config FILE (or GATEHOUSE_CONFIG) is required');
  const loaded = loadConfigFile(configPath, env);
  if (!loaded.ok) {
    io.stderr.write(`${configPath}: ${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'}\n`);
    for (const error of loaded.errors) io.stderr.write(`  ${error}\n`);
    return EXIT_FAILED;
  }
  const config = loaded.config;
  const [first = '', second = ''] = operands;

  let tokens;
  let notes: string[] = [];
  if (subcommand === 'import') {
    if (config.storage.encryption_keys.length === 0)
      return importFailed(io, first, ['storage.encryption_keys is empty: token secrets are stored encrypted, so a key is needed (openssl rand -base64 32)']);
    const { stdin } = io;
    const askPassword = stdin && (() => promptPassword({ stdin, stderr: io.stderr, isTTY: io.isTTY ?? false }, `Password for ${first}: `));
    const read = await readTokenFile(first, { format: values.format, passwordFile: values['password-file'], keyFile: values['key-file'], askPassword });
    if (!read.ok) return read.kind === 'usage' ? usage(io, read.errors[0]!) : importFailed(io, first, read.errors);
    tokens = read.tokens;
    notes = read.notes;
  }

  let storage: Storage;
  try {
    storage = await (deps.openStorage ?? openSqliteFromConfig)(config, configPath, { create: subcommand === 'import' });
  } catch (error) {
    // A database that cannot be opened, a newer schema, or a key that storage.encryption_keys lacks.
    const message = (error as Error).message;
    if (tokens) return importFailed(io, first, [message]);
    io.stderr.write(`gatehouse tokens: ${message}\n`);
    return EXIT_FAILED;
  }
  try {
    if (tokens) {
      const result = await importTokens(storage.otpDevices, tokens, (deps.now ?? Date.now)());
      if (!result.ok) return importFailed(io, first, result.errors);
      await auditCli(storage, deps.now ?? Date.now, { kind: 'admin.token_import', details: { count: result.count, format: values.format ?? detectTokenFormat(first) } });
      const hotp = tokens.filter((t) => t.kind === 'hotp').length;
      io.stdout.write(`Imported ${result.count} token${result.count === 1 ? '' : 's'} (${hotp} HOTP, ${result.count - hotp} TOTP) from ${first}.\n`);
      for (const note of notes) io.stdout.write(`Note: ${note}\n`);
      return EXIT_OK;
    }
    if (subcommand === 'list') return await printTokenList(storage, io);
    if (subcommand === 'unassign') return await runUnassign(storage, first, io, deps.now ?? Date.now);
    if (subcommand === 'resync') return await runResync(storage, config, first, second, operands[2] ?? '', deps.now ?? Date.now, io);
    return await runAssign(storage, deps.openDirectory ?? openUsersFile, config, first, second, io, deps.now ?? Date.now);
  } finally {
    storage.close();
  }
}

async function runAssign(
  storage: Storage,
  openDirectory: NonNullable<TokensCommandDeps['openDirectory']>,
  config: Config,
  serial: string,
  username: string,
  io: CommandIo,
  now: () => number,
): Promise<number> {
  const directory = await openDirectory(config).catch((error: Error) => error);
  if (directory instanceof Error) {
    io.stderr.write(`${directory.message}\n`);
    return EXIT_FAILED;
  }
  try {
    const result = await assignToken({ store: storage.otpDevices, directory }, serial, username);
    if (result.ok) {
      await auditCli(storage, now, { kind: 'admin.token_assign', subject: result.username, details: { serial, status: result.already ? 'already_assigned' : 'assigned' } });
      io.stdout.write(result.already ? `Token ${serial} is already assigned to ${result.username}.\n` : `Token ${serial} assigned to ${result.username}.\n`);
      return EXIT_OK;
    }
    const messages = {
      'unknown-user': `no active user ${quoteValue(username)} in the users file`,
      'unknown-token': `no imported token has serial ${quoteValue(serial)}`,
      'assigned-to-other': `token ${serial} is assigned to ${result.owner ?? 'another user'}; unassign it first`,
    };
    io.stderr.write(`gatehouse tokens assign: ${messages[result.reason]}\n`);
    return EXIT_FAILED;
  } finally {
    directory.close();
  }
}

/** `tokens resync SERIAL CODE1 CODE2`: two consecutive codes from the token put it back in step. */
async function runResync(storage: Storage, config: Config, serial: string, code1: string, code2: string, now: () => number, io: CommandIo): Promise<number> {
  const device = await storage.otpDevices.findBySerial(serial);
  if (!device) {
    io.stderr.write(`gatehouse tokens: no token with serial ${quoteValue(serial)}\n`);
    return EXIT_FAILED;
  }
  const result = await resyncOtpDevice(storage, { device, code1, code2, config: config.second_factors, now: now() });
  if (!result.ok) {
    const why = {
      malformed: 'the codes are not codes of this token',
      'invalid-code': 'those two codes are not consecutive codes of this token (within its search window)',
      replayed: 'those codes were used already',
      changed: 'the token was used meanwhile; try again',
    }[result.reason];
    io.stderr.write(`gatehouse tokens: ${serial} not resynchronised: ${why}\n`);
    return EXIT_FAILED;
  }
  await auditCli(storage, now, { kind: 'admin.token_resync', subject: device.username ?? undefined, details: { serial, kind: device.kind, status: 'resynced' } });
  io.stdout.write(
    result.kind === 'hotp'
      ? `${serial} resynchronised: next counter ${result.counter}.\n`
      : `${serial} resynchronised: clock offset ${result.driftSteps} step${Math.abs(result.driftSteps) === 1 ? '' : 's'}.\n`,
  );
  return EXIT_OK;
}

async function runUnassign(storage: Storage, serial: string, io: CommandIo, now: () => number): Promise<number> {
  const result = await unassignToken(storage.otpDevices, serial);
  if (!result.ok) {
    io.stderr.write(`gatehouse tokens unassign: no imported token has serial ${quoteValue(serial)}\n`);
    return EXIT_FAILED;
  }
  await auditCli(storage, now, {
    kind: 'admin.token_unassign',
    subject: result.previousOwner ?? undefined,
    details: { serial, status: result.previousOwner === null ? 'not_assigned' : 'unassigned' },
  });
  io.stdout.write(result.previousOwner === null ? `Token ${serial} was not assigned.\n` : `Token ${serial} unassigned from ${result.previousOwner}.\n`);
  return EXIT_OK;
}

async function printTokenList(storage: Storage, io: CommandIo): Promise<number> {
  const tokens = await listTokenSummaries(storage.otpDevices);
  if (tokens.length === 0) {
    io.stdout.write('No hardware tokens imported.\n');
    return EXIT_OK;
  }
  const rows = [
    ['SERIAL', 'KIND', 'DIGITS', 'PERIOD', 'USER'],
    ...tokens.map((t) => [t.serial, t.kind, String(t.digits), t.kind === 'totp' ? `${t.period}s` : '-', t.username ?? '-']),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows)
    io.stdout.write(
      `${row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  return EXIT_OK;
}

function importFailed(io: CommandIo, path: string, errors: readonly string[]): number {
  io.stderr.write(`${path}: nothing was imported (${errors.length} error${errors.length === 1 ? '' : 's'}):\n`);
  for (const error of errors) io.stderr.write(`  ${error}\n`);
  return EXIT_FAILED;
}

function usage(io: CommandIo, message: string): number {
  io.stderr.write(`gatehouse tokens: ${message}\n\n${TOKENS_USAGE}`);
  return EXIT_USAGE;
}

async function openUsersFile(config: Config) {
  return openCommandDirectory(config, { logger: createSilentLogger() });
}

async function openSqliteFromConfig(config: Config, configPath: string, options: { create: boolean }): Promise<Storage> {
  const storageOptions = storageOptionsFromConfig(config.storage, configPath);
  if (config.storage.postgres) return openConfiguredStorage(config.storage, configPath, { logger: createSilentLogger() });
  if (!options.create && storageOptions.path !== ':memory:' && !existsSync(storageOptions.path)) {
    throw new Error(`${storageOptions.path}: no database there (storage.path)`);
  }
  return openSqliteStorage(storageOptions, { logger: createSilentLogger() });
}

/** Token changes from the command line are administrator actions like the API's: audited, as "cli:<OS user>". */
async function auditCli(storage: Storage, now: () => number, event: Omit<AuditInput, 'actor'>): Promise<void> {
  const audit = createAuditLog({ storage, logger: createSilentLogger(), clock: { now } });
  await audit.record({ ...event, actor: `cli:${userInfo().username}` });
  audit.close();
}
