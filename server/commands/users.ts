import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { disableUser, enableUser, resetFactors, unlockUser } from '../admin/account-actions.js';
import type { Actor, AdminDeps } from '../admin/admin-deps.js';
import { listUserSessions, revokeAllUserSessions, revokeUserSession } from '../admin/user-sessions.js';
import { getUser, listUsers, type AdminUserView } from '../admin/user-status.js';
import { loadConfigFile } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import type { CommandIo } from './check-config.js';
import { openAdminDeps, type OpenedAdminDeps } from './open-admin-deps.js';

export const USERS_USAGE = `Usage:
  gatehouse users list [--search S] [--config FILE]
  gatehouse users show NAME | unlock NAME | reset-factors NAME | enable NAME [--config FILE]
  gatehouse users disable NAME [--reason R] [--config FILE]
  gatehouse sessions list NAME [--config FILE]
  gatehouse sessions revoke NAME (ID | --all) [--config FILE]
`;

export interface AdminCommandDeps {
  /** Default: storage, users file and Redis from the config (openAdminDeps). */
  open?: (config: Config, configPath: string) => Promise<OpenedAdminDeps>;
  /** Who the audit log names; default "cli:<OS user>". */
  actor?: string;
}

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_BAD_INPUT = 2;
type Run = (deps: AdminDeps, actor: Actor, io: CommandIo) => Promise<number>;

/** `gatehouse users …`: account status and the administrator's actions on it, audited as "cli:<OS user>". */
export function runUsersCommand(args: string[], env: Record<string, string | undefined>, io: CommandIo, deps: AdminCommandDeps = {}): Promise<number> {
  return runAdminCommand('users', args, env, io, deps, (verb, operands, values) => {
    const [name = ''] = operands;
    const one = operands.length === 1;
    if (values.all) return '--all is for sessions revoke';
    if (verb === 'list') return operands.length === 0 ? (d) => printUsers(d, io, values.search) : 'list takes no NAME (use --search)';
    if (values.search !== undefined) return '--search is for list';
    if (values.reason !== undefined && verb !== 'disable') return '--reason is for disable';
    if (!one)
      return verb && ['show', 'unlock', 'reset-factors', 'disable', 'enable'].includes(verb) ? `${verb} takes one NAME` : `unknown subcommand ${JSON.stringify(verb ?? '')}`;
    switch (verb) {
      case 'show':
        return (d) => showUser(d, io, name);
      case 'unlock':
        return async (d, actor) => report(io, await unlockUser(d, actor, name), (r) => (r.wasLocked ? `${r.username} unlocked.` : `${r.username} was not locked.`));
      case 'reset-factors':
        return async (d, actor) =>
          report(
            io,
            await resetFactors(d, actor, name),
            (r) =>
              `${r.username}: every second factor removed, ${plural(r.sessionsEnded, 'session')} ended. They set up a factor again at their next sign-in (gatehouse enroll issue ${r.username} gives them a code).`,
          );
      case 'disable':
        return async (d, actor) =>
          report(io, await disableUser(d, actor, name, { reason: values.reason ?? null }), (r) => `${r.username} disabled, ${plural(r.sessionsEnded, 'session')} ended.`);
      case 'enable':
        return async (d, actor) => report(io, await enableUser(d, actor, name), (r) => (r.wasDisabled ? `${r.username} enabled.` : `${r.username} was not disabled in Gatehouse.`));
    }
    return `unknown subcommand ${JSON.stringify(verb ?? '')}`;
  });
}

/** `gatehouse sessions …`: a user's live sessions on every instance, and revoking them. */
export function runSessionsCommand(args: string[], env: Record<string, string | undefined>, io: CommandIo, deps: AdminCommandDeps = {}): Promise<number> {
  return runAdminCommand('sessions', args, env, io, deps, (verb, operands, values) => {
    const [name = '', id] = operands;
    if (values.search !== undefined || values.reason !== undefined) return '--search and --reason are for users';
    if (verb === 'list' && operands.length === 1 && !values.all) return (d) => printSessions(d, io, name);
    if (verb !== 'revoke') return verb === 'list' ? 'list takes one NAME' : `unknown subcommand ${JSON.stringify(verb ?? '')}`;
    if (operands.length === 1 && values.all)
      return async (d, actor) => report(io, await revokeAllUserSessions(d, actor, name), (r) => `${plural(r.sessionsEnded, 'session')} of ${r.username} ended.`);
    if (operands.length === 2 && !values.all && id)
      return async (d, actor) => report(io, await revokeUserSession(d, actor, name, id), (r) => `Session ${id} of ${r.username} ended.`);
    return 'revoke takes NAME and either a session ID or --all';
  });
}

type Plan = (verb: string | undefined, operands: string[], values: { search?: string; reason?: string; all?: boolean }) => Run | string;

