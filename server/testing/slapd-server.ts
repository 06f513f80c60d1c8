import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type Change } from 'ldapts';
import { getFreePort } from './free-port.js';
import { freezeProcess } from './freeze-process.js';
import { makeTestCertificates, type TestCertificates } from './test-certificates.js';

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';
const START_TIMEOUT_MS = 30_000;
/** How long `logged()` waits for its marker in the log at most. */
const LOG_CEILING_MS = 30_000;

export const SUFFIX = 'dc=corp,dc=test';
export const PEOPLE = `ou=people,${SUFFIX}`;
export const GROUPS = `ou=groups,${SUFFIX}`;
export const SERVICE_DN = `cn=gatehouse,ou=service,${SUFFIX}`;
export const SERVICE_PASSWORD = 'service-account-secret';
const ADMIN_DN = `cn=admin,${SUFFIX}`;
const ADMIN_PASSWORD = 'admin-secret';

/**
 * Active Directory's attribute names and state bits on OpenLDAP, for the AD-mode tests that set
 * states by hand (samba-ad-server.ts starts a real domain controller, in half a minute or more). Attributes keep
 * AD's OIDs and syntaxes; `user` and `group` are auxiliary classes here (structural in AD), on
 * OpenLDAP's experimental arc. memberOf is not defined here: the memberof overlay defines it,
 * with AD's OID, and maintains it as AD does. The bitwise filter rule 1.2.840.113556.1.4.803
 * works on OpenLDAP; the in-chain rule 1.2.840.113556.1.4.1941 does not.
 */
const AD_SCHEMA = `dn: cn=adlike,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: adlike
olcAttributeTypes: ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.8 NAME 'userAccountControl' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.1460 NAME 'msDS-User-Account-Control-Computed' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.96 NAME 'pwdLastSet' EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.159 NAME 'accountExpires' EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.662 NAME 'lockoutTime' EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.302 NAME 'sAMAccountType' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.750 NAME 'groupType' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcObjectClasses: ( 1.3.6.1.4.1.4203.666.11.901 NAME 'user' AUXILIARY MAY ( sAMAccountName $ userPrincipalName $ userAccountControl $ msDS-User-Account-Control-Computed $ pwdLastSet $ accountExpires $ lockoutTime $ sAMAccountType ) )
olcObjectClasses: ( 1.3.6.1.4.1.4203.666.11.902 NAME 'group' AUXILIARY MAY ( sAMAccountName $ groupType ) )
`;

export interface SlapdOperation {
  conn: number;
  op: number;
  /** BIND, SRCH, EXT, ADD, MOD, … as slapd's stats log names them. */
  type: string;
  /** The bind DN, or the search base. */
  dn?: string;
  filter?: string;
}

