import { Agent, request } from 'undici';
import type { SmsOtpConfig } from '../../config/schema.js';

/** One SMS with a sign-in code. `text` is sms_otp.message filled in. */
export interface SmsMessage {
  to: string;
  code: string;
  site: string;
  expiresMinutes: number;
  text: string;
}

export type SmsDelivery =
  | { ok: true; id?: string }
  /** `status`: the provider's HTTP status when it answered. Never the provider's text: it may repeat the code. */
  | { ok: false; reason: 'timeout' | 'refused' | 'unreachable'; status?: number };

export interface SmsSender {
  send(message: SmsMessage): Promise<SmsDelivery>;
  close(): Promise<void>;
}

type SenderConfig = NonNullable<SmsOtpConfig['sender']>;

/**
 * Sends through the configured provider: a generic webhook, or Twilio's Messages API. Every
 * step is bounded by `timeoutSeconds` (connect, headers, body, and the whole exchange), so a
 * provider that hangs costs one timeout, never a stuck sign-in.
 */
export function createSmsSender(config: SenderConfig, timeoutSeconds: number): SmsSender {
  const timeout = timeoutSeconds * 1000;
  const dispatcher = new Agent({ connect: { timeout }, headersTimeout: timeout, bodyTimeout: timeout, keepAliveTimeout: 10_000 });
  const build = config.type === 'twilio' ? twilioRequest(config) : webhookRequest(config);

  return {
    async send(message) {
      const { url, method, headers, body } = build(message);
      try {
        const response = await request(url, { method, headers, body, dispatcher, signal: AbortSignal.timeout(timeout) });
        const text = await response.body.text();
        if (response.statusCode < 200 || response.statusCode > 299) return { ok: false, reason: 'refused', status: response.statusCode };
        return { ok: true, ...providerId(config, text) };
      } catch (error) {
        const name = (error as Error).name;
        const code = (error as { code?: string }).code ?? '';
        if (name === 'TimeoutError' || name === 'AbortError' || /TIMEOUT/.test(code)) return { ok: false, reason: 'timeout' };
        return { ok: false, reason: 'unreachable' };
      }
    },
    close: () => dispatcher.close(),
  };
}

interface OutgoingRequest {
  url: string;
  method: 'POST' | 'PUT';
  headers: Record<string, string>;
  body: string;
}

/** Twilio Programmable Messaging, "Create a Message": form-encoded To, From or MessagingServiceSid, Body; 201 with the message's sid. */
function twilioRequest(config: Extract<SenderConfig, { type: 'twilio' }>): (message: SmsMessage) => OutgoingRequest {
  const url = new URL(`2010-04-01/Accounts/${config.account_sid}/Messages.json`, config.api_url).href;
  const authorization = `Basic ${Buffer.from(`${config.account_sid}:${config.auth_token}`).toString('base64')}`;
  const from: Record<string, string> = config.from.startsWith('MG') ? { MessagingServiceSid: config.from } : { From: config.from };
  return (message) => ({
    url,
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ To: message.to, ...from, Body: message.text }).toString(),
  });
}

/**
 * The webhook: `body` with {to}, {code}, {site}, {expires} and {text} replaced, each escaped for
 * the content type (inside a JSON string, or form-urlencoded), so no value can add a field.
 */
function webhookRequest(config: Extract<SenderConfig, { type: 'webhook' }>): (message: SmsMessage) => OutgoingRequest {
  const headers = Object.fromEntries(config.headers.map((h) => [h.name.toLowerCase(), h.value]));
  const escape = config.content_type === 'application/json' ? (v: string) => JSON.stringify(v).slice(1, -1) : encodeURIComponent;
  return (message) => {
    const values: Record<string, string> = { to: message.to, code: message.code, site: message.site, expires: String(message.expiresMinutes), text: message.text };
    const body = config.body.replace(/\{(to|code|site|expires|text)\}/g, (_, name: string) => escape(values[name]!));
    return { url: config.url.href, method: config.method, headers: { ...headers, 'content-type': config.content_type }, body };
  };
}

function providerId(config: SenderConfig, text: string): { id?: string } {
  if (config.type !== 'twilio') return {};
  try {
    const sid = (JSON.parse(text) as { sid?: unknown }).sid;
    return typeof sid === 'string' && /^[A-Za-z0-9]{1,64}$/.test(sid) ? { id: sid } : {};
  } catch {
    return {};
  }
}
