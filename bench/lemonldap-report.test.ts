import { describe, expect, it } from 'vitest';
import { type AuthSummary, type LemonldapResult, lemonldapMissing } from './lemonldap.js';
import { formatLemonldap, lemonldapRatio } from './report.js';

const summary = (rps: number, authCpuUs: number, serverCpuUs: number): AuthSummary => ({
  runs: 3,
  rps,
  rpsMin: rps,
  rpsMax: rps,
  p50Ms: 1,
  p99Ms: 2,
  serverCpuUs,
  requests: 1000,
  non2xx: 0,
  socketErrors: 0,
  authCpuUs,
});

const result: LemonldapResult = {
  version: '2.16.1+ds-deb12u10',
  workers: 7,
  sessions: 1000,
  modes: {
    rotating: {
      description: 'rotating',
      F: summary(2000, 100, 200),
      L: summary(400, 2000, 2300),
      auth_request_vs_lemonldap_by_cpu: 0.05,
      auth_request_vs_lemonldap_by_server_cpu: 200 / 2300,
      lemonldap_vs_auth_request: 0.2,
    },
    single: {
      description: 'single',
      F: summary(2800, 70, 150),
      L: summary(600, 500, 1000),
      auth_request_vs_lemonldap_by_cpu: 0.14,
      auth_request_vs_lemonldap_by_server_cpu: 0.15,
      lemonldap_vs_auth_request: 600 / 2800,
    },
  },
  memory: { gatehouse: { rssMb: 120, pssMb: 80 }, lemonldap: { rssMb: 330, pssMb: 160, processes: 8 } },
};

describe('lemonldapRatio', () => {
  it('reports every session mode and the worst of them as the figure the target reads', () => {
    expect(lemonldapRatio(result)).toEqual({ auth_request_vs_lemonldap_by_cpu: 0.14, auth_request_vs_lemonldap_by_cpu_by_mode: { rotating: 0.05, single: 0.14 } });
  });

  it('has no figure when the part was skipped', () => {
    expect(lemonldapRatio({ skipped: 'not installed' })).toEqual({});
  });
});

describe('formatLemonldap', () => {
  it('says a skipped part is skipped, and why', () => {
    expect(formatLemonldap({ skipped: '/usr/sbin/llng-fastcgi-server is missing' })).toEqual([
      'L (nginx auth_request → LemonLDAP::NG): SKIPPED: /usr/sbin/llng-fastcgi-server is missing',
    ]);
  });

  it('puts F and L side by side in each mode, with both footprints', () => {
    const lines = formatLemonldap(result);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('manager + 7 workers');
    expect(lines[1]).toMatch(/^ {2}rotating session: F 2000 vs L 400 req\/s .*auth CPU µs\/req F 100\.0 vs L 2000\.0 \(F\/L 0\.050\)/);
    expect(lines[2]).toMatch(/^ {2}single session: .*\(F\/L 0\.140\)/);
    expect(lines[3]).toContain('Gatehouse RSS 120.0 MB (PSS 80.0); LemonLDAP::NG 8 processes RSS 330.0 MB (PSS 160.0)');
  });
});

describe('lemonldapMissing', () => {
  it('names the packages to install when the FastCGI server is absent', () => {
    expect(lemonldapMissing('/nonexistent/llng-fastcgi-server')).toBe(
      '/nonexistent/llng-fastcgi-server is missing: apt-get install --no-install-recommends lemonldap-ng lemonldap-ng-fastcgi-server',
    );
  });

  it('names the Perl modules missing and their packages', () => {
    const reason = lemonldapMissing(process.execPath, [
      { module: 'Gatehouse::No::Such::Module', pkg: 'libno-such-perl' },
      { module: 'strict', pkg: 'perl-base' },
    ]);
    expect(reason).toBe('Perl modules missing: Gatehouse::No::Such::Module (apt-get install --no-install-recommends libno-such-perl)');
  });
});
