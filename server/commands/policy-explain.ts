import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load-config.js';
import { SECOND_FACTORS, type SecondFactorKind } from '../config/schema.js';
import { compilePolicy } from '../policy/compile-policy.js';
import { explainAccess, formatExplanation } from '../policy/explain-access.js';
import { normalizePath } from '../policy/normalize-path.js';
import { createSiteTable } from '../sites/site-table.js';
import type { FactorUse } from '../session/session.js';
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
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    io.stderr.write(`gatehouse policy explain: "${values.url}" is not a URL\n`);
    return 2;
  }
  const target = normalizePath(url.pathname + url.search);
  if (!target.ok) {
    io.stderr.write(`gatehouse policy explain: the path is refused before any rule (${target.reason}): 400\n`);
    return 1;
  }
  const now = Date.now();
  const factorKinds = values.factors.split(',').filter(Boolean);
  const unknown = factorKinds.filter((f) => !(SECOND_FACTORS as readonly string[]).includes(f));
  if (unknown.length) {
    io.stderr.write(`gatehouse policy explain: unknown factor(s) ${unknown.join(', ')} (known: ${SECOND_FACTORS.join(', ')})\n`);
    return 2;
  }
  const factors: FactorUse[] = [{ kind: 'password', at: now }, ...factorKinds.map((kind) => ({ kind: kind as SecondFactorKind, at: now }))];
  const subject = values.user ? { username: values.user, groups: values.groups.split(',').filter(Boolean), factors } : null;
  // Letter case in paths is the site's setting: the same rules can match differently per site.
  const site = createSiteTable(loaded.config.sites, loaded.config.server.portal_url).match(url.hostname, url.port ? Number(url.port) : undefined, target.matchPath);
  const caseInsensitivePaths = site?.case_insensitive_paths ?? true;
  const result = explainAccess(
    compilePolicy(loaded.config.access_control),
    { domain: url.hostname, path: target.matchPath, method: values.method.toUpperCase(), ip: values.ip, caseInsensitivePaths },
    subject,
    now,
  );
  const paths = caseInsensitivePaths ? 'paths matched ignoring letter case' : 'paths matched with their letter case';
  const siteLine = site
    ? `site: ${site.name} (${paths}: case_insensitive_paths ${String(site.case_insensitive_paths)})`
    : `site: none serves this URL, so the gateway refuses it before any rule (404; 403 on forward-auth); rules shown with ${paths}`;
  io.stdout.write(`${formatExplanation(result)}\n${siteLine}\n`);
  return 0;
}
