import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSmsProvider, type SmsProvider } from '../../testing/sms-provider.js';
import { createSmsSender } from './sms-sender.js';

let provider: SmsProvider;
beforeAll(async () => {
  provider = await startSmsProvider();
});
afterAll(() => provider?.close());
beforeEach(() => provider.setMode('ok'));

const SID = `AC${'a1'.repeat(16)}`;
const message = { to: '+886912345678', code: '012345', site: 'wiki.corp.example', expiresMinutes: 5, text: '012345 is your code' };
const twilio = (overrides: object = {}) =>
  createSmsSender({ type: 'twilio', account_sid: SID, auth_token: 'tok-secret', from: '+15005550006', api_url: new URL(provider.url), ...overrides }, 2);
const webhook = (overrides: object = {}) =>
  createSmsSender(
    {
      type: 'webhook',
      url: new URL(`${provider.url}send`),
      method: 'POST',
      headers: [{ name: 'Authorization', value: 'Bearer hook-secret' }],
      content_type: 'application/json',
      body: '{"to":"{to}","text":"{text}","code":"{code}","site":"{site}","ttl":{expires}}',
      ...overrides,
    },
    2,
  );

describe('SMS senders', () => {
  it("speaks Twilio's Messages API: the account's path, Basic auth, form fields To, From, Body; 201 is sent", async () => {
    const sender = twilio();
    const arrived = provider.next();
    expect(await sender.send(message)).toEqual({ ok: true, id: `SM${'0'.repeat(32)}` });
    const req = await arrived;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${SID}:tok-secret`).toString('base64')}`);
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ To: '+886912345678', From: '+15005550006', Body: '012345 is your code' });
    await sender.close();
  });

  it('uses MessagingServiceSid instead of From for an MG… sender', async () => {
    const sender = twilio({ from: `MG${'b2'.repeat(16)}` });
    const arrived = provider.next();
    await sender.send(message);
    expect(Object.fromEntries(new URLSearchParams((await arrived).body))).toMatchObject({ MessagingServiceSid: `MG${'b2'.repeat(16)}` });
    await sender.close();
  });

  it('fills the webhook body, escaping each value for JSON so none can add a field', async () => {
    const sender = webhook();
    const arrived = provider.next();
    const evil = { ...message, site: 'x","admin":true,"y":"', text: 'line\nbreak "quoted" \\ back' };
    expect(await sender.send(evil)).toEqual({ ok: true });
    const req = await arrived;
    expect(req.path).toBe('/send');
    expect(req.headers.authorization).toBe('Bearer hook-secret');
    expect(JSON.parse(req.body)).toEqual({ to: '+886912345678', text: evil.text, code: '012345', site: evil.site, ttl: 5 });
    await sender.close();
  });

  it('form-encodes the values for a form webhook, with PUT', async () => {
    const sender = webhook({ content_type: 'application/x-www-form-urlencoded', method: 'PUT', body: 'to={to}&msg={text}' });
    const arrived = provider.next();
    await sender.send({ ...message, text: 'a&b=c d' });
    const req = await arrived;
    expect(req.method).toBe('PUT');
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ to: '+886912345678', msg: 'a&b=c d' });
    await sender.close();
  });

  it('a provider answering 500 is a refusal with its status, never its text', async () => {
    provider.setMode('fail');
    const sender = twilio();
    expect(await sender.send(message)).toEqual({ ok: false, reason: 'refused', status: 500 });
    await sender.close();
  });

  it('a provider that never answers is a timeout after the configured deadline, not a hang', async () => {
    provider.setMode('hang');
    const sender = twilio();
    expect(await sender.send(message)).toEqual({ ok: false, reason: 'timeout' });
    await sender.close();
  });

  it('a provider nobody listens for is unreachable', async () => {
    const sender = twilio({ api_url: new URL('http://127.0.0.1:1/') });
    expect(await sender.send(message)).toEqual({ ok: false, reason: 'unreachable' });
    await sender.close();
  });
});
