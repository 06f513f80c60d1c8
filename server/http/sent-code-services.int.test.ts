import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { createSilentLogger } from '../core/logger.js';
import { createLdapDirectory, type LdapDirectory } from '../directory/ldap/ldap-directory.js';
import { LDAP_USERS, ldapSettingsFor, startLdapFixture } from '../directory/ldap/testing/ldap-fixture.js';
import { createMemoryKv } from '../kv/memory-kv.js';
import type { TestSlapd } from '../testing/slapd-server.js';
import { createSentCodeChannels } from './sent-code-services.js';

let slapd: TestSlapd;
let ldap: LdapDirectory;

beforeAll(async () => {
  slapd = await startLdapFixture();
  ldap = createLdapDirectory(
    { logger: createSilentLogger(), kv: createMemoryKv({ clock: { now: Date.now } }), now: Date.now },
    { settings: ldapSettingsFor(slapd, {}), mirrorTtlMs: 10_000, recordTtlSeconds: 3600, refresh: false },
  );
}, 120_000);
afterAll(async () => {
  ldap?.close();
  await slapd?.close();
});

const config = configSchema.parse({
  server: { portal_url: 'https://auth.corp.example/' },
  session: { store: 'memory' },
  authentication: { users_file: '/dev/null' },
  storage: { encryption_keys: [{ id: 'k1', key: '1'.repeat(64) }] },
  smtp: { host: '127.0.0.1', port: 1, security: 'none', from: 'g@corp.example' },
  second_factors: {
    email_otp: { enabled: true },
    sms_otp: { enabled: true, default_region: 'TW', allowed_countries: ['TW'], sender: { type: 'webhook', url: 'http://127.0.0.1:1/', body: '{to}' } },
  },
});

describe('where codes go, from LDAP', () => {
  it("sends to the directory's mail and mobile (read to E.164), masked for the page", async () => {
    const { channels, close } = createSentCodeChannels({ config, kv: createMemoryKv({ clock: { now: Date.now } }), directory: ldap, now: Date.now });
    try {
      // The directory holds a user once they signed in (or were looked up): as at the second step.
      await ldap.lookupUser!(LDAP_USERS.alice.uid);
      expect(await channels.sms_otp!.factor.destinationOf('alice')).toEqual({ address: '+886912345678', masked: '•••• 678' });
      expect(await channels.email_otp!.factor.destinationOf('alice')).toEqual({ address: 'alice@corp.test', masked: 'a••••@corp.test' });
      // bob has no mobile: no SMS on offer, email still.
      await ldap.lookupUser!(LDAP_USERS.bob.uid);
      expect(await channels.sms_otp!.factor.listDevices('bob')).toEqual([]);
      expect(await channels.email_otp!.factor.listDevices('bob')).toHaveLength(1);
    } finally {
      await close();
    }
  });
});
