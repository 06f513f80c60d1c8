import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORTAL, TRUSTED_PROXY, startGatewayHarness, type GatewayHarness } from '../testing/gateway-harness.js';

/**
 * /metrics judges the client as regulation does: the peer, or behind a trusted proxy the first
 * untrusted X-Forwarded-For hop. The proxy (127.0.0.2) is itself inside metrics.networks here,
 * as a local proxy is inside the default 127.0.0.0/8: judging only the peer would let every
 * client the proxy forwards read the metrics.
 */
let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({
    configure: (c) => Object.assign(c, { metrics: { networks: [`${TRUSTED_PROXY}/32`, '127.0.0.3/32', '10.0.0.0/8'] } }),
  });
});
afterAll(() => h?.close());

const metrics = (localAddress: string, xff?: string | string[]) =>
  h.request({ path: '/metrics', host: PORTAL, localAddress, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } });

const READ = 200;
const REFUSED = 404;

describe('/metrics behind a trusted proxy: the forwarded client is judged', () => {
  it.each<[string, string | string[] | undefined, number]>([
    ['no X-Forwarded-For: the proxy’s own request', undefined, READ],
    ['a client inside', '10.1.2.3', READ],
    ['a client inside, through a second trusted hop', `10.1.2.3, ${TRUSTED_PROXY}`, READ],
    ['a client outside', '203.0.113.9', REFUSED],
    ['a client outside, through a second trusted hop', `203.0.113.9, ${TRUSTED_PROXY}`, REFUSED],
    ['a client outside that wrote an inside address first', '10.1.2.3, 203.0.113.9', REFUSED],
    ['a client outside that wrote the proxy’s address first', `${TRUSTED_PROXY}, 203.0.113.9`, REFUSED],
    ['a client outside, the inside address in an earlier header line', ['10.1.2.3', '203.0.113.9'], REFUSED],
    ['loopback, which is not in the networks', '127.0.0.1', REFUSED],
    ['IPv6 loopback', '::1', REFUSED],
    ['an IPv6 client', '2001:db8::1', REFUSED],
    ['a mapped IPv4 client inside', '::ffff:10.1.2.3', READ],
    ['a mapped IPv4 client outside', '::ffff:203.0.113.9', REFUSED],
  ])('%s (%j) → %i', async (_name, xff, status) => {
    const res = await metrics(TRUSTED_PROXY, xff);
    expect(res.status).toBe(status);
    if (status === READ) expect(res.body).toContain('gatehouse_access_decisions_total');
    else expect(res.body).not.toContain('gatehouse_');
  });

  // Unreadable, the header leaves only the proxy's own address, which says nothing about the client.
  it.each([
    'garbage',
    'unknown',
    ',',
    '10.1.2.3,',
    '10.1.2.3,,',
    '10.1.2.3:8080',
    '[10.1.2.3]',
    '010.1.2.3',
    '10.1',
    '0x0a.1.2.3',
    '167838211',
    '"10.1.2.3"',
    'for=10.1.2.3',
    '10.1.2.3 203.0.113.9',
    '10.1.2.3;127.0.0.2',
    '10.1.2.3\u00a0',
    `garbage, ${TRUSTED_PROXY}`,
    `10.1.2.3, ${Array.from({ length: 32 }, () => TRUSTED_PROXY).join(', ')}`,
  ])('a malformed X-Forwarded-For %j from the proxy is refused', async (xff) => {
    const res = await metrics(TRUSTED_PROXY, xff);
    expect(res.status).toBe(REFUSED);
    expect(res.body).not.toContain('gatehouse_');
  });
});

describe('/metrics from an untrusted peer: X-Forwarded-For is ignored, the peer is judged', () => {
  it.each([undefined, '10.1.2.3', TRUSTED_PROXY, `10.1.2.3, ${TRUSTED_PROXY}`, '127.0.0.3', 'garbage'])(
    'peer outside the networks with X-Forwarded-For %j → refused',
    async (xff) => {
      expect((await metrics('127.0.0.1', xff)).status).toBe(REFUSED);
    },
  );

  it.each([undefined, '203.0.113.9', 'garbage', '203.0.113.9, 198.51.100.1'])('peer inside the networks with X-Forwarded-For %j → read', async (xff) => {
    expect((await metrics('127.0.0.3', xff)).status).toBe(READ);
  });
});
