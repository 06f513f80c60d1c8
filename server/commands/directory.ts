import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load-config.js';
import { createSilentLogger } from '../core/logger.js';
import { diagnoseDirectory, type DiagnosisStep } from '../directory/ldap/diagnose-directory.js';
import { LdapSettingsError, resolveLdapSettings } from '../directory/ldap/ldap-settings.js';
import { createUsersFileDirectory } from '../directory/users-file.js';
import type { CommandIo } from './check-config.js';

export const DIRECTORY_USAGE = `Usage: gatehouse directory test [USER] [--config FILE]
  Binds with the LDAP service account, finds USER, prints their groups (nested resolved),
  and the time each step took. No password is asked for or checked.
`;

/** `gatehouse directory test [USER]`: 0 when every step worked, 1 otherwise, 2 for usage errors. */
export async function runDirectoryCommand(args: string[], env: Record<string, string | undefined>, io: CommandIo, deps: { now?: () => number } = {}): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, allowPositionals: true, strict: true });
  const [sub, username, ...extra] = positionals;
  if (sub !== 'test' || extra.length > 0) {
    io.stderr.write(DIRECTORY_USAGE);
    return 2;
  }
  const path = values.config ?? env.GATEHOUSE_CONFIG;
  if (!path) {
    io.stderr.write(`--config FILE (or GATEHOUSE_CONFIG) is required\n\n${DIRECTORY_USAGE}`);
    return 2;
  }
  const loaded = loadConfigFile(path, env);
  if (!loaded.ok) {
    io.stderr.write(`${path}: ${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'}\n`);
    for (const error of loaded.errors) io.stderr.write(`  ${error}\n`);
    return 1;
  }
  const { config } = loaded;
  if (!config.authentication.ldap) {
    io.stderr.write(`${path}: authentication.ldap is not configured\n`);
    return 1;
  }
  let settings;
  try {
    settings = resolveLdapSettings(config.authentication.ldap);
  } catch (error) {
    if (!(error instanceof LdapSettingsError)) throw error;
    for (const message of error.errors) io.stderr.write(`  ${message}\n`);
    return 1;
  }
  if (username !== undefined && config.authentication.users_file !== undefined) {
    const file = await createUsersFileDirectory({ logger: createSilentLogger() }, { path: config.authentication.users_file, watch: false }).catch(() => undefined);
    const known = file?.knows(username);
    file?.close();
    if (known) io.stdout.write(`note          ${username} is in the users file: sign-in uses the file for this name and never asks LDAP\n`);
  }
  const steps = await diagnoseDirectory(settings, { logger: createSilentLogger(), now: deps.now ?? Date.now }, username);
  for (const line of steps.flatMap((step) => describe(step, settings.bindDn))) io.stdout.write(`${line}\n`);
  const ok = steps.every((step) => step.ok) && !steps.some((step) => step.step === 'search' && step.ok && step.found !== 'one');
  return ok ? 0 : 1;
}

function describe(step: DiagnosisStep, bindDn: string): string[] {
  const pad = (label: string) => label.padEnd(14);
  switch (step.step) {
    case 'connect':
      return step.ok ? [`${pad('connect+bind')}${step.url} as ${bindDn}: OK (${step.ms} ms)`] : [`${pad('connect+bind')}FAILED (${step.ms} ms): ${step.error}`];
    case 'search':
      if (!step.ok) return [`${pad('search')}FAILED (${step.ms} ms): ${step.error}`];
      if (step.found === 'none') return [`${pad('search')}no entry matches (${step.ms} ms)`];
      if (step.found === 'ambiguous') return [`${pad('search')}more than one entry matches: sign-in refuses this name (${step.ms} ms)`];
      return [`${pad('search')}${step.dn} (${step.ms} ms)`];
    case 'user': {
      if (!step.ok) return [`${pad('user')}FAILED: ${step.error}`];
      const { user, state } = step;
      const flags = (['disabled', 'accountExpired', 'locked', 'passwordExpired', 'mustChange'] as const).filter((flag) => state[flag]);
      return [
        `${pad('username')}${user.username}`,
        `${pad('display name')}${user.displayName}`,
        `${pad('mail')}${user.email || '-'}`,
        `${pad('mobile')}${user.mobile ?? '-'}`,
        `${pad('state')}${flags.length === 0 ? 'active' : flags.join(', ')}`,
      ];
    }
    case 'groups':
      if (!step.ok) return [`${pad('groups')}FAILED (${step.ms} ms): ${step.error}`];
      return [
        `${pad('groups')}${step.names.length}${step.truncated ? ' (cut at groups.max_depth or the group limit)' : ''} in ${step.searches} search${step.searches === 1 ? '' : 'es'} (${step.ms} ms)`,
        ...step.names.map((name) => `${pad('')}${name}`),
      ];
    case 'refresh':
      return step.ok
        ? [`${pad('refresh')}users.filter finds "${step.username}" again by that name: OK`]
        : [
            `${pad('refresh')}FAILED: users.filter does not find this user by "${step.username}" (their ${'attributes.username'} value); the background refresh would sign them out`,
          ];
  }
}
