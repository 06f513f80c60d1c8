import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { loadConfigFile } from './load-config.js';
import { configSchema } from './schema.js';
import { tempDirForTest } from '../testing/temp-dir.js';

const docsDir = fileURLToPath(new URL('../../docs/', import.meta.url));

/** Every key path of the schema, `sites[].url` style. */
function keyPaths(schema: z.ZodType, prefix: string): string[] {
  const def = (schema as { _zod: { def: Record<string, any> } })._zod.def;
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape as Record<string, z.ZodType>).flatMap(([key, child]) => {
        const path = prefix ? `${prefix}.${key}` : key;
        return [path, ...keyPaths(child, path)];
      });
    case 'array':
      return keyPaths(def.element, `${prefix}[]`);
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return keyPaths(def.innerType, prefix);
    case 'pipe':
      return keyPaths(def.in, prefix);
    default:
      return [];
  }
}

describe('the configuration reference', () => {
  const doc = readFileSync(`${docsDir}configuration.md`, 'utf8');
  const keys = keyPaths(configSchema, '');

  it('finds the schema keys (guards the walker itself)', () => {
    expect(keys).toContain('server.portal_url');
    expect(keys).toContain('access_control.rules[].max_auth_age');
    expect(keys.length).toBeGreaterThan(35);
  });

  it.each(keys)('documents %s', (key) => {
    expect(doc).toContain(`\`${key}`);
  });

  it('ships an example file that is valid', () => {
    // The example reads its secrets from /run/secrets; give it those files in a scratch folder.
    const secrets = tempDirForTest('gatehouse-secrets-');
    const text = readFileSync(`${docsDir}gatehouse.example.yml`, 'utf8').replaceAll('/run/secrets/', `${secrets}/`);
    for (const name of text.matchAll(new RegExp(`${secrets}/([\\w.-]+)`, 'g'))) {
      writeFileSync(join(secrets, name[1]!), name[1]!.includes('key') ? randomBytes(32).toString('base64') : 'secret');
    }
    writeFileSync(join(secrets, 'gatehouse.yml'), text);
    const result = loadConfigFile(join(secrets, 'gatehouse.yml'), {});
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});