async function runAdminCommand(command: string, args: string[], env: Record<string, string | undefined>, io: CommandIo, deps: AdminCommandDeps, plan: Plan): Promise<number> {
  let parsed;
  try {
    const options = { config: { type: 'string', short: 'c' }, search: { type: 'string' }, reason: { type: 'string' }, all: { type: 'boolean' } } as const;
    parsed = parseArgs({ args, strict: true, allowPositionals: true, options });
  } catch (error) {
    return usage(io, command, (error as Error).message);
  }
  const [verb, ...operands] = parsed.positionals;
  const run = plan(verb, operands, parsed.values);
  if (typeof run === 'string') return usage(io, command, run);
  const configPath = parsed.values.config ?? env.GATEHOUSE_CONFIG;
  if (!configPath) return usage(io, command, '--config FILE (or GATEHOUSE_CONFIG) is required');
  const loaded = loadConfigFile(configPath, env);
  if (!loaded.ok) {
    io.stderr.write(`${configPath}: ${plural(loaded.errors.length, 'error')}\n`);
    for (const error of loaded.errors) io.stderr.write(`  ${error}\n`);
    return EXIT_FAILED;
  }
  let opened: OpenedAdminDeps;
  try {
    opened = await (deps.open ?? openAdminDeps)(loaded.config, configPath);
  } catch (error) {
    io.stderr.write(`gatehouse ${command}: ${(error as Error).message}\n`);
    return EXIT_FAILED;
  }
  try {
    return await run(opened.deps, { name: deps.actor ?? `cli:${userInfo().username}` }, io);
  } finally {
    await opened.close();
  }
}

const REFUSALS: Record<string, string> = {
  unknown_user: 'no such user in the users file',
  unknown_session: 'no live session of this user has that id (gatehouse sessions list NAME shows them)',
};

function report<R extends { ok: true } | { ok: false; reason: string }>(io: CommandIo, result: R, done: (r: Extract<R, { ok: true }>) => string): number {
  if (!result.ok) {
    io.stderr.write(`gatehouse: ${REFUSALS[result.reason] ?? result.reason}\n`);
    return EXIT_BAD_INPUT;
  }
  io.stdout.write(`${done(result as Extract<R, { ok: true }>)}\n`);
  return EXIT_OK;
}

async function printUsers(deps: AdminDeps, io: CommandIo, search: string | undefined): Promise<number> {
  const users = await listUsers(deps, { search });
  if (users.length === 0) {
    io.stdout.write(search ? `No user matches ${JSON.stringify(search)}.\n` : 'The users file lists no users.\n');
    return EXIT_OK;
  }
  printTable(
    io,
    ['USER', 'NAME', 'STATUS', 'FACTORS', 'LAST SIGN-IN'],
    users.map((u) => [u.username, u.displayName, statusOf(u), factorsOf(u), when(u.lastSignInAt)]),
  );
  return EXIT_OK;
}

async function showUser(deps: AdminDeps, io: CommandIo, name: string): Promise<number> {
  const result = await getUser(deps, name);
  if (!result.ok) return report(io, result, () => '');
  const u = result.user;
  const sessions = await listUserSessions(deps, u.username);
  const gatehouse = u.disabled.gatehouse;
  const lines: Array<[string, string]> = [
    ['user', u.username],
    ['name', u.displayName],
    ['email', u.email || '-'],
    ['groups', u.groups.join(', ') || '-'],
    ['status', statusOf(u)],
    ...(gatehouse ? [['disabled', `${when(gatehouse.at)} by ${gatehouse.by}${gatehouse.reason ? `: ${gatehouse.reason}` : ''}`] as [string, string]] : []),
    ...(u.lock.locked ? [['lock', `${u.lock.reason ?? 'locked'}, ${u.lock.until === null ? 'until unlocked' : `until ${when(u.lock.until)}`}`] as [string, string]] : []),
    ['factors', factorsOf(u)],
    ['last sign-in', when(u.lastSignInAt)],
    ['sessions', sessions.ok ? String(sessions.sessions.length) : '-'],
  ];
  for (const [key, value] of lines) io.stdout.write(`${`${key}:`.padEnd(14)}${value}\n`);
  return EXIT_OK;
}

async function printSessions(deps: AdminDeps, io: CommandIo, name: string): Promise<number> {
  const result = await listUserSessions(deps, name);
  if (!result.ok) return report(io, result, () => '');
  if (result.sessions.length === 0) {
    io.stdout.write(`${result.username} has no live session.\n`);
    return EXIT_OK;
  }
  const rows = result.sessions.map((s) => [s.id, when(s.createdAt), when(s.lastActiveAt), when(s.expiresAt), s.factors.map((f) => f.kind).join('+'), s.rememberMe ? 'yes' : 'no']);
  printTable(io, ['ID', 'SIGNED IN', 'LAST ACTIVE', 'EXPIRES', 'FACTORS', 'REMEMBER'], rows);
  return EXIT_OK;
}

function statusOf(u: AdminUserView): string {
  const parts: string[] = [];
  if (u.disabled.directory) parts.push('disabled (users file)');
  if (u.disabled.gatehouse) parts.push('disabled');
  if (u.lock.locked) parts.push(u.lock.until === null ? 'locked' : `locked until ${when(u.lock.until)}`);
  return parts.join(', ') || 'active';
}

function factorsOf(u: AdminUserView): string {
  const labels: Record<keyof AdminUserView['factors'], string> = { totp: 'totp', hardware_token: 'token', webauthn: 'webauthn', push: 'push', recovery_codes: 'recovery' };
  const parts = Object.entries(u.factors)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${labels[kind as keyof typeof labels]}:${n}`);
  return parts.join(' ') || '-';
}

const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function printTable(io: CommandIo, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows])
    io.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
}

function usage(io: CommandIo, command: string, message: string): number {
  io.stderr.write(`gatehouse ${command}: ${message}\n\n${USERS_USAGE}`);
  return EXIT_BAD_INPUT;
}