export interface TestSlapd {
  /** ldap:// (StartTLS) on 127.0.0.1. */
  url: string;
  /** ldaps:// on 127.0.0.1. */
  ldapsUrl: string;
  port: number;
  ldapsPort: number;
  certificates: TestCertificates;
  dir: string;
  /** Operations seen since start (or the last `clearLog`), from slapd's stats log. */
  operations(): SlapdOperation[];
  /** Resolves once every operation slapd answered so far is in `operations()` (its log is read asynchronously). */
  logged(): Promise<void>;
  binds(dn?: string): SlapdOperation[];
  clearLog(): Promise<void>;
  /** An administrator connection (rootdn) for changing entries. */
  admin<T>(fn: (client: Client) => Promise<T>): Promise<T>;
  add(dn: string, attributes: Record<string, string | string[]>): Promise<void>;
  modify(dn: string, changes: Change | Change[]): Promise<void>;
  remove(dn: string): Promise<void>;
  /** Adds entries from LDIF text with ldapadd (fast for thousands). */
  addLdif(ldif: string): Promise<void>;
  /** SIGKILL: connections drop at once, mid-operation. `start` brings it back with its data. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: keeps its sockets but answers nothing (every thread stopped once `freeze` returns). */
  freeze(): void;
  thaw(): void;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A private OpenLDAP server in a temporary folder, for integration tests: back_mdb with the
 * memberof and ppolicy overlays, core/cosine/inetorgperson schemas (plus AD's names with
 * `adSchema`), StartTLS and LDAPS with a certificate made for the test, a read-only service
 * account, and the stats log parsed so tests can count binds. Never touches the system slapd.
 */
export async function startSlapd(options: { adSchema?: boolean } = {}): Promise<TestSlapd> {
  for (const binary of [SLAPD, SLAPADD]) {
    if (!existsSync(binary)) throw new Error(`${binary} not found: LDAP tests need the Debian packages slapd and ldap-utils`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-slapd-'));
  const certificates = makeTestCertificates(dir);
  mkdirSync(join(dir, 'slapd.d'));
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'config.ldif'), configLdif(dir, certificates, options.adSchema === true));
  await run(SLAPADD, ['-n', '0', '-F', join(dir, 'slapd.d'), '-l', join(dir, 'config.ldif')]);
  const port = await getFreePort();
  const ldapsPort = await getFreePort();
  let child: ChildProcess | undefined;
  let frozen = false;
  let ops: SlapdOperation[] = [];
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  async function start(): Promise<void> {
    if (child) return;
    const spawned = spawn(SLAPD, ['-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${ldapsPort}/`, '-F', join(dir, 'slapd.d'), '-d', 'stats'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = spawned;
    let tail = '';
    let pending = '';
    spawned.stderr!.on('data', (chunk: Buffer) => {
      const text = pending + chunk.toString('utf8');
      const lines = text.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const op = parseStatsLine(line);
        if (op) ops.push(op);
      }
      tail = (tail + chunk.toString('utf8')).slice(-4000);
    });
    spawned.once('exit', () => {
      if (child === spawned) child = undefined;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await accepts(port)) || !(await accepts(ldapsPort))) {
      if (spawned.exitCode !== null || spawned.signalCode !== null) throw new Error(`slapd exited before it was ready:\n${tail}`);
      if (Date.now() > deadline) {
        spawned.kill('SIGKILL');
        throw new Error(`slapd was not ready within ${START_TIMEOUT_MS} ms:\n${tail}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function halt(signal: NodeJS.Signals): Promise<void> {
    const running = child;
    if (!running) return;
    // A stopped process acts on SIGTERM only once it runs again; SIGKILL needs no waking, and
    // waking it first would let it answer what it held.
    if (frozen && signal !== 'SIGKILL') running.kill('SIGCONT');
    frozen = false;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    child = undefined;
  }

  const url = `ldap://127.0.0.1:${port}`;
  async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ url, timeout: 10_000, connectTimeout: 5_000 });
    try {
      await client.bind(ADMIN_DN, ADMIN_PASSWORD);
      return await fn(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  await start();
  await admin(async (client) => {
    for (const [dn, attributes] of baseEntries()) await client.add(dn, attributes);
  });

  /** Resolves once every operation slapd answered so far is in `ops` (a marker search, then its log line). */
  async function logged(): Promise<void> {
    const marker = `cn=log-marker-${Math.random().toString(36).slice(2)},${SUFFIX}`;
    // Ceilings, not budgets: the loop ends as soon as the marker shows.
    const client = new Client({ url, timeout: LOG_CEILING_MS });
    await client.search(marker, { scope: 'base' }).catch(() => undefined);
    await client.unbind().catch(() => undefined);
    const deadline = Date.now() + LOG_CEILING_MS;
    while (!ops.some((o) => o.dn === marker)) {
      if (Date.now() > deadline) throw new Error(`slapd log marker not seen within ${LOG_CEILING_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const markerConns = new Set(ops.filter((o) => o.dn === marker).map((o) => o.conn));
    ops = ops.filter((o) => !markerConns.has(o.conn));
  }

  return {
    url,
    ldapsUrl: `ldaps://127.0.0.1:${ldapsPort}`,
    port,
    ldapsPort,
    certificates,
    dir,
    operations: () => [...ops],
    logged,
    binds: (dn) => ops.filter((o) => o.type === 'BIND' && (dn === undefined || o.dn?.toLowerCase() === dn.toLowerCase())),
    async clearLog() {
      // What slapd answered so far may still be on its way through the log: let it arrive first,
      // or an earlier operation would be counted after the clear (seen on a busy machine).
      await logged();
      ops = [];
    },
    admin,
    add: (dn, attributes) => admin((c) => c.add(dn, attributes)),
    modify: (dn, changes) => admin((c) => c.modify(dn, changes)),
    remove: (dn) => admin((c) => c.del(dn)),
    async addLdif(ldif) {
      const file = join(dir, `add-${Date.now()}-${Math.random().toString(36).slice(2)}.ldif`);
      writeFileSync(file, ldif);
      await run('/usr/bin/ldapadd', ['-x', '-H', url, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD, '-f', file]);
    },
    kill: () => halt('SIGKILL'),
    freeze() {
      if (child && !frozen) freezeProcess(child);
      frozen = true;
    },
    thaw() {
      if (child && frozen) child.kill('SIGCONT');
      frozen = false;
    },
    start,
    async close() {
      await halt('SIGTERM');
      process.off('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function configLdif(dir: string, certs: TestCertificates, adSchema: boolean): string {
  return `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${dir}/slapd.pid
olcTLSCACertificateFile: ${certs.caFile}
olcTLSCertificateFile: ${certs.certFile}
olcTLSCertificateKeyFile: ${certs.keyFile}
olcSizeLimit: 10000

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof
olcModuleLoad: ppolicy

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

${adSchema ? AD_SCHEMA : ''}
dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcRootDN: cn=admin,cn=config

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: ${SUFFIX}
olcRootDN: ${ADMIN_DN}
olcRootPW: ${ADMIN_PASSWORD}
olcDbDirectory: ${dir}/db
olcDbMaxSize: 268435456
olcDbNoSync: TRUE
olcDbIndex: objectClass eq
olcDbIndex: uid eq
olcDbIndex: member eq
olcAccess: {0}to attrs=userPassword by self =xw by anonymous auth by * none
olcAccess: {1}to * by dn.exact="${SERVICE_DN}" read by self read by * none

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfRefInt: TRUE

dn: olcOverlay={1}ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {1}ppolicy
olcPPolicyDefault: cn=default,ou=policies,${SUFFIX}
`;
}

function baseEntries(): Array<[string, Record<string, string | string[]>]> {
  return [
    [SUFFIX, { objectClass: ['dcObject', 'organization'], o: 'Corp', dc: 'corp' }],
    [PEOPLE, { objectClass: 'organizationalUnit', ou: 'people' }],
    [GROUPS, { objectClass: 'organizationalUnit', ou: 'groups' }],
    [`ou=service,${SUFFIX}`, { objectClass: 'organizationalUnit', ou: 'service' }],
    [`ou=policies,${SUFFIX}`, { objectClass: 'organizationalUnit', ou: 'policies' }],
    // Locks are honoured (pwdAccountLockedTime set by a test), but failures are not counted
    // towards one: the gateway's regulation is what the tests watch. pwdMustChange makes an
    // administrator's reset set pwdReset, as "must change at next logon" does.
    [
      `cn=default,ou=policies,${SUFFIX}`,
      { objectClass: ['pwdPolicy', 'device'], cn: 'default', pwdAttribute: 'userPassword', pwdLockout: 'TRUE', pwdMaxFailure: '100000', pwdMustChange: 'TRUE' },
    ],
    [SERVICE_DN, { objectClass: ['organizationalRole', 'simpleSecurityObject'], cn: 'gatehouse', userPassword: SERVICE_PASSWORD }],
  ];
}

/** `conn=1000 op=0 BIND dn="…" method=128` and `conn=1000 op=1 SRCH base="…" scope=2 deref=0 filter="…"`. */
function parseStatsLine(line: string): SlapdOperation | undefined {
  const match = / conn=(\d+) op=(\d+) (BIND|SRCH|EXT|ADD|MOD|DEL|UNBIND|ABANDON|CMP|MODRDN) (.*)$/.exec(line);
  if (!match) return undefined;
  const [, conn, op, type, rest] = match;
  // slapd logs each bind twice (request, then mechanism); count the request only.
  if (type === 'BIND' && !/ method=/.test(rest!)) return undefined;
  if (type === 'SRCH' && !/^base=/.test(rest!)) {
    const filter = /^filter="(.*)"$/.exec(rest!);
    return filter ? { conn: Number(conn), op: Number(op), type: 'SRCH-FILTER', filter: filter[1] } : undefined;
  }
  const dn = /(?:dn|base)="([^"]*)"/.exec(rest!)?.[1];
  const filter = /filter="(.*)"/.exec(rest!)?.[1];
  return { conn: Number(conn), op: Number(op), type: type!, ...(dn !== undefined ? { dn } : {}), ...(filter !== undefined ? { filter } : {}) };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => (error ? reject(new Error(`${file} failed: ${stderr || error.message}`)) : resolve()));
  });
}
