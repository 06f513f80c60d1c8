import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, crossFieldIssues, SECRET_KEYS, type Config } from './schema.js';

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/**
 * Reads, substitutes and validates a config file. Every problem is reported at once, each
 * with its path (`access_control.rules[3].networks[0]: "10.0.0/8" is not a CIDR`).
 * `env` is passed in: only main.ts reads process.env.
 */
export function loadConfigFile(path: string, env: Record<string, string | undefined>): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, errors: [`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`] };
  }
  return parseConfigText(text, { env, baseDir: dirname(resolve(path)) });
}

export function parseConfigText(text: string, options: { env: Record<string, string | undefined>; baseDir: string }): LoadResult {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => `yaml: ${e.message.split('\n')[0]}`) };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 50 }) ?? {};
  } catch (error) {
    // The yaml library refuses alias bombs ("billion laughs") by throwing.
    return { ok: false, errors: [`yaml: ${(error as Error).message}`] };
  }
  const errors: string[] = [];
  const expanded = expand(raw, [], options, errors);
  const parsed = configSchema.safeParse(expanded);
  if (!parsed.success) errors.push(...formatIssues(parsed.error.issues));
  errors.push(...crossFieldIssues(expanded).map((issue) => `${formatPath(issue.path)}: ${issue.message}`));
  if (errors.length > 0) return { ok: false, errors };
  const config = parsed.data!;
  if (config.authentication.users_file !== undefined) config.authentication.users_file = resolve(options.baseDir, config.authentication.users_file);
  const ldapTls = config.authentication.ldap?.tls;
  if (ldapTls?.ca_file !== undefined) ldapTls.ca_file = resolve(options.baseDir, ldapTls.ca_file);
  if (config.storage.path !== ':memory:') config.storage.path = resolve(options.baseDir, config.storage.path);
  const redisTls = config.redis?.tls;
  if (redisTls !== undefined) {
    for (const key of ['ca_file', 'client_cert_file', 'client_key_file'] as const) {
      const file = redisTls[key];
      if (file !== undefined) redisTls[key] = resolve(options.baseDir, file);
    }
  }
  const postgresTls = config.storage.postgres?.tls;
  if (postgresTls?.ca_file !== undefined) postgresTls.ca_file = resolve(options.baseDir, postgresTls.ca_file);
  return { ok: true, config: deepFreeze(config) };
}

/** `${NAME}` in any string value takes the variable's value; `$${` stands for a literal `${`. */
function substituteEnv(value: string, path: Path, env: Record<string, string | undefined>, errors: string[]): string {
  return value.replace(/\$(\$?)\{([^}]*)\}/g, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      errors.push(`${formatPath(path)}: "\${${name}}" is not a valid variable reference`);
      return '';
    }
    const found = env[name];
    if (found === undefined) {
      errors.push(`${formatPath(path)}: environment variable ${name} is not set`);
      return '';
    }
    return found;
  });
}

type Path = (string | number)[];

function expand(value: unknown, path: Path, options: { env: Record<string, string | undefined>; baseDir: string }, errors: string[]): unknown {
  if (typeof value === 'string') return substituteEnv(value, path, options.env, errors);
  if (Array.isArray(value)) return value.map((item, i) => expand(item, [...path, i], options, errors));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const secretKey = key.endsWith('_file') ? key.slice(0, -'_file'.length) : undefined;
    if (secretKey && SECRET_KEYS.has(secretKey)) {
      if (Object.hasOwn(value, secretKey)) {
        errors.push(`${formatPath([...path, key])}: set either ${secretKey} or ${key}, not both`);
        continue;
      }
      const file = expand(child, [...path, key], options, errors);
      if (typeof file !== 'string') {
        errors.push(`${formatPath([...path, key])}: must be a file path`);
        continue;
      }
      try {
        out[secretKey] = readFileSync(resolve(options.baseDir, file), 'utf8').replace(/\r?\n$/, '');
      } catch (error) {
        errors.push(`${formatPath([...path, key])}: cannot read "${file}" (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      continue;
    }
    out[key] = expand(child, [...path, key], options, errors);
  }
  return out;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key`);
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that got furthest rather than "invalid input".
      const best = issue.errors.reduce((a, b) => (deepest(b) > deepest(a) ? b : a));
      if (best.length > 0) return formatIssues(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })));
    }
    let message = issue.message;
    if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
    return [`${formatPath(issue.path)}: ${message}`];
  });
}

function deepest(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length + (i.code === 'invalid_type' ? 0 : 0.5)));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof URL)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
