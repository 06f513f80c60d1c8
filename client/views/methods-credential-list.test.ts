import { describe, expect, it } from 'vitest';
import { TEST_ASSETS, testScriptTag } from './testing/test-assets.js';
import { createTranslator, type Locale } from '../i18n.js';
import { describeCredentialKind, type MethodsPageCredential } from './methods-credential-list.js';
import { renderMethodsPage, type MethodsPageDevice, type MethodsPageModel } from './methods-page.js';

const AT = Date.UTC(2026, 0, 2, 9, 5);
const LAPTOP: MethodsPageCredential = {
  id: 'cred-laptop',
  name: 'Work laptop',
  authenticatorName: 'Windows Hello',
  discoverable: true,
  backupEligible: false,
  backedUp: false,
  createdAt: AT,
  lastUsedAt: AT + 3_600_000,
};
const KEY: MethodsPageCredential = {
  id: 'cred-key',
  name: 'Blue key',
  authenticatorName: null,
  discoverable: false,
  backupEligible: false,
  backedUp: false,
  createdAt: AT,
  lastUsedAt: null,
};
const APP: MethodsPageDevice = { id: 'dev-app', kind: 'totp', name: 'Work phone', serial: null, createdAt: AT, lastUsedAt: null, driftSeconds: null };

const render = (overrides: Partial<MethodsPageModel> = {}, locale: Locale = 'en') =>
  renderMethodsPage({
    t: createTranslator(locale),
    locale,
    basePath: '/auth/',
    assets: TEST_ASSETS,
    csrfToken: 'tok',
    user: { username: 'ada', displayName: 'Ada Lovelace' },
    devices: [APP],
    recoveryCodes: { enabled: true, remaining: 7, total: 10 },
    canManage: true,
    confirmUrl: '/auth/second-factor?rd=%2Fauth%2Fmethods',
    totpEnabled: true,
    requiresSecondFactor: true,
    timeZone: 'UTC',
    webauthn: { enabled: true, credentials: [LAPTOP, KEY] },
    ...overrides,
  });

const forms = (out: string, action: string) => [...out.matchAll(new RegExp(`<form[^>]* method="post" action="/auth/${action}"[^>]*>([\\s\\S]*?)</form>`, 'g'))].map((m) => m[1]!);
const section = (out: string) => /<section class="card" aria-labelledby="webauthn-heading">[\s\S]*?<\/section>/.exec(out)?.[0] ?? '';
const items = (out: string) => [...section(out).matchAll(/<li class="device">([\s\S]*?)<\/li>/g)].map((m) => m[1]!);
const addBlock = (out: string) => /<div class="webauthn"[^>]*>[\s\S]*?<\/form>\n<\/div>/.exec(out)?.[0] ?? '';

