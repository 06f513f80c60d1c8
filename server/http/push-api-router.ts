import express, { type Request, type Response } from 'express';
import { APPROVAL_ID, parseAuthorizationHeader, parseSignedQuery, type DeviceCredentials } from '../../client/companion/push-wire-format.js';
import type { PushService } from '../factors/push/push-service.js';
import { allowsLoopbackPush, hasOnlyKeys, isPlainObject, parseSubscription } from '../factors/push/push-wire.js';
import { oweRecoveryCodes } from '../factors/recovery/owed-recovery-codes.js';
import type { PushDevice } from '../storage/storage.js';
import { apiNotFound, createApiErrorHandler, sendApiError } from './api-errors.js';
import type { GatewayContext } from './context.js';
import { factorsOf, hasNoSecondFactor } from './methods-router.js';
import { requestIdOf } from './pages.js';
import { clientIpOf } from './portal-session.js';

const BODY_LIMIT = 16 * 1024;
const PING_MS = 15_000;

/**
 * The companion's JSON API (docs/push-api.md): enrollment, device-signed calls, the live
 * channel as server-sent events, and answers. Errors come from the JSON error catalogue
 * (core/api-errors.ts): `{ error }` with the code's status.
 */
export function createPushApiRouter(ctx: GatewayContext, push: PushService): express.Router {
  const router = express.Router();
  // Raw bytes: device signatures cover the body exactly as sent.
  const raw = express.raw({ type: () => true, limit: BODY_LIMIT });

  const send = (res: Response, status: number, body?: object) => {
    res.status(status).set('cache-control', 'no-store');
    if (body === undefined) return void res.end();
    res.json({ ...body, ...(status < 400 ? { serverTime: ctx.clock.now() } : {}) });
  };
  const meta = (req: Request, res: Response) => ({ clientIp: clientIpOf(ctx, req), userAgent: req.headers['user-agent'], requestId: requestIdOf(res) });
  const bodyOf = (req: Request): Buffer => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
  const jsonOf = (req: Request): unknown => {
    try {
      return JSON.parse(bodyOf(req).toString('utf8'));
    } catch {
      return undefined;
    }
  };

  /** The device of a signed request; undefined: answered already with 401. */
  async function device(req: Request, res: Response, credentials: DeviceCredentials | undefined) {
    const path = new URL(req.originalUrl, ctx.portal.origin).pathname;
    const result = await push.authenticateDevice({ credentials, method: req.method, path, body: bodyOf(req) });
    if (!result.ok) return void sendApiError(res, 'bad_signature');
    return result.device;
  }
  const fromHeader = (req: Request) => parseAuthorizationHeader(req.headers.authorization);

  router.get('/config', (_req, res) => send(res, 200, { vapidPublicKey: push.vapidPublicKey, appLock: push.appLockRequired }));

  /** The app lock's credential options for an enrollment link (the link stays valid for the enrollment itself). */
  router.post('/enroll/app-lock', raw, async (req, res) => {
    const body = jsonOf(req);
    if (!isPlainObject(body) || !hasOnlyKeys(body, ['token'])) return sendApiError(res, 'malformed');
    if (!push.appLockRequired) return sendApiError(res, 'not_found');
    const options = await push.appLockOptions(body.token);
    if (!options) return sendApiError(res, 'enrollment_expired');
    send(res, 200, { options });
  });

  /** A first phone comes with recovery codes, like any first factor: the portal shows them next time (a phone's offline codes are its own app). */
  async function oweCodesForFirstPhone(phone: PushDevice) {
    if (!ctx.config.second_factors.recovery_codes.enabled) return;
    const factors = await factorsOf(ctx, phone.username);
    if (hasNoSecondFactor({ ...factors, devices: factors.devices.filter((d) => d.id !== phone.otpDeviceId) })) await oweRecoveryCodes(ctx.kv, phone.username, 'push');
  }

  router.post('/enroll', raw, async (req, res) => {
    const result = await push.enroll(jsonOf(req), meta(req, res));
    if (!result.ok) return sendApiError(res, result.reason);
    await oweCodesForFirstPhone(result.device);
    send(res, 201, { deviceId: result.device.id, username: result.device.username, portal: ctx.portal.url.href, totp: result.totp });
  });

  router.get('/pending', raw, async (req, res) => {
    const found = await device(req, res, fromHeader(req));
    if (found) send(res, 200, { approvals: await push.pendingFor(found.id) });
  });

  router.put('/subscription', raw, async (req, res) => {
    const found = await device(req, res, fromHeader(req));
    if (!found) return;
    const body = jsonOf(req);
    if (!isPlainObject(body) || !hasOnlyKeys(body, ['subscription']) || !('subscription' in body)) return sendApiError(res, 'malformed');
    const subscription =
      body.subscription === null
        ? null
        : parseSubscription(body.subscription, { allowLoopback: allowsLoopbackPush(ctx.portal.url), services: ctx.config.second_factors.push.push_services });
    if (subscription === undefined) return sendApiError(res, 'malformed');
    await ctx.storage.pushDevices.updateSubscription(found.id, subscription && JSON.stringify(subscription));
    send(res, 204);
  });

  router.delete('/device', raw, async (req, res) => {
    const found = await device(req, res, fromHeader(req));
    if (!found) return;
    await push.factor.remove(found.username, found.id);
    await ctx.audit.record({ kind: 'push.removed', subject: found.username, ...meta(req, res), details: { device: found.id, by: 'device' }, message: 'phone removed itself' });
    send(res, 204);
  });

  router.post('/approvals/:approvalId', raw, async (req, res) => {
    const id = String(req.params.approvalId);
    if (!APPROVAL_ID.test(id)) return sendApiError(res, 'expired');
    const result = await push.answer(id, jsonOf(req), meta(req, res));
    if (!result.ok) return sendApiError(res, result.reason);
    send(res, 200, { result: result.result });
  });

  router.get('/events', async (req, res) => {
    const found = await device(req, res, parseSignedQuery(req.query as Record<string, unknown>));
    if (!found) return;
    const write = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const stop = await push.listen(found.id, (e) => write(e.event, e.data));
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    write('time', { serverTime: ctx.clock.now() });
    for (const approval of await push.pendingFor(found.id)) write('approval', approval);
    const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
    req.socket.setTimeout(0);
    // The companion reconnects, to another worker or instance, when a shutdown ends the stream.
    ctx.inFlight.endOnDrain(res);
    res.on('close', () => {
      clearInterval(ping);
      stop();
    });
  });

  router.use(apiNotFound);
  router.use(createApiErrorHandler(ctx, 'companion'));
  return router;
}
