import { afterAll, describe, expect, it } from 'vitest';
import { createHashQueue, type HashQueue, type HashQueueOptions } from '../directory/hash-queue.js';
import { QUEUEING_HASH_POLICY } from '../testing/test-password-hash.js';
import { cookieFrom, type TestResponse } from '../testing/http-client.js';
import { PORTAL, USERS, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

/**
 * Sign-in availability under a guessing burst, through the real portal route, real Redis and
 * real argon2: parallel wrong passwords from a few addresses must not hold up an honest
 * sign-in from another. Asserted on the order in which the hash queue starts checks, never
 * on time: the queue is the real one, wrapped to write down each arrival and each start. The
 * users' hashes use OWASP's cheapest profile and the guesses name a real user (bob), so the
 * dozens of checks stay quick on a loaded machine.
 */

/** Loopback addresses are all ours: each is a client of its own, with no proxy in between. */
const GUESSERS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];
const HONEST = '127.0.0.50';

type QueueEvent = { event: 'arrive' | 'start' | 'refused'; lane: string; waiting: number };

function observedQueue(options: HashQueueOptions): { queue: HashQueue; log: QueueEvent[] } {
  const inner = createHashQueue(options);
  const log: QueueEvent[] = [];
  const queue: HashQueue = {
    async run(lane, work) {
      log.push({ event: 'arrive', lane, waiting: inner.waiting });
      const result = await inner.run(lane, () => {
        log.push({ event: 'start', lane, waiting: inner.waiting });
        return work();
      });
      if (!result.ok) log.push({ event: 'refused', lane, waiting: inner.waiting });
      return result;
    },
    get running() {
      return inner.running;
    },
    get waiting() {
      return inner.waiting;
    },
  };
  return { queue, log };
}

const harnesses: GatewayHarness[] = [];
afterAll(async () => {
  for (const h of harnesses) await h.close();
});

/** The sign-in form posted from `from`, with a CSRF cookie and token fetched beforehand. */
async function prepareSignIn(h: GatewayHarness, from: string, fields: { username: string; password: string }): Promise<() => Promise<TestResponse>> {
  const { csrfCookie, csrfToken } = await h.signInForm();
  const body = new URLSearchParams({ csrf: csrfToken, ...fields }).toString();
  return () =>
    h.request({
      method: 'POST',
      path: '/login',
      host: PORTAL,
      localAddress: from,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `gatehouse_csrf=${csrfCookie}`, origin: `http://${PORTAL}` },
      body,
    });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('a guessing burst and an honest sign-in', () => {
  it('50 parallel wrong passwords from three addresses: the honest check waits for at most one check per guessing address', async () => {
    const PER_ADDRESS = 6;
    // No wait ceiling (maxWaitMs 0): at load 30 the last guesses waited past the default 10 s and
    // were answered 503, as an overloaded gateway should; that ceiling has its own unit tests
    // (hash-queue.test.ts), and here it would make the order asserted below depend on the clock.
    const { queue, log } = observedQueue({ concurrency: 1, perLane: PER_ADDRESS, maxWaiting: 200, maxWaitMs: 0 });
    const h = await startGatewayHarness({
      hashQueue: queue,
      hashPolicy: QUEUEING_HASH_POLICY,
      configure: (c) => {
        c.authentication.password_checks = { concurrency: 1, per_address: PER_ADDRESS, max_waiting: 200 };
      },
    });
    harnesses.push(h);
    const guesses = await Promise.all(Array.from({ length: 50 }, (_, i) => prepareSignIn(h, GUESSERS[i % GUESSERS.length]!, { username: 'bob', password: `wrong-${i}` })));
    const honestSignIn = await prepareSignIn(h, HONEST, { username: 'alice', password: USERS.alice.password });

    const burst = Promise.all(guesses.map((post) => post()));
    // Every lane full of guesses, or every guess at the queue, before the honest user arrives.
    const guessed = () => log.filter((e) => e.event === 'arrive' && GUESSERS.includes(e.lane)).length;
    await until(() => queue.waiting >= GUESSERS.length * (PER_ADDRESS - 1) - 1 || guessed() === 50);
    const honest = await honestSignIn();
    const answers = await burst;

    expect(honest.status).toBe(303);
    expect(cookieFrom(honest, 'gatehouse_session')).toBeDefined();
    const arrived = log.findIndex((e) => e.event === 'arrive' && e.lane === HONEST);
    const started = log.findIndex((e) => e.event === 'start' && e.lane === HONEST);
    const burstStartsBetween = log.slice(arrived, started).filter((e) => e.event === 'start' && GUESSERS.includes(e.lane)).length;
    // First come, first served would have run every waiting guess first.
    expect(log[arrived]!.waiting, 'guesses waiting when the honest check arrived').toBeGreaterThanOrEqual(8);
    expect(burstStartsBetween).toBeLessThanOrEqual(GUESSERS.length);

    // The burst got wrong-password answers or, past each lane's bound, "busy" at once; never a 5xx.
    const busy = answers.filter((a) => a.status === 429);
    expect(
      answers.map((a) => a.status).filter((status) => status !== 401 && status !== 429),
      'answers other than a wrong password or busy',
    ).toEqual([]);
    expect(busy.length).toBe(log.filter((e) => e.event === 'refused').length);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    for (const answer of busy) {
      expect(answer.body).toContain('try again in a moment');
      expect(answer.headers['retry-after']).toBe('1');
    }
    // Each guessing lane held at most its bound: no guess waited behind more than PER_ADDRESS - 1 of its own.
    for (const lane of GUESSERS) expect(log.filter((e) => e.event === 'start' && e.lane === lane).length).toBeGreaterThanOrEqual(1);
  }, 180_000);

  it('a burst from one address past its regulation limit is refused before hashing; another address signs in', async () => {
    const { queue, log } = observedQueue({ concurrency: 1, perLane: 50, maxWaitMs: 0 });
    const h = await startGatewayHarness({
      hashQueue: queue,
      hashPolicy: QUEUEING_HASH_POLICY,
      configure: (c) => {
        c.regulation.address = { max_retries: 5, find_time: '10m', ban_time: '15m' };
      },
    });
    harnesses.push(h);
    const guesses = await Promise.all(Array.from({ length: 20 }, (_, i) => prepareSignIn(h, GUESSERS[0]!, { username: 'bob', password: `wrong-${i}` })));
    const answers = await Promise.all(guesses.map((post) => post()));
    // Five checked (and failed); fifteen refused for the address, none of them hashed.
    expect(log.filter((e) => e.event === 'arrive' && e.lane === GUESSERS[0])).toHaveLength(5);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(5);
    const throttled = answers.filter((a) => a.status === 429);
    expect(throttled).toHaveLength(15);
    for (const answer of throttled) expect(answer.body).toContain('Too many attempts from your network');
    // The five failures banned the address; someone else is not affected.
    expect((await (await prepareSignIn(h, GUESSERS[0]!, { username: 'alice', password: USERS.alice.password }))()).status).toBe(429);
    expect((await (await prepareSignIn(h, HONEST, { username: 'alice', password: USERS.alice.password }))()).status).toBe(303);
  }, 120_000);
});