describe('passkeys and security keys on "My sign-in methods"', () => {
  it('has no section, script or data when WebAuthn is off or not given', () => {
    for (const out of [render({ webauthn: undefined }), render({ webauthn: { enabled: false, credentials: [LAPTOP] } })]) {
      expect(out).not.toContain('webauthn');
      expect(out.match(/<script[^>]*>[^<]*<\/script>/g)).toEqual([testScriptTag('/auth/', 'local-time')]);
      expect(out).not.toContain('Passkeys and security keys');
    }
  });

  it('lists each credential with its name, kind, storage and dates, before the OTP devices', () => {
    const out = render();
    expect(out).toContain('<h2 id="webauthn-heading">Passkeys and security keys</h2>');
    expect(out.indexOf('webauthn-heading')).toBeLessThan(out.indexOf('devices-heading'));
    const [laptop, key] = items(out);
    expect(laptop).toContain('<h3 id="credential-0-name">Work laptop</h3>');
    expect(laptop).toContain('<dt>Type</dt><dd>Windows Hello</dd>');
    expect(laptop).toContain('<dt>Stored</dt><dd>Only on this device or key</dd>');
    expect(laptop).toContain('<dt>Added</dt><dd><time datetime="2026-01-02T09:05:00.000Z">Jan 2, 2026, 9:05 AM UTC</time></dd>');
    expect(laptop).toContain('<dt>Last used</dt><dd><time datetime="2026-01-02T10:05:00.000Z">Jan 2, 2026, 10:05 AM UTC</time></dd>');
    expect(key).toContain('<dt>Type</dt><dd>Security key</dd>');
    expect(key).toContain('<dt>Last used</dt><dd>Not used yet</dd>');
  });

  it.each([
    ['the allow-list name first', { authenticatorName: 'YubiKey 5 NFC', backupEligible: true, discoverable: true }, 'YubiKey 5 NFC'],
    ['a synced passkey', { authenticatorName: null, backupEligible: true, discoverable: true }, 'Synced passkey'],
    ['a device-bound passkey', { authenticatorName: null, backupEligible: false, discoverable: true }, 'Passkey'],
    ['a non-discoverable key', { authenticatorName: null, backupEligible: false, discoverable: false }, 'Security key'],
    ['an unknown kind', { authenticatorName: null, backupEligible: false, discoverable: null }, 'Passkey or security key'],
    ['an empty allow-list name as unknown', { authenticatorName: '', backupEligible: false, discoverable: null }, 'Passkey or security key'],
  ] as const)('names its kind: %s', (_name, over, label) => {
    expect(describeCredentialKind(createTranslator('en'), { ...KEY, ...over })).toBe(label);
  });

  it.each([
    [false, false, 'Only on this device or key'],
    [true, true, 'Synced to your other devices'],
    [true, false, 'Can be synced; not backed up yet'],
  ])('says where it is stored: eligible %s, backed up %s', (backupEligible, backedUp, text) => {
    expect(items(render({ webauthn: { enabled: true, credentials: [{ ...KEY, backupEligible, backedUp }] } }))[0]).toContain(`<dt>Stored</dt><dd>${text}</dd>`);
  });

  it('gives every credential a rename form (credential, name up to 64) and a remove form (credential), each with the csrf token', () => {
    const out = render();
    const renames = forms(out, 'methods/webauthn/rename');
    const removes = forms(out, 'methods/webauthn/remove');
    expect(renames).toHaveLength(2);
    expect(removes).toHaveLength(2);
    for (const [i, credential] of [LAPTOP, KEY].entries()) {
      for (const form of [renames[i]!, removes[i]!]) {
        expect(form).toContain('<input type="hidden" name="csrf" value="tok">');
        expect(form).toContain(`<input type="hidden" name="credential" value="${credential.id}">`);
        expect(form).not.toContain('name="device"');
      }
      expect(renames[i]).toContain(`<label for="credential-rename-${i}">Name</label>`);
      expect(renames[i]).toContain(`<input id="credential-rename-${i}" name="name" type="text" value="${credential.name}" maxlength="64" autocomplete="off" required>`);
      expect(renames[i]).toContain(`aria-describedby="credential-${i}-name">Rename</button>`);
      expect(removes[i]).toContain(`aria-describedby="credential-${i}-name credential-remove-${i}-hint">Remove this passkey or key</button>`);
    }
    expect(out.match(/<details class="danger">\n<summary aria-describedby="credential-\d-name">Remove<\/summary>/g)).toHaveLength(2);
  });

  it('escapes hostile names, ids and allow-list names everywhere', () => {
    const evil = '"><script>alert(1)</script><img src=x onerror=alert(1)>';
    const escaped = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src&#61;x onerror&#61;alert(1)&gt;';
    const out = render({ webauthn: { enabled: true, credentials: [{ ...LAPTOP, id: evil, name: evil, authenticatorName: evil }] } });
    expect(out).toContain(`<h3 id="credential-0-name">${escaped}</h3>`);
    expect(out).toContain(`<dd>${escaped}</dd>`);
    expect(out).toContain(`<input type="hidden" name="credential" value="${escaped}">`);
    expect(out).toContain(`value="${escaped}" maxlength="64"`);
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<img src=x');
  });

  it.each([
    ['the last credential, no OTP device', { devices: [], credentials: [KEY] }, 'credential-remove-0-hint', true],
    ['a credential beside an OTP device', { devices: [APP], credentials: [KEY] }, 'credential-remove-0-hint', false],
    ['the last OTP device beside a credential', { devices: [APP], credentials: [KEY] }, 'remove-0-hint', false],
    ['one of two credentials', { devices: [], credentials: [KEY, LAPTOP] }, 'credential-remove-0-hint', false],
  ] as const)('warns before the last second factor goes: %s → %s', (_name, { devices, credentials }, hint, warns) => {
    const out = render({ devices: [...devices], webauthn: { enabled: true, credentials: [...credentials] } });
    expect(out).toContain(`<p id="${hint}" class="${warns ? 'warning' : 'hint'}">`);
  });

  it('does not say "some sites need a second factor" under empty OTP devices when a passkey is there', () => {
    expect(render({ devices: [] })).not.toContain('Some sites you use need a second factor.');
    expect(render({ devices: [], webauthn: { enabled: true, credentials: [] } })).toContain('Some sites you use need a second factor.');
  });

  it('says when there is none yet', () => {
    expect(section(render({ webauthn: { enabled: true, credentials: [] } }))).toContain('<p class="muted">You have no passkey or security key set up.</p>');
  });

  it.each([
    ['en', 'Add a passkey or security key', 'Name'],
    ['zh-TW', '新增通行密鑰或安全金鑰', '名稱'],
  ] as const)('in %s offers to add one, hidden until the script shows it', (locale, heading, label) => {
    const out = render({}, locale);
    const block = addBlock(out);
    expect(block).toMatch(/^<div class="webauthn" data-webauthn="register" data-base-path="\/auth\/" data-csrf="tok" data-messages="\{[^"]*\}" hidden>/);
    expect(block).toContain(`<h3 id="webauthn-add-heading">${heading}</h3>`);
    expect(block).toContain('<div id="webauthn-alert" class="alert-slot"></div>');
    expect(block).toContain('<form id="webauthn-register" class="form" aria-labelledby="webauthn-add-heading">');
    expect(block).toContain(`<label for="webauthn-name">${label}</label>`);
    expect(block).toContain('<input id="webauthn-name" name="name" type="text" maxlength="64" autocomplete="off" required aria-describedby="webauthn-name-hint">');
    expect(block).toMatch(/<button id="webauthn-start" type="submit" class="button button-primary">[^<]+<\/button>/);
    // The script sends the name itself; the form must not post anywhere.
    expect(block).not.toMatch(/<form[^>]*(method|action)=/);
    expect(out).toContain('<p id="webauthn-fallback" class="hint">');
    expect(out.match(/<script[^>]*>[^<]*<\/script>/g)).toEqual([testScriptTag('/auth/', 'webauthn+local-time')]);
  });

  it('read-only: lists credentials without forms, without the add block and without the script', () => {
    const out = render({ canManage: false });
    expect(items(out)).toHaveLength(2);
    expect(section(out)).not.toContain('<form');
    expect(out).not.toContain('data-webauthn');
    expect(out).not.toContain('webauthn-fallback');
    expect(out).not.toContain('static/webauthn.js');
    expect(out).toContain('To change your sign-in methods, confirm it&#39;s you with your second factor first.');
  });

  it('read-only with only a passkey asks to confirm, not to enroll', () => {
    expect(render({ canManage: false, devices: [], webauthn: { enabled: true, credentials: [KEY] } })).toContain('To change your sign-in methods');
    expect(render({ canManage: false, devices: [], webauthn: { enabled: true, credentials: [] } })).toContain('To add a sign-in method, first confirm it&#39;s you.');
  });

  it.each([
    ['webauthn_added', 'Your passkey or security key was added.', '已新增通行密鑰或安全金鑰。'],
    ['webauthn_renamed', 'The passkey or security key was renamed.', '已重新命名通行密鑰或安全金鑰。'],
    ['webauthn_removed', 'The passkey or security key was removed.', '已移除通行密鑰或安全金鑰。'],
  ] as const)('confirms %s', (notice, en, zh) => {
    expect(render({ notice })).toContain(`<div class="notice notice-success" role="status"><p>${en}</p></div>`);
    expect(render({ notice }, 'zh-TW')).toContain(`<p>${zh}</p>`);
  });

  it('is translated, with the Taiwan terms', () => {
    const out = render({ webauthn: { enabled: true, credentials: [{ ...KEY, backupEligible: true, backedUp: true }] } }, 'zh-TW');
    expect(out).toContain('<h2 id="webauthn-heading">通行密鑰與安全金鑰</h2>');
    expect(out).toContain('<dd>同步的通行密鑰</dd>');
    expect(out).toContain('<dt>儲存位置</dt><dd>已同步到您的其他裝置</dd>');
    expect(out).toContain('>移除此通行密鑰或金鑰</button>');
  });
});
