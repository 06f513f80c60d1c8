import { cookieFrom, csrfFieldOf, send } from '../server/testing/http-client.js';
import { PORTAL_HOST, STORM_USER } from './fixtures.js';

export interface StormResult {
  attempted: number;
  /** 303 with a new session cookie. */
  signedIn: number;
  failed: number;
  /** The failures by answer: HTTP status (429/503 are the queue's "busy"), or "error" when there was none. */
  failedBy: Record<string, number>;
  /** Still running when the storm was stopped. */
  unfinished: number;
  achievedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Password sign-ins at a fixed rate through the real portal, as a browser does them: the
 * sign-in page (CSRF cookie and token), then POST /login with both and the portal's Origin.
 * Started on a timer whatever the answers, so a slow gateway gets a queue, not a pause. Each
 * sign-in comes from its own client address (X-Forwarded-For; the bench config trusts
 * 127.0.0.1): a storm is many people, not one address, which the hash queue would hold to
 * its per-address bound.
 */
export function startLoginStorm(options: { port: number; perSecond: number }) {
  const started = performance.now();
  const latencies: number[] = [];
  let attempted = 0;
  let signedIn = 0;
  let failed = 0;
  const failedBy: Record<string, number> = {};
  let inFlight = 0;

  async function signIn(n: number): Promise<void> {
    const t0 = performance.now();
    // 198.18.0.0/15 is the benchmarking range.
    const from = { 'x-forwarded-for': `198.19.${(n >> 8) & 255}.${n & 255}` };
    const page = await send({ port: options.port, path: '/', host: PORTAL_HOST, headers: from });
    const csrfCookie = cookieFrom(page, 'gatehouse_csrf');
    const csrf = csrfFieldOf(page.body);
    if (!csrfCookie || !csrf) throw new Error(`sign-in page without a CSRF token (${page.status})`);
    const body = new URLSearchParams({ csrf, username: STORM_USER.username, password: STORM_USER.password }).toString();
    const response = await send({
      port: options.port,
      method: 'POST',
      path: '/login',
      host: PORTAL_HOST,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `gatehouse_csrf=${csrfCookie}`, origin: `http://${PORTAL_HOST}`, ...from },
      body,
    });
    if (response.status !== 303 || !cookieFrom(response, 'gatehouse_session')) throw Object.assign(new Error(`sign-in answered ${response.status}`), { status: response.status });
    latencies.push(performance.now() - t0);
  }

  const timer = setInterval(() => {
    attempted++;
    inFlight++;
    signIn(attempted)
      .then(
        () => signedIn++,
        (error: { status?: number }) => {
          failed++;
          const key = String(error?.status ?? 'error');
          failedBy[key] = (failedBy[key] ?? 0) + 1;
        },
      )
      .finally(() => inFlight--);
  }, 1000 / options.perSecond);

  return {
    /** Stops starting sign-ins; the ones under way go on (see drained). */
    stop(): StormResult {
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      const sorted = [...latencies].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
      return { attempted, signedIn, failed, failedBy: { ...failedBy }, unfinished: inFlight, achievedPerSecond: signedIn / seconds, p50Ms: at(0.5), p99Ms: at(0.99) };
    },
    /** Resolves when the sign-ins under way have finished, or after timeoutMs. */
    async drained(timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    },
  };
}
