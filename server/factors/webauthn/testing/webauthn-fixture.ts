import { createAuditLog } from '../../../audit/create-audit-log.js';
import { configSchema } from '../../../config/schema.js';
import { createFixedClock } from '../../../core/clock.js';
import { createLogger } from '../../../core/logger.js';
import { createMemoryKv } from '../../../kv/memory-kv.js';
import type { Storage } from '../../../storage/storage.js';
import { openTestStorage } from '../../../storage/testing/test-storage.js';
import { createWebAuthnService, type WebAuthnService } from '../webauthn-service.js';
import { createSoftAuthenticator, type Overrides, type SoftAuthenticatorOptions } from './soft-authenticator.js';

export const PORTAL = new URL('https://login.example.com/');
export const ORIGIN = 'https://login.example.com';
export const NOW = Date.UTC(2026, 0, 1);
export const YUBIKEY = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
export const HELLO = '08987058-cadc-4b81-b6e1-30de50dcbe96';

/** The webauthn block as the config loader would produce it from `overrides`. */
export function webauthnConfig(overrides: Record<string, unknown> = {}) {
  return configSchema.parse({
    server: { portal_url: PORTAL.href },
    authentication: { users_file: 'users.yml' },
    session: { store: 'memory' },
    second_factors: { webauthn: overrides },
  }).second_factors.webauthn;
}

export interface LogLine {
  level: string;
  msg: string;
  event?: string;
  [key: string]: unknown;
}

/** A service on real (in-memory SQLite) storage and a memory Kv, with its log lines captured. */
export function createWebAuthnFixture(config: Record<string, unknown> = {}, options: { storage?: Storage } = {}) {
  const clock = createFixedClock(NOW);
  const storage = options.storage ?? openTestStorage();
  const kv = createMemoryKv({ clock });
  const lines: LogLine[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } });
  const audit = createAuditLog({ storage, logger, clock });
  const service: WebAuthnService = createWebAuthnService({ storage, kv, logger, audit }, { config: webauthnConfig(config), portalUrl: PORTAL });
  const authenticator = (opts: Partial<SoftAuthenticatorOptions> = {}) => createSoftAuthenticator({ origin: ORIGIN, ...opts });

  /** Options, the authenticator's answer and the verification, as a page would run them. */
  async function register(device: ReturnType<typeof authenticator>, input: { username?: string; binding?: string; name?: unknown; overrides?: Overrides } = {}) {
    const username = input.username ?? 'alice';
    const binding = input.binding ?? `session-of-${username}`;
    const creation = await service.registrationOptions({ username, binding, now: clock.now() });
    const response = device.register(creation, input.overrides);
    const result = await service.verifyRegistration({ username, binding, response, name: input.name ?? 'My key', now: clock.now() });
    return { creation, response, result };
  }

  async function signIn(device: ReturnType<typeof authenticator>, input: { username?: string; binding?: string; overrides?: Overrides; passwordless?: boolean } = {}) {
    const username = input.passwordless ? undefined : (input.username ?? 'alice');
    const binding = input.binding ?? `session-of-${username ?? 'nobody'}`;
    const request = await service.authenticationOptions({ username, binding, now: clock.now() });
    const response = device.authenticate(request, input.overrides);
    const result = await service.verifyAuthentication({ username, binding, response, now: clock.now() });
    return { request, response, result };
  }

  return { clock, storage, kv, lines, service, authenticator, register, signIn };
}

export type WebAuthnFixture = ReturnType<typeof createWebAuthnFixture>;
