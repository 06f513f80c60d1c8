import { describe, expect, it } from 'vitest';
import { TEST_ASSETS } from './testing/test-assets.js';
import { createTranslator, type Locale } from '../i18n.js';
import { renderMethodsPage, type MethodsPageDevice, type MethodsPageModel } from './methods-page.js';

const AT = Date.UTC(2026, 0, 2, 9, 5);
const APP: MethodsPageDevice = { id: 'dev-app', kind: 'totp', name: 'Work phone', serial: null, createdAt: AT, lastUsedAt: AT + 3_600_000, driftSeconds: 240 };
const TOKEN: MethodsPageDevice = { id: 'dev-token', kind: 'hotp', name: 'Token', serial: '00420042', createdAt: AT, lastUsedAt: null, driftSeconds: null };

const render = (overrides: Partial<MethodsPageModel> = {}, locale: Locale = 'en') =>
  renderMethodsPage({
    t: createTranslator(locale),
    locale,
    basePath: '/auth/',
    assets: TEST_ASSETS,
    csrfToken: 'tok',
    user: { username: 'ada', displayName: 'Ada Lovelace' },
    devices: [APP, TOKEN],
    recoveryCodes: { enabled: true, remaining: 7, total: 10 },
    canManage: true,
    confirmUrl: '/auth/second-factor?rd=%2Fauth%2Fmethods',
    totpEnabled: true,
    requiresSecondFactor: true,
    timeZone: 'UTC',
    ...overrides,
  });

const forms = (out: string, action: string) => [...out.matchAll(new RegExp(`<form[^>]* method="post" action="/auth/${action}"[^>]*>([\\s\\S]*?)</form>`, 'g'))].map((m) => m[1]!);
const devices = (out: string) => [...out.matchAll(/<li class="device">([\s\S]*?)<\/li>/g)].map((m) => m[1]!);

