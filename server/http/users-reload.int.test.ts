import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { APP, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

/** Session security: disabling a user in the users file ends their sessions, and the reload is audited. */
let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness();
});
afterAll(() => h?.close());

async function until(check: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('a users file reload', () => {
  it('ends the sessions of a user it disables, leaves the others, and leaves a config.reload event', async () => {
    const bob = await h.signIn('bob');
    const alice = await h.signIn('alice');
    expect((await h.request({ path: '/', host: APP, headers: { cookie: bob } })).status).toBe(200);
    // The same hashes, only bob disabled: alice's password did not change, so she stays signed in.
    const doc = parse(readFileSync(h.usersFile, 'utf8')) as { users: Record<string, { disabled: boolean }> };
    doc.users.bob!.disabled = true;
    writeFileSync(h.usersFile, stringify(doc));
    const ended = await until(async () => (await h.request({ path: '/', host: APP, headers: { cookie: bob } })).status === 302);
    expect(ended).toBe(true);
    expect((await h.request({ path: '/', host: APP, headers: { cookie: alice } })).status).toBe(200);
    const reloads = await h.gateway.ctx.storage.auditEvents.query({ kind: 'config.reload', limit: 5 });
    expect(reloads[0]).toMatchObject({ actor: 'system', reason: 'users-file', details: expect.objectContaining({ sessions: 1 }) });
    expect(await until(async () => (await h.gateway.ctx.storage.auditEvents.query({ subject: 'bob', kind: 'sessions.revoked', limit: 1 })).length === 1)).toBe(true);
  });
});
