import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { makeTestCertificates, type TestCertificates } from './test-certificates.js';

const SAMBA = '/usr/sbin/samba';
const SAMBA_TOOL = '/usr/bin/samba-tool';
const PROVISION_TIMEOUT_MS = 240_000;
const START_TIMEOUT_MS = 60_000;

export const AD_REALM = 'CORP.TEST';
export const AD_BASE_DN = 'DC=corp,DC=test';
export const AD_USERS = `CN=Users,${AD_BASE_DN}`;
/** The domain controller's name: its certificate's only name. */
export const AD_SERVER_NAME = 'dc1.corp.test';
const ADMIN_DN = `CN=Administrator,${AD_USERS}`;
const ADMIN_PASSWORD = 'Admin-secret-2024!';
/** Wrong passwords in a row that lock an account (lockoutThreshold); `lockOut` makes them. */
export const AD_LOCKOUT_THRESHOLD = 5;

/** An RDN value as a DN writes it (RFC 4514): "Sales, EMEA" → "Sales\\, EMEA". */
const rdnValue = (value: string) =>
  value
    .replace(/[,+"\\<>;=]/g, '\\$&')
    .replace(/^[ #]/, '\\$&')
    .replace(/ $/, '\\ ');

/** 100-ns units, negative: how AD writes a duration. */
const adDuration = (minutes: number) => String(-minutes * 60 * 10_000_000);

/** Why the Samba AD tests cannot run on this machine, or undefined when they can. */
export function sambaMissing(): string | undefined {
  if (!existsSync(SAMBA) || !existsSync(SAMBA_TOOL)) return `${SAMBA} or ${SAMBA_TOOL} not found: the Samba AD tests need the Debian package samba`;
  return undefined;
}

export interface AdUserInput {
  sam: string;
  password: string;
  /** The entry's CN (its RDN); default `sam`. */
  cn?: string;
  displayName?: string;
  mail?: string;
  mobile?: string;
  /** Default `sam@corp.test` (lower case). */
  upn?: string;
}

export interface TestSambaAd {
  /** ldap:// (StartTLS) on the domain controller's own loopback address, port 389. */
  url: string;
  /** ldaps:// on the same address, port 636. */
  ldapsUrl: string;
  /** The 127.x.y.z address the domain controller alone listens on. */
  host: string;
  certificates: TestCertificates;
  /** A user the tests search with (any authenticated user may read the directory). */
  serviceDn: string;
  servicePassword: string;
  dir: string;
  /** How long `samba-tool domain provision` took, and the start after it (ms). */
  timings: { provisionMs: number; startMs: number };
  /** An Administrator connection over LDAPS. */
  admin<T>(fn: (client: Client) => Promise<T>): Promise<T>;
  /** A normal, enabled user account in CN=Users; its DN. */
  addUser(user: AdUserInput): Promise<string>;
  /** A global security group in CN=Users with these members; its DN. */
  addGroup(name: string, members?: string[]): Promise<string>;
  addMember(groupDn: string, memberDn: string): Promise<void>;
  removeMember(groupDn: string, memberDn: string): Promise<void>;
  /** Replaces single attribute values (userAccountControl, pwdLastSet, accountExpires, …). */
  set(dn: string, values: Record<string, string>): Promise<void>;
  /** Binds as the user with wrong passwords until the domain controller locks the account. */
  lockOut(upn: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A Samba Active Directory domain controller of its own, for the AD tests: provisioned into a
 * temporary folder (realm CORP.TEST, no DNS), running only its LDAP service in the foreground
 * (`samba -i -M single`) with a certificate made for the test. Samba has no setting for its
 * LDAP ports (389 and 636), so each one listens on a loopback address of its own instead of a
 * free port: `interfaces = 127.x.y.z/8` with `bind interfaces only`. That needs root, as Samba
 * does anyway. Provisioning takes 10–60 s; one domain controller serves a whole test file.
 */
export async function startSambaAd(): Promise<TestSambaAd> {
  const missing = sambaMissing();
  if (missing) throw new Error(missing);
  if (process.getuid?.() !== 0) throw new Error('a Samba AD domain controller runs as root only (it binds ports 389 and 636)');
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-samba-'));
  try {
    return await startIn(dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function startIn(dir: string): Promise<TestSambaAd> {
  const host = await freeLoopbackAddress();
  const certificates = makeTestCertificates(dir, AD_SERVER_NAME);
  // Samba refuses a private key others may read.
  chmodSync(certificates.keyFile, 0o600);
  for (const sub of ['pid', 'ncalrpc', 'logs']) mkdirSync(join(dir, sub));
  const options: Record<string, string> = {
    interfaces: `${host}/8`,
    'bind interfaces only': 'yes',
    'server services': 'ldap',
    'tls keyfile': certificates.keyFile,
    'tls certfile': certificates.certFile,
    'tls cafile': certificates.caFile,
    'pid directory': join(dir, 'pid'),
    'ncalrpc dir': join(dir, 'ncalrpc'),
    'log file': join(dir, 'logs', 'log.%m'),
  };
  const provisionStarted = Date.now();
  await run(
    SAMBA_TOOL,
    [
      'domain',
      'provision',
      `--targetdir=${dir}`,
      `--realm=${AD_REALM}`,
      '--domain=CORP',
      `--adminpass=${ADMIN_PASSWORD}`,
      '--server-role=dc',
      '--dns-backend=NONE',
      '--use-rfc2307',
      '--host-name=dc1',
      ...Object.entries(options).map(([key, value]) => `--option=${key}=${value}`),
    ],
    PROVISION_TIMEOUT_MS,
  );
  const provisionMs = Date.now() - provisionStarted;

  const startStarted = Date.now();
  const child = spawn(SAMBA, ['-i', '-M', 'single', '-s', join(dir, 'etc', 'smb.conf'), '--debuglevel=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString('utf8')).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    await halt(child);
  };
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await accepts(host, 636)) || !(await accepts(host, 389))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`samba exited before it was ready:\n${tail}`);
      if (Date.now() > deadline) throw new Error(`samba was not ready within ${START_TIMEOUT_MS} ms:\n${tail}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const startMs = Date.now() - startStarted;

  const ldapsUrl = `ldaps://${host}`;
  const tlsOptions = { ca: [readFileSync(certificates.caFile)], servername: AD_SERVER_NAME };
  async function bindAs<T>(dn: string, password: string, fn: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ url: ldapsUrl, tlsOptions, timeout: 20_000, connectTimeout: 10_000 });
    try {
      await client.bind(dn, password);
      return await fn(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
  const admin = <T>(fn: (client: Client) => Promise<T>) => bindAs(ADMIN_DN, ADMIN_PASSWORD, fn);
  const replace = (type: string, value: string) => new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });

  async function addUser(user: AdUserInput): Promise<string> {
    const dn = `CN=${rdnValue(user.cn ?? user.sam)},${AD_USERS}`;
    const attributes = [
      new Attribute({ type: 'objectClass', values: ['top', 'person', 'organizationalPerson', 'user'] }),
      new Attribute({ type: 'sAMAccountName', values: [user.sam] }),
      new Attribute({ type: 'userPrincipalName', values: [user.upn ?? `${user.sam.toLowerCase()}@corp.test`] }),
      // AD takes a password only as unicodePwd: the quoted password in UTF-16LE, over TLS.
      new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${user.password}"`, 'utf16le')] }),
      new Attribute({ type: 'userAccountControl', values: ['512'] }),
      ...(['displayName', 'mail', 'mobile'] as const).filter((key) => user[key] !== undefined).map((key) => new Attribute({ type: key, values: [user[key]!] })),
    ];
    await admin((client) => client.add(dn, attributes));
    return dn;
  }

  // Locks come from wrong binds (as in production); a window and duration long enough for any test.
  await admin((client) =>
    client.modify(AD_BASE_DN, [
      replace('lockoutThreshold', String(AD_LOCKOUT_THRESHOLD)),
      replace('lockoutDuration', adDuration(60)),
      replace('lockOutObservationWindow', adDuration(60)),
    ]),
  ).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  const servicePassword = 'Service-secret-2024!';
  const serviceDn = await addUser({ sam: 'gatehouse-svc', cn: 'Gatehouse Service', password: servicePassword }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });

  return {
    url: `ldap://${host}`,
    ldapsUrl,
    host,
    certificates,
    serviceDn,
    servicePassword,
    dir,
    timings: { provisionMs, startMs },
    admin,
    addUser,
    async addGroup(name, members = []) {
      const dn = `CN=${rdnValue(name)},${AD_USERS}`;
      await admin((client) =>
        client.add(dn, [
          new Attribute({ type: 'objectClass', values: ['top', 'group'] }),
          // AD refuses "/\\[]:;|=,+*?<>\" in an account name; the CN keeps them.
          new Attribute({ type: 'sAMAccountName', values: [name.replace(/[/\\[\]:;|=,+*?<>"]/g, '')] }),
          ...(members.length > 0 ? [new Attribute({ type: 'member', values: members })] : []),
        ]),
      );
      return dn;
    },
    addMember: (groupDn, memberDn) =>
      admin((client) => client.modify(groupDn, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [memberDn] }) }))),
    removeMember: (groupDn, memberDn) =>
      admin((client) => client.modify(groupDn, new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [memberDn] }) }))),
    set: (dn, values) =>
      admin((client) =>
        client.modify(
          dn,
          Object.entries(values).map(([type, value]) => replace(type, value)),
        ),
      ),
    async lockOut(upn) {
      for (let i = 0; i < AD_LOCKOUT_THRESHOLD; i++) {
        await bindAs(upn, `Wrong-password-${i}!`, async () => undefined).catch(() => undefined);
      }
    },
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A 127.x.y.z address (not 127.0.0.1) whose ports 389 and 636 are free: the domain
 * controller's own, so it needs no port of its own and collides with nothing on 127.0.0.1.
 */
async function freeLoopbackAddress(): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const host = `127.${64 + Math.floor(Math.random() * 64)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;
    if ((await canListen(host, 389)) && (await canListen(host, 636))) return host;
  }
  throw new Error('no loopback address with ports 389 and 636 free');
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function halt(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function run(file: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024, timeout: timeoutMs }, (error, stdout, stderr) =>
      error ? reject(new Error(`${file} ${args.slice(0, 2).join(' ')} failed: ${(stderr || stdout || error.message).slice(-3000)}`)) : resolve(),
    );
  });
}
