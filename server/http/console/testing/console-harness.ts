import type { FactorUse } from '../../../session/session.js';
import { PORTAL, USERS, writeUsersFile, type GatewayHarness } from '../../../testing/gateway-harness.js';
import type { TestResponse } from '../../../testing/http-client.js';

/** Console tests' extra users: an auditor, and users whose accounts the tests change. */
export const CONSOLE_USERS = {
  ...USERS,
  dave: { password: 'dave-audit-pass-1', displayname: 'Dave Auditor', email: 'dave@corp.example', groups: ['auditors'], disabled: false },
  erin: { password: 'erin-target-pass-1', displayname: 'Erin Wu 吳怡君', email: 'erin@corp.example', groups: ['sales'], disabled: false },
  frank: { password: 'frank-target-pass-1', displayname: 'Frank 100%_off "quoted"', email: 'frank_o@corp.example', groups: ['sales'], disabled: false },
} as const;

export const ORIGIN = `http://${PORTAL}`;
export const MINUTE = 60_000;

/**
 * Writes CONSOLE_USERS into the harness's users file and waits for the reload of what it wrote.
 * The new file's hashes have new salts, which the directory takes as new passwords: that reload
 * ends the users' sessions. Waiting for it (not only for a name to be known, which the last good
 * users may already answer) keeps it from ending a session a test makes next.
 */
export async function addConsoleUsers(h: GatewayHarness): Promise<void> {
  const { directory } = h.gateway.ctx;
  const before = directory.usersFileStatus?.().lastReload;
  await writeUsersFile(h.usersFile, CONSOLE_USERS);
  // A ceiling in polls, not in time: on a busy machine each poll takes longer.
  for (let i = 0; i < 2400; i++) {
    const last = directory.usersFileStatus?.().lastReload;
    if (last !== before && last?.result === 'reloaded' && directory.findUser('frank')) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`users file not reloaded: ${JSON.stringify(directory.usersFileStatus?.().lastReload)}`);
}

/** A session as the portal leaves it: the password now and, optionally, a second factor `ageMs` ago. */
export async function sessionFor(h: GatewayHarness, username: string, second?: { kind: FactorUse['kind']; ageMs: number }) {
  const { ctx } = h.gateway;
  const now = Date.now();
  const created = await ctx.sessions.create({ user: ctx.directory.findUser(username)!, factor: { kind: 'password', at: now }, rememberMe: false });
  let { token, session } = created;
  if (second) ({ token, session } = (await ctx.sessions.rotate(token, (s) => ({ ...s, factors: [...s.factors, { kind: second.kind, at: now - second.ageMs }] })))!);
  return { cookie: `gatehouse_session=${token}`, csrf: session.csrf, token };
}

export type Caller = { cookie?: string; csrf?: string };

/** A console request as a browser sends it: a GET, or a form post from the portal's origin with the CSRF field. */
export function consoleRequest(
  h: GatewayHarness,
  method: string,
  path: string,
  who: Caller = {},
  options: { fields?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { origin: ORIGIN };
  if (who.cookie) headers.cookie = who.cookie;
  let body: string | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    const fields = { ...(who.csrf !== undefined ? { csrf: who.csrf } : {}), ...options.fields };
    body = new URLSearchParams(fields).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  Object.assign(headers, options.headers);
  for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
  return h.request({ method, path: `/console${path}`, host: PORTAL, headers, body });
}

/** Admin audit events recorded after event `since`, oldest first. */
export async function adminEventsAfter(h: GatewayHarness, since: number) {
  return (await h.gateway.ctx.storage.auditEvents.after(since, 1000)).filter((e) => e.kind.startsWith('admin.'));
}
export const lastEventId = async (h: GatewayHarness) => (await h.gateway.ctx.storage.auditEvents.query({ limit: 1 }))[0]?.id ?? 0;
