import type webpush from 'web-push';
import type { PushConfig } from '../../config/schema.js';
import type { Logger } from '../../core/logger.js';

export type WebPushResult = { ok: true } | { ok: false; gone: boolean; status?: number };

const SEND_TIMEOUT_MS = 5_000;

/** web-push (and its ASN.1 and JWS dependencies, ~3 MB resident) loads with the first push, not at boot. */
let library: Promise<typeof webpush> | undefined;
const loadWebPush = () => (library ??= import('web-push').then((m) => m.default));

/**
 * Web Push delivery (RFC 8291 aes128gcm payload, RFC 8292 VAPID). web-push builds and encrypts
 * the request; we send it ourselves with fetch, bounded by a timeout, so that any endpoint the
 * subscription names works the same (and a local one in tests).
 */
export function createWebPushSender(deps: { logger: Logger; fetch?: typeof fetch }, options: { vapid: NonNullable<PushConfig['vapid']> }) {
  const send = deps.fetch ?? fetch;
  const vapidDetails = { subject: options.vapid.subject, publicKey: options.vapid.public_key, privateKey: options.vapid.private_key };

  return {
    async deliver(subscriptionJson: string, payload: object, ttlSeconds: number): Promise<WebPushResult> {
      const subscription = JSON.parse(subscriptionJson) as webpush.PushSubscription;
      const details = (await loadWebPush()).generateRequestDetails(subscription, JSON.stringify(payload), {
        vapidDetails,
        TTL: Math.max(1, Math.ceil(ttlSeconds)),
        contentEncoding: 'aes128gcm',
        urgency: 'high',
      });
      try {
        // fetch sets the length itself (and undici refuses a numeric one); every other value as text.
        const headers = Object.fromEntries(
          Object.entries(details.headers)
            .filter(([name]) => name.toLowerCase() !== 'content-length')
            .map(([name, value]) => [name, String(value)]),
        );
        const response = await send(details.endpoint, {
          method: 'POST',
          headers,
          body: details.body === null ? null : new Uint8Array(details.body),
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
          redirect: 'error',
        });
        await response.body?.cancel();
        if (response.ok) return { ok: true };
        // 404/410: the push service forgot this subscription (the app was uninstalled, or it expired).
        return { ok: false, gone: response.status === 404 || response.status === 410, status: response.status };
      } catch (error) {
        deps.logger.warn({ err: (error as Error).message }, 'web push delivery failed');
        return { ok: false, gone: false };
      }
    },
  };
}

export type WebPushSender = ReturnType<typeof createWebPushSender>;
