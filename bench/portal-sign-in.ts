import { cookieFrom, csrfFieldOf, send, type TestResponse } from '../server/testing/http-client.js';
import { PORTAL_HOST } from './fixtures.js';

/**
 * A sign-in form ready to post from `clientIp` (X-Forwarded-For; the bench config trusts
 * 127.0.0.1), as a browser posts it: the sign-in page's CSRF cookie and token are fetched
 * beforehand, so that timing the returned POST times the sign-in alone.
 */
export async function prepareSignIn(port: number, clientIp: string, fields: { username: string; password: string }): Promise<() => Promise<TestResponse>> {
  const page = await send({ port, path: '/', host: PORTAL_HOST, headers: { 'x-forwarded-for': clientIp } });
  const csrfCookie = cookieFrom(page, 'gatehouse_csrf');
  const csrf = csrfFieldOf(page.body);
  if (!csrfCookie || !csrf) throw new Error(`sign-in page without a CSRF token (${page.status})`);
  const body = new URLSearchParams({ csrf, ...fields }).toString();
  return () =>
    send({
      port,
      method: 'POST',
      path: '/login',
      host: PORTAL_HOST,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `gatehouse_csrf=${csrfCookie}`, origin: `http://${PORTAL_HOST}`, 'x-forwarded-for': clientIp },
      body,
    });
}
