import { describe, expect, it } from 'vitest';
import type { SiteConfig } from '../config/schema.js';
import { createSiteTable } from './site-table.js';

function site(name: string, url: string): SiteConfig {
  return { name, url: new URL(url), upstream: new URL('http://127.0.0.1:3000/'), preserve_host: true, timeout: 30, case_insensitive_paths: true };
}

const SITES = [
  site('wiki', 'https://wiki.corp.example/'),
  site('wiki-api', 'https://wiki.corp.example/api/'),
  site('tools', 'https://corp.example/tools/'),
  site('tools-admin', 'https://corp.example/tools/admin/'),
  site('grafana', 'https://grafana.corp.example:8443/'),
  site('legacy', 'http://legacy.corp.example/'),
  site('local', 'http://localhost:8080/app/'),
  site('ipv6', 'http://[::1]:9000/'),
  site('ipv4', 'http://10.0.0.5:8080/'),
];
const PORTAL = new URL('https://auth.corp.example/');
const table = createSiteTable(SITES, PORTAL);

describe('createSiteTable: match', () => {
  it.each([
    // host and port
    ['wiki.corp.example', undefined, '/', 'wiki'],
    ['wiki.corp.example', 443, '/page', 'wiki'],
    ['WIKI.Corp.Example', undefined, '/', 'wiki'],
    ['wiki.corp.example', 80, '/', undefined],
    ['wiki.corp.example', 8443, '/', undefined],
    ['wiki.corp.example.', undefined, '/', undefined],
    ['wiki.corp.example..', undefined, '/', undefined],
    ['.wiki.corp.example', undefined, '/', undefined],
    ['evilwiki.corp.example', undefined, '/', undefined],
    ['wiki.corp.example.evil.example', undefined, '/', undefined],
    ['sub.wiki.corp.example', undefined, '/', undefined],
    ['corp.example', undefined, '/', undefined],
    ['wiki.corp.example:443', undefined, '/', undefined],
    ['wiki.corp.example ', undefined, '/', undefined],
    ['', undefined, '/', undefined],
    ['ｗiki.corp.example', undefined, '/', undefined],
    ['wiki.corp.exampl\u212A', undefined, '/', undefined],
    ['wіki.corp.example', undefined, '/', undefined],
    ['auth.corp.example', undefined, '/', undefined],
    ['grafana.corp.example', 8443, '/d/x', 'grafana'],
    ['grafana.corp.example', undefined, '/', undefined],
    ['grafana.corp.example', 443, '/', undefined],
    ['legacy.corp.example', undefined, '/', 'legacy'],
    ['legacy.corp.example', 80, '/', 'legacy'],
    ['legacy.corp.example', 443, '/', undefined],
    ['[::1]', 9000, '/', 'ipv6'],
    ['::1', 9000, '/', undefined],
    ['[::1]', undefined, '/', undefined],
    ['10.0.0.5', 8080, '/', 'ipv4'],
    ['10.0.0.5', 80, '/', undefined],
    // path prefixes: whole segments, longest wins, case-sensitive
    ['wiki.corp.example', undefined, '/api/v1', 'wiki-api'],
    ['wiki.corp.example', undefined, '/api/', 'wiki-api'],
    ['wiki.corp.example', undefined, '/api', 'wiki-api'],
    ['wiki.corp.example', undefined, '/apis', 'wiki'],
    ['wiki.corp.example', undefined, '/API/v1', 'wiki'],
    ['corp.example', undefined, '/tools', 'tools'],
    ['corp.example', undefined, '/tools/', 'tools'],
    ['corp.example', undefined, '/tools/x', 'tools'],
    ['corp.example', undefined, '/toolsx', undefined],
    ['corp.example', undefined, '/tool', undefined],
    ['corp.example', undefined, '/Tools/', undefined],
    ['corp.example', undefined, '/tools/admin', 'tools-admin'],
    ['corp.example', undefined, '/tools/admin/users', 'tools-admin'],
    ['corp.example', undefined, '/tools/administrator', 'tools'],
    ['corp.example', undefined, '//tools/', undefined],
    ['corp.example', undefined, '', undefined],
    ['localhost', 8080, '/app/x', 'local'],
    ['localhost', 8080, '/app', 'local'],
    ['localhost', 8080, '/application', undefined],
    ['localhost', undefined, '/app/', undefined],
  ])('%s port %s path %j → %s', (hostname, port, path, expected) => {
    expect(table.match(hostname, port, path)?.name).toBe(expected);
  });

  it('returns the configured site object itself', () => {
    expect(table.match('wiki.corp.example', undefined, '/')).toBe(SITES[0]);
    expect(table.sites).toBe(SITES);
  });

  it('gives the longest prefix whatever the configured order', () => {
    const reversed = createSiteTable([...SITES].reverse(), PORTAL);
    expect(reversed.match('corp.example', undefined, '/tools/admin/x')?.name).toBe('tools-admin');
    expect(reversed.match('wiki.corp.example', undefined, '/api/x')?.name).toBe('wiki-api');
  });

  it('finds a site among 5,000 without looking at any other (one Map lookup per request)', () => {
    // Every site counts the reads of its fields: a table that scanned the list would read them.
    let reads = 0;
    const counted = (s: SiteConfig) => new Proxy(s, { get: (target, key) => (reads++, Reflect.get(target, key)) });
    const many = Array.from({ length: 5000 }, (_, i) => counted(site(`s${i}`, `https://s${i}.corp.example/`)));
    const big = createSiteTable(many, PORTAL);
    reads = 0;
    const found = Array.from({ length: 10_000 }, (_, i) => big.match(`s${i % 5000}.corp.example`, undefined, '/page'));
    expect(big.match('elsewhere.corp.example', undefined, '/')).toBeUndefined();
    expect(reads).toBe(0);
    expect(found[4999]?.name).toBe('s4999');
    expect(found[5000]?.name).toBe('s0');
  });
});

describe('createSiteTable: isPortal', () => {
  it.each([
    ['auth.corp.example', undefined, '/login', true],
    ['auth.corp.example', 443, '/', true],
    ['AUTH.corp.example', undefined, '/', true],
    ['auth.corp.example', 8443, '/', false],
    ['auth.corp.example.', undefined, '/', false],
    ['wiki.corp.example', undefined, '/', false],
  ])('%s port %s path %j → %s', (hostname, port, path, expected) => {
    expect(table.isPortal(hostname, port, path)).toBe(expected);
  });

  it('honours a portal under a path prefix', () => {
    const shared = createSiteTable([site('home', 'https://corp.example/')], new URL('https://corp.example/auth/'));
    expect(shared.isPortal('corp.example', undefined, '/auth')).toBe(true);
    expect(shared.isPortal('corp.example', undefined, '/auth/login')).toBe(true);
    expect(shared.isPortal('corp.example', undefined, '/authx')).toBe(false);
    expect(shared.match('corp.example', undefined, '/authx')?.name).toBe('home');
  });

  it('refuses a site configured at the portal’s own URL', () => {
    expect(() => createSiteTable([site('clash', 'https://auth.corp.example/')], PORTAL)).toThrow(/portal/);
  });
});