describe('renderMethodsPage', () => {
  it('lists each device with its kind, name, dates and clock drift', () => {
    const [app, token] = devices(render());
    expect(app).toContain('<h3 id="device-0-name">Work phone</h3>');
    expect(app).toContain('<dt>Type</dt><dd>Authenticator app</dd>');
    expect(app).toContain('<dt>Added</dt><dd><time datetime="2026-01-02T09:05:00.000Z">Jan 2, 2026, 9:05 AM UTC</time></dd>');
    expect(app).toContain('<dt>Last used</dt><dd><time datetime="2026-01-02T10:05:00.000Z">Jan 2, 2026, 10:05 AM UTC</time></dd>');
    expect(app).toContain('<dt>Phone clock</dt><dd>4 minutes fast</dd>');
    expect(token).toContain('<dt>Type</dt><dd>Hardware token (HOTP), serial 00420042</dd>');
    expect(token).toContain('<dt>Last used</dt><dd>Not used yet</dd>');
    expect(token).not.toContain('Phone clock');
  });

  it.each([
    [null, undefined],
    [0, undefined],
    [30, '30 seconds fast'],
    [-600, '10 minutes slow'],
  ])('shows drift %s as %s', (driftSeconds, text) => {
    const out = render({ devices: [{ ...APP, driftSeconds }] });
    if (text) expect(out).toContain(`<dt>Phone clock</dt><dd>${text}</dd>`);
    else expect(out).not.toContain('Phone clock');
  });

  it('gives every device a rename form (device, name up to 64) and a remove form (device), each with the csrf token', () => {
    const out = render();
    const renames = forms(out, 'methods/rename');
    const removes = forms(out, 'methods/remove');
    expect(renames).toHaveLength(2);
    expect(removes).toHaveLength(2);
    for (const [i, device] of [APP, TOKEN].entries()) {
      for (const form of [renames[i]!, removes[i]!]) {
        expect(form).toContain('<input type="hidden" name="csrf" value="tok">');
        expect(form).toContain(`<input type="hidden" name="device" value="${device.id}">`);
      }
      expect(renames[i]).toContain(`<label for="rename-${i}">Name</label>`);
      expect(renames[i]).toContain(`<input id="rename-${i}" name="name" type="text" value="${device.name}" maxlength="64" autocomplete="off" required>`);
      expect(renames[i]).toContain(`aria-describedby="device-${i}-name">Rename</button>`);
      expect(removes[i]).toContain(`aria-describedby="device-${i}-name remove-${i}-hint">Remove this device</button>`);
    }
  });

  it('puts removing behind a closed disclosure, a second deliberate click', () => {
    const out = render();
    expect(out.match(/<details class="danger">\n<summary aria-describedby="device-\d-name">Remove<\/summary>/g)).toHaveLength(2);
    expect(out).not.toContain('<details class="danger" open');
  });

  it('warns before the last device goes when a rule needs a second factor', () => {
    const out = render({ devices: [APP], requiresSecondFactor: true });
    const [remove] = forms(out, 'methods/remove');
    const warning =
      '<p id="remove-0-hint" class="warning">This is your last second factor. You will not be able to sign in to sites that need a second factor until you set up another.</p>';
    expect(remove).toContain(warning);
    expect(remove).toContain('aria-describedby="device-0-name remove-0-hint"');
  });

  it('counts phones and passkeys as second factors: the last warning is for the last of all of them', () => {
    const PHONE = { id: 'phone-1', name: 'Pixel', createdAt: AT, lastUsedAt: null };
    const onlyPhone = render({ devices: [], push: { enabled: true, phones: [PHONE] } });
    const [removePhone] = forms(onlyPhone, 'methods/push/remove');
    expect(removePhone).toContain('<p id="phone-remove-0-hint" class="warning">');
    expect(removePhone).toContain('aria-describedby="phone-0-name phone-remove-0-hint"');
    // Not yet confirmed: a user whose only factor is a phone is asked to use it, not to enroll one.
    const locked = render({ devices: [], canManage: false, push: { enabled: true, phones: [PHONE] } });
    expect(locked).toContain('confirm it&#39;s you with your second factor first');

    const appAndPhone = render({ devices: [APP], push: { enabled: true, phones: [PHONE] } });
    expect(appAndPhone).not.toContain('class="warning"');
    expect(forms(appAndPhone, 'methods/push/remove')[0]).toContain('class="hint"');
    expect(forms(appAndPhone, 'methods/remove')[0]).toContain('<p id="remove-0-hint" class="hint">');
  });

  it.each([
    ['two devices remain', [APP, TOKEN], true],
    ['no rule needs a second factor', [APP], false],
  ] as const)('does not warn when %s', (_name, list, requiresSecondFactor) => {
    const out = render({ devices: [...list], requiresSecondFactor });
    expect(out).not.toContain('class="warning"');
    expect(out).not.toContain('until you set up another');
    expect(out).toContain('<p id="remove-0-hint" class="hint">You will no longer be able to sign in with it.</p>');
  });

  it('in zh-TW warns before the last device goes', () => {
    expect(render({ devices: [TOKEN] }, 'zh-TW')).toContain('在設定新的驗證方式之前，您將無法登入需要第二道驗證的網站。');
  });

  it('without a fresh second factor shows the list read-only and links to confirm first (ASVS 7.5.1)', () => {
    const out = render({ canManage: false });
    expect(out).not.toContain('<form');
    expect(out).not.toContain('<details');
    expect(out).not.toContain('name="csrf"');
    expect(devices(out)).toHaveLength(2);
    expect(out).toContain('<h3 id="device-1-name">Token</h3>');
    expect(out).toContain('<div class="notice">\n<p>To change your sign-in methods, confirm it&#39;s you with your second factor first.</p>');
    expect(out).toContain('<a class="button button-primary" href="/auth/second-factor?rd&#61;%2Fauth%2Fmethods">Confirm it&#39;s you</a>');
    expect(out).toContain('<p class="count">7 of 10 left</p>');
  });

  it('after a refused change says so in an alert', () => {
    const out = render({ canManage: false, notice: 'needs_fresh_factor' });
    expect(out).toContain('<div class="notice" role="alert">\n<p>To change your sign-in methods');
  });

  it('read-only without any device asks to confirm before adding one', () => {
    const out = render({ canManage: false, devices: [] });
    expect(out).toContain('<p>To add a sign-in method, first confirm it&#39;s you.</p>');
    expect(out).toContain('You have no authenticator app or hardware token set up.');
    expect(out).toContain('Some sites you use need a second factor.');
  });

  it.each(['javascript:alert(1)', '//evil.example/', ''])('does not link to the confirm URL %j', (confirmUrl) => {
    const out = render({ canManage: false, confirmUrl });
    expect(out).toContain('To change your sign-in methods');
    expect(out).not.toContain('Confirm it&#39;s you</a>');
    expect(out).not.toMatch(/javascript:|evil/);
  });

  it('can manage: no confirm notice', () => {
    expect(render()).not.toContain('To change your sign-in methods');
  });

  it.each([
    ['added', 'Your authenticator app was added.'],
    ['renamed', 'The device was renamed.'],
    ['removed', 'The device was removed.'],
    ['codes_regenerated', 'New recovery codes were created. Your old codes no longer work.'],
    ['codes_created', 'Your recovery codes were created. Keep them somewhere safe.'],
    ['webauthn_added', 'Your passkey or security key was added.'],
    ['push_added', 'Your phone was added.'],
  ] as const)('announces %s in a status region', (notice, text) => {
    expect(render({ notice })).toContain(`<div class="notice notice-success" role="status"><p>${text}</p></div>`);
  });

  it.each(['__proto__', 'toString', 'deleted_everything'])('ignores an unknown notice %j', (notice) => {
    const out = render({ notice: notice as never });
    expect(out).not.toContain('role="status"');
    expect(out).not.toContain(notice);
  });

  it('offers to add an authenticator app with a default name, when allowed', () => {
    const out = render();
    const [form] = forms(out, 'methods/totp/start');
    expect(form).toContain('<input type="hidden" name="csrf" value="tok">');
    expect(form).toContain('<input id="totp-name" name="name" type="text" value="Authenticator app" maxlength="64"');
    expect(form).toContain('<label for="totp-name">Name</label>');
    expect(form).toContain('>Add authenticator app</button>');
    expect(render({}, 'zh-TW')).toContain('value="驗證器應用程式"');
    expect(forms(render({ totpEnabled: false }), 'methods/totp/start')).toHaveLength(0);
    expect(forms(render({ canManage: false }), 'methods/totp/start')).toHaveLength(0);
  });

  it.each([
    ['en', 7, 10, '7 of 10 left'],
    ['en', 0, 10, '0 of 10 left'],
    ['zh-TW', 3, 10, '剩餘 3 組，共 10 組'],
  ] as const)('in %s counts recovery codes: %i of %i', (locale, remaining, total, text) => {
    expect(render({ recoveryCodes: { enabled: true, remaining, total } }, locale)).toContain(`<p class="count">${text}</p>`);
  });

  it('regenerates recovery codes by POST, saying the old ones stop working', () => {
    const [form] = forms(render(), 'methods/recovery-codes');
    expect(form).toContain('<input type="hidden" name="csrf" value="tok">');
    expect(form).toContain('aria-describedby="recovery-regenerate-hint">Create new recovery codes</button>');
    expect(form).toContain('Your current codes stop working as soon as new ones are created.');
  });

  it('offers to create recovery codes when there are none yet', () => {
    const out = render({ recoveryCodes: { enabled: true, remaining: 0, total: 0 } });
    expect(out).toContain('You have no recovery codes yet.');
    expect(forms(out, 'methods/recovery-codes')[0]).toContain('>Create recovery codes</button>');
  });

  it('leaves recovery codes out when they are turned off', () => {
    const out = render({ recoveryCodes: { enabled: false, remaining: 0, total: 0 } });
    expect(out).not.toContain('recovery-heading');
    expect(forms(out, 'methods/recovery-codes')).toHaveLength(0);
  });

  it('names the account, with or without a display name', () => {
    expect(render()).toContain('Signed in as Ada Lovelace (ada)');
    expect(render({ user: { username: 'bob', displayName: '' } })).toContain('Signed in as bob</p>');
    expect(render({}, 'zh-TW')).toContain('目前登入的帳號：Ada Lovelace（ada）');
  });

  it('is translated', () => {
    const out = render({}, 'zh-TW');
    expect(out).toContain('<h1 id="page-heading">我的登入方式</h1>');
    expect(out).toContain('<dd>硬體權杖（HOTP），序號 00420042</dd>');
    expect(out).toContain('<dd>快了 4 分鐘</dd>');
    expect(out).toContain('<h2 id="recovery-heading">復原碼</h2>');
  });
});
