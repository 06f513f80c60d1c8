import webpush from 'web-push';
import { APP, PORTAL, browser, startGatewayHarness, type Browser, type GatewayHarness, type HarnessConfig } from '../../../testing/gateway-harness.js';

export { browser, type Browser };
import { csrfFieldOf } from '../../../testing/http-client.js';
import { createSoftCompanion, type SoftCompanion } from './soft-companion.js';

export const SECURE = `http://${APP}/secure/vault`;
export const API = '/api/push/v1';

/** A gateway with push enabled (and VAPID keys), on its own Redis: counters never leak between suites. */
export async function startPushHarness(
  push: Record<string, unknown> = {},
  configure?: (c: HarnessConfig) => void,
): Promise<GatewayHarness & { vapid: { publicKey: string; privateKey: string } }> {
  const vapid = webpush.generateVAPIDKeys();
  const h = await startGatewayHarness({
    configure: (c) => {
      Object.assign(c, {
        second_factors: { push: { enabled: true, vapid: { public_key: vapid.publicKey, private_key: vapid.privateKey, subject: 'mailto:security@corp.example' }, ...push } },
      });
      configure?.(c);
    },
  });
  return Object.assign(h, { vapid });
}

/** JSON to the companion API, as the phone sends it. */
export async function api(h: GatewayHarness, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await h.request({
    method,
    path: `${API}${path}`,
    host: PORTAL,
    headers: { ...(text !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: text,
  });
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    // 204 and the event stream have no JSON body.
  }
  return { ...res, json };
}

/** Enrolls a soft companion for `username` through the real API; returns it with its device id. */
export async function enrollPhone(h: GatewayHarness, username: string, options: { endpoint?: string; name?: string } = {}): Promise<SoftCompanion> {
  const phone = createSoftCompanion(options);
  const { token } = await h.gateway.ctx.push!.startEnrollment(username);
  const res = await api(h, 'POST', '/enroll', { token, publicKey: phone.publicKey, name: options.name ?? 'Test phone', subscription: phone.subscription });
  if (res.status !== 201) throw new Error(`enrollment failed: ${res.status} ${res.body}`);
  phone.deviceId = res.json.deviceId as string;
  return phone;
}

/** Signs in with the password and asks for a push to `phone`; returns the browser, the approval id and the number shown. */
export async function requestPush(h: GatewayHarness, username: string, phone: SoftCompanion, rd = SECURE) {
  const user = browser(h, await h.signIn(username));
  return { user, ...(await askAgain(user, phone, rd)) };
}

export async function askAgain(user: Browser, phone: SoftCompanion, rd = SECURE) {
  const page = await user.get(`/second-factor?rd=${encodeURIComponent(rd)}`);
  const csrf = csrfFieldOf(page.body)!;
  const wait = await user.post('/second-factor/push', { csrf, device: phone.deviceId, rd });
  const approvalId = /second-factor\/push\/([A-Za-z0-9_-]{22})"/.exec(wait.body)?.[1];
  const number = /id="push-number">(\d{2})</.exec(wait.body)?.[1];
  return { wait, csrf, approvalId: approvalId!, number: number! };
}
