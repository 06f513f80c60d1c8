import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfigFile } from './load-config.js';
import { configSchema } from './schema.js';

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
    const result = loadConfigFile(`${docsDir}gatehouse.example.yml`, {});
    // The example reads its Redis password from a file that only exists on a real server.
    const errors = result.ok ? [] : result.errors.filter((e) => !e.startsWith('redis.password_file: cannot read'));
    expect(errors).toEqual([]);
  });
});
