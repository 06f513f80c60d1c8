import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load-config.js';
import { createSilentLogger } from '../core/logger.js';
import { driftSeconds } from '../factors/otp/totp-drift.js';
import { openConfiguredStorage, storageOptionsFromConfig } from '../storage/storage-options.js';
import type { CommandIo } from './check-config.js';

export const FACTORS_USAGE = 'usage: gatehouse factors list USERNAME [--config FILE]\n';

/**
 * `gatehouse factors list USERNAME`: what an administrator needs when a user calls the IT desk —
 * each second factor with when it was added and last used, and how far its clock has drifted.
 * Never a secret.
 */
export async function runFactorsCommand(args: string[], env: Record<string, string | undefined>, io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, strict: true, allowPositionals: true, options: { config: { type: 'string', short: 'c' } } });
  } catch (error) {
    io.stderr.write(`gatehouse factors: ${(error as Error).message}\n`);
    return 2;
  }
  const [verb, username, ...extra] = parsed.positionals;
  const configPath = parsed.values.config ?? env.GATEHOUSE_CONFIG;
  if (verb !== 'list' || !username || extra.length > 0 || !configPath) {
    io.stderr.write(FACTORS_USAGE);
    return 2;
  }
  const loaded = loadConfigFile(configPath, env);
  if (!loaded.ok) {
    for (const error of loaded.errors) io.stderr.write(`  ${error}\n`);
    return 1;
  }
  const options = storageOptionsFromConfig(loaded.config.storage, configPath);
  if (!loaded.config.storage.postgres && options.path !== ':memory:' && !existsSync(options.path)) {
    io.stderr.write(`${options.path}: no database there (storage.path)\n`);
    return 1;
  }
  const storage = await openConfiguredStorage(loaded.config.storage, configPath, { logger: createSilentLogger() });
  try {
    const name = username.toLowerCase();
    const devices = (await storage.otpDevices.listForUser(name)).filter((d) => d.confirmed);
    const codes = await storage.recoveryCodes.listForUser(name);
    const models = new Map(loaded.config.second_factors.webauthn.aaguid_allowlist.map((m) => [m.aaguid, m.name]));
    const credentials = await storage.webauthnCredentials.listForUser(name);
    const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    const rows = devices.map((d) => [
      d.kind,
      d.name,
      d.serial ?? '-',
      when(d.createdAt),
      when(d.lastUsedAt),
      d.kind === 'totp' ? `${driftSeconds(d.driftSteps, d.period)}s` : `counter ${d.counter}`,
    ]);
    for (const c of credentials) {
      const model = models.get(c.aaguid) ?? (c.backupEligible ? 'synced passkey' : c.discoverable ? 'passkey' : 'security key');
      rows.push(['webauthn', c.name, model, when(c.createdAt), when(c.lastUsedAt), `counter ${c.counter}`]);
    }
    if (rows.length === 0 && codes.length === 0) {
      io.stdout.write(`${name} has no second factor.\n`);
      return 0;
    }
    const header = ['KIND', 'NAME', 'SERIAL/MODEL', 'ADDED', 'LAST USED', 'DRIFT'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows])
      io.stdout.write(
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd() + '\n',
      );
    if (codes.length > 0) io.stdout.write(`recovery codes: ${codes.filter((c) => c.usedAt === null).length} of ${codes.length} unused\n`);
    return 0;
  } finally {
    storage.close();
  }
}
