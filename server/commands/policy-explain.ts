import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load-config.js';
import { SECOND_FACTORS, type SecondFactorKind } from '../config/schema.js';
import { compilePolicy } from '../policy/compile-policy.js';
import { formatExplanation } from '../policy/explain-access.js';
import { explainRequest } from '../policy/explain-request.js';
import { createSiteTable } from '../sites/site-table.js';
import type { CommandIo } from './check-config.js';

/**
 * `gatehouse policy explain --user alice --groups dev --ip 10.1.2.3 --method GET --url https://wiki.corp.example/admin`
 * Without --user the request is anonymous. --factors lists second factors taken just now.
 */
export async function runPolicyExplain(args: string[], env: Record<string, string | undefined>, io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      url: { type: 'string' },
      user: { type: 'string' },
      groups: { type: 'string', default: '' },
      ip: { type: 'string', default: '127.0.0.1' },
      method: { type: 'string', default: 'GET' },
      factors: { type: 'string', default: '' },
    },
  });
  const path = values.config ?? env.GATEHOUSE_CONFIG;
  if (!path || !values.url) {
    io.stderr.write('gatehouse policy explain: --config FILE (or GATEHOUSE_CONFIG) and --url URL are required\n');
    return 2;
  }
  const loaded = loadConfigFile(path, env);
  if (!loaded.ok) {
    for (const error of loaded.errors) io.stderr.write(`  ${error}\n`);
    return 1;
  }
  const factorKinds = values.factors.split(',').filter(Boolean);
  const outcome = explainRequest(
    compilePolicy(loaded.config.access_control),
    createSiteTable(loaded.config.sites, loaded.config.server.portal_url),
    {
      url: values.url,
      method: values.method,
      ip: values.ip,
      username: values.user ?? '',
      groups: values.groups.split(',').filter(Boolean),
      // Factors taken just now, as the command has always assumed.
      factors: factorKinds.map((kind) => ({ kind: kind as SecondFactorKind, ageSeconds: 0 })),
      passwordAgeSeconds: 0,
    },
    Date.now(),
  );
  if (!outcome.ok) {
    if (outcome.reason === 'bad_url') io.stderr.write(`gatehouse policy explain: "${values.url}" is not a URL\n`);
    else if (outcome.reason === 'bad_path') io.stderr.write(`gatehouse policy explain: the path is refused before any rule (${outcome.detail}): 400\n`);
    else
      io.stderr.write(
        `gatehouse policy explain: unknown factor(s) ${factorKinds.filter((f) => !(SECOND_FACTORS as readonly string[]).includes(f)).join(', ')} (known: ${SECOND_FACTORS.join(', ')})\n`,
      );
    return outcome.reason === 'bad_path' ? 1 : 2;
  }
  const { site: found, caseInsensitivePaths, explanation: result } = outcome;
  const site = found ? { name: found.name, case_insensitive_paths: found.caseInsensitivePaths } : null;
  const paths = caseInsensitivePaths ? 'paths matched ignoring letter case' : 'paths matched with their letter case';
  const siteLine = site
    ? `site: ${site.name} (${paths}: case_insensitive_paths ${String(site.case_insensitive_paths)})`
    : `site: none serves this URL, so the gateway refuses it before any rule (404; 403 on forward-auth); rules shown with ${paths}`;
  io.stdout.write(`${formatExplanation(result)}\n${siteLine}\n`);
  return 0;
}
