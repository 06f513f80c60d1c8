import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHotp } from '../../factors/otp/generate-otp.js';
import { PORTAL, startGatewayHarness, type GatewayHarness } from '../../testing/gateway-harness.js';
import type { TestResponse } from '../../testing/http-client.js';
import { buildPskc, testSecret } from '../../tokens/testing/build-pskc.js';
import { addConsoleUsers, adminEventsAfter, consoleRequest, lastEventId, MINUTE, ORIGIN, sessionFor } from './testing/console-harness.js';

/**
 * The hardware-token page of the console over HTTP: the inventory, the upload of PSKC and CSV
 * files (all or nothing, bounded while it streams in, hostile XML refused, no secret echoed),
 * assign / unassign / resync, each audited once, refused to an auditor and without the CSRF token.
 */

let h: GatewayHarness;
let alice: { cookie: string; csrf: string };
let dave: { cookie: string; csrf: string };

beforeAll(async () => {
  h = await startGatewayHarness({ configure: (c) => Object.assign(c, { admin: { auditor_group: 'auditors' } }) });
  await addConsoleUsers(h);
  alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
  dave = await sessionFor(h, 'dave', { kind: 'totp', ageMs: MINUTE });
});
afterAll(() => h?.close());

const BOUNDARY = '----gatehouse-test-7MA4YWxkTrZu0gW';
const FIXTURES = new URL('../../tokens/fixtures/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES));

/** A multipart/form-data body as a browser builds it: the fields, then the file. */
function multipart(fields: Record<string, string>, file?: { name: string; content: Buffer | string }): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  if (file)
    parts.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      Buffer.from(file.content),
      Buffer.from('\r\n'),
    );
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

function upload(
  file: { name: string; content: Buffer | string } | undefined,
  options: { who?: { cookie: string; csrf?: string }; fields?: Record<string, string>; origin?: string } = {},
) {
  const who = options.who ?? alice;
  const fields = { ...(who.csrf !== undefined ? { csrf: who.csrf } : {}), ...options.fields };
  return h.request({
    method: 'POST',
    path: '/console/tokens/import',
    host: PORTAL,
    headers: { cookie: who.cookie, origin: options.origin ?? ORIGIN, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body: multipart(fields, file),
  });
}

const serials = async () => (await h.gateway.ctx.storage.otpDevices.listTokens()).map((t) => t.serial ?? '').sort();
const csv = (rows: string[]) => ['serial,secret,type,digits,period,counter', ...rows].join('\n');
const SECRET_HEX = testSecret(9).toString('hex');

async function expectNothingImported(res: TestResponse, before: string[], since: number) {
  expect(res.body).toContain('Nothing was imported.');
  expect(await serials()).toEqual(before);
  expect(await adminEventsAfter(h, since)).toEqual([]);
}

describe('upload', () => {
  it('a plain PSKC file: every token imported, one audit event with the count, no secret anywhere', async () => {
    const before = await lastEventId(h);
    const secret = testSecret(3);
    const pskc = buildPskc([
      { serial: 'PSKC-1', secret, counter: '0' },
      { serial: 'PSKC-2', secret: testSecret(4), algorithm: 'urn:ietf:params:xml:ns:keyprov:pskc:totp', timeInterval: '30' },
    ]);
    const res = await upload({ name: 'vendor.pskc', content: pskc });
    expect(res.status).toBe(200);
    expect(res.body).toContain('Tokens imported: 2 (1 HOTP, 1 TOTP)');
    expect(res.body).toContain('PSKC-1');
    expect(res.body).not.toContain(secret.toString('base64'));
    const events = await adminEventsAfter(h, before);
    expect(events.map((e) => [e.kind, e.actor, e.details])).toEqual([['admin.token_import', 'alice', { count: 2, format: 'pskc', requestId: expect.any(String) }]]);
    expect(JSON.stringify(events)).not.toContain(secret.toString('base64'));
  });

  it('a password-protected PSKC file: asked for the password, then imported with it', async () => {
    const before = await serials();
    const since = await lastEventId(h);
    const missing = await upload({ name: 'rfc.xml', content: fixture('rfc6030-figure7.pskc') });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('The file is protected with a password');
    await expectNothingImported(missing, before, since);
    const wrong = await upload({ name: 'rfc.xml', content: fixture('rfc6030-figure7.pskc') }, { fields: { password: 'Qwerty' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatch(/wrong password or key/);
    expect(wrong.body).not.toContain('Qwerty');
    const right = await upload({ name: 'rfc.xml', content: fixture('rfc6030-figure7.pskc') }, { fields: { password: 'qwerty' } });
    expect(right.status).toBe(200);
    expect(right.body).toContain('Tokens imported: 1');
  });

  it('a CSV file, recognised by its header even without an extension', async () => {
    const res = await upload({ name: 'tokens', content: csv([`CSV-1,${SECRET_HEX},hotp,6,,0`, `CSV-2,${testSecret(10).toString('hex')},totp,8,60,`]) });
    expect(res.status).toBe(200);
    expect(res.body).toContain('Tokens imported: 2 (1 HOTP, 1 TOTP)');
    expect(await serials()).toEqual(expect.arrayContaining(['CSV-1', 'CSV-2']));
  });

  it.each([
    ['one bad entry among good ones', csv([`BAD-1,${testSecret(11).toString('hex')},hotp,6,,0`, `BAD-2,${SECRET_HEX},hotp,7,,0`]), /line 3 \(serial BAD-2\)/],
    [
      'a serial already imported',
      csv([`BAD-3,${testSecret(12).toString('hex')},hotp,6,,0`, `CSV-1,${testSecret(13).toString('hex')},hotp,6,,0`]),
      /serial CSV-1 is already imported/,
    ],
    ['a serial twice', csv([`BAD-4,${testSecret(14).toString('hex')},hotp,6,,0`, `BAD-4,${testSecret(15).toString('hex')},hotp,6,,0`]), /appears again/],
    ['a secret too short', csv([`BAD-5,00112233,hotp,6,,0`]), /at least 128 are required/],
  ])('%s: nothing imported, each problem listed, the secret not echoed', async (_name, content, problem) => {
    const before = await serials();
    const since = await lastEventId(h);
    const res = await upload({ name: 'tokens.csv', content });
    expect(res.status).toBe(400);
    expect(res.body).toMatch(problem);
    expect(res.body).not.toContain(SECRET_HEX);
    await expectNothingImported(res, before, since);
  });

  it.each([
    [
      'billion laughs',
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]><KeyContainer Version="1.0">&lol9;</KeyContainer>`,
    ],
    [
      'an external entity',
      `<?xml version="1.0"?><!DOCTYPE k [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><KeyContainer Version="1.0"><KeyPackage><DeviceInfo><SerialNo>&xxe;</SerialNo></DeviceInfo></KeyPackage></KeyContainer>`,
    ],
    ['a parameter entity from the network', `<?xml version="1.0"?><!DOCTYPE k [<!ENTITY % remote SYSTEM "http://127.0.0.1:1/evil.dtd">%remote;]><KeyContainer Version="1.0"/>`],
    ['an external DTD', `<?xml version="1.0"?><!DOCTYPE KeyContainer SYSTEM "file:///etc/passwd"><KeyContainer Version="1.0"/>`],
    ['a DOCTYPE in lower case after a comment', `<!-- x --><!doctype k [<!ENTITY a "b">]><KeyContainer Version="1.0">&a;</KeyContainer>`],
    ['quadratic blow-up: one big entity used many times', `<!DOCTYPE k [<!ENTITY a "${'a'.repeat(50_000)}">]><KeyContainer Version="1.0">${'&a;'.repeat(10_000)}</KeyContainer>`],
  ])('an XML attack (%s): refused before parsing, nothing imported, nothing read from outside', async (_name, xml) => {
    const before = await serials();
    const since = await lastEventId(h);
    const res = await upload({ name: 'evil.pskc', content: xml });
    expect(res.status).toBe(400);
    expect(res.body).toContain('DOCTYPE or other markup declaration');
    expect(res.body).not.toContain('root:');
    await expectNothingImported(res, before, since);
  });

  it.each([
    ['a PNG image', 'image.png', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')],
    ['invalid UTF-8', 'tokens', Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0x2c, 0x2c])],
    ['text with a NUL byte', 'tokens.txt', Buffer.from('serial,secret\0')],
    ['a JSON file', 'tokens.json', Buffer.from('{"serial":"1","secret":"00"}')],
    ['a word-processor text', 'notes.txt', Buffer.from('Dear IT desk,\nplease find the tokens attached.\n')],
    ['a CSV without the token header', 'tokens.txt', Buffer.from(`name,key\nx,${SECRET_HEX}\n`)],
  ])('not a token file (%s): a clear error, nothing imported', async (_name, name, content) => {
    const before = await serials();
    const since = await lastEventId(h);
    const res = await upload({ name, content });
    expect(res.status).toBe(400);
    expect(res.body).toContain('This is neither a PSKC (XML) nor a CSV token file.');
    expect(res.body).not.toContain(SECRET_HEX);
    await expectNothingImported(res, before, since);
  });

  it.each(['../../etc/cron.d/tokens.csv', 'C:\\fakepath\\tokens.csv'])(
    'a filename with path separators (%j): only its last segment is kept, for the format guess',
    async (name) => {
      const serial = `PATH-${name.length}`;
      const res = await upload({ name, content: csv([`${serial},${testSecret(22).toString('hex')},hotp,6,,0`]) });
      expect(res.status).toBe(200);
      expect(await serials()).toContain(serial);
    },
  );

  it('an empty file, and a form without a file: clear errors', async () => {
    const empty = await upload({ name: 'tokens.csv', content: '' });
    expect([empty.status, empty.body.includes('The file is empty.')]).toEqual([400, true]);
    const none = await upload(undefined);
    expect([none.status, none.body.includes('Choose a token file to upload.')]).toEqual([400, true]);
  });

  it.each([
    ['without the CSRF field', { cookie: '' }, {}, 'This form had expired or came from another page.'],
    ['with a wrong CSRF field', { csrf: 'x'.repeat(43) }, {}, 'This form had expired or came from another page.'],
    ['from another origin', {}, { origin: 'http://app.localhost' }, 'This form had expired or came from another page.'],
    ['as an auditor', { auditor: true }, {}, 'your auditor role cannot change anything'],
  ])('an upload %s → 403, nothing imported', async (_name, who: { cookie?: string; csrf?: string; auditor?: boolean }, options: { origin?: string }, message) => {
    const before = await serials();
    const since = await lastEventId(h);
    const base = who.auditor ? dave : alice;
    const caller = { cookie: base.cookie, ...('csrf' in who ? { csrf: who.csrf } : 'cookie' in who ? {} : { csrf: base.csrf }) };
    const res = await upload({ name: 'ok.csv', content: csv([`CSRF-1,${testSecret(20).toString('hex')},hotp,6,,0`]) }, { who: caller, ...options });
    expect(res.status).toBe(403);
    expect(res.body).toContain(message);
    expect(await serials()).toEqual(before);
    expect(await adminEventsAfter(h, since)).toEqual([]);
  });

  it('an upload by someone signed out, outside the admin groups, or with a stale factor: the same answers as any change, nothing read', async () => {
    const before = await serials();
    const since = await lastEventId(h);
    const file = { name: 'ok.csv', content: csv([`GATE-1,${testSecret(21).toString('hex')},hotp,6,,0`]) };
    const anonymous = await upload(file, { who: { cookie: 'gatehouse_session=forged-token-value-aaaaaaaaaaaaaaaaaaaaaaaaa', csrf: 'x'.repeat(43) } });
    expect(anonymous.status).toBe(303);
    const bob = await sessionFor(h, 'bob', { kind: 'totp', ageMs: 0 });
    expect((await upload(file, { who: bob })).status).toBe(403);
    const stale = await sessionFor(h, 'alice', { kind: 'totp', ageMs: 30 * MINUTE });
    const again = await upload(file, { who: stale });
    expect([again.status, new URL(again.headers.location!, ORIGIN).pathname]).toEqual([303, '/second-factor']);
    expect(await serials()).toEqual(before);
    expect(await adminEventsAfter(h, since)).toEqual([]);
  });

  it.each([
    ['no boundary', 'multipart/form-data; charset=utf-8', multipart({ csrf: 'x' })],
    ['a boundary of 71 characters', `multipart/form-data; boundary=${'b'.repeat(71)}`, Buffer.from(`--${'b'.repeat(71)}\r\n`)],
    ['a body without the boundary', `multipart/form-data; boundary=${BOUNDARY}`, Buffer.from('just text')],
    ['a body cut short', `multipart/form-data; boundary=${BOUNDARY}`, multipart({ csrf: 'x' }).subarray(0, 60)],
    ['a field twice', `multipart/form-data; boundary=${BOUNDARY}`, Buffer.concat([multipart({ csrf: 'a' }).subarray(0, -`--${BOUNDARY}--\r\n`.length), multipart({ csrf: 'b' })])],
    ['a body cut inside the file', `multipart/form-data; boundary=${BOUNDARY}`, multipart({ csrf: 'x' }, { name: 't.csv', content: csv(['CUT-1,00,hotp,6,,0']) }).subarray(0, -20)],
    [
      'two files',
      `multipart/form-data; boundary=${BOUNDARY}`,
      Buffer.concat([multipart({}, { name: 'a.csv', content: 'a' }).subarray(0, -`--${BOUNDARY}--\r\n`.length), multipart({}, { name: 'b.csv', content: 'b' })]),
    ],
    [
      'part headers over 16 KiB',
      `multipart/form-data; boundary=${BOUNDARY}`,
      Buffer.from(`--${BOUNDARY}\r\n${'X-Pad: p\r\n'.repeat(1700)}Content-Disposition: form-data; name="csrf"\r\n\r\nx\r\n--${BOUNDARY}--\r\n`),
    ],
    [
      'a filename with CR LF',
      `multipart/form-data; boundary=${BOUNDARY}`,
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename*=utf-8''t%0D%0A.csv\r\n\r\nx\r\n--${BOUNDARY}--\r\n`),
    ],
  ])('a malformed multipart body (%s) → 400, nothing imported', async (_name, contentType, body) => {
    const before = await serials();
    const res = await h.request({
      method: 'POST',
      path: '/console/tokens/import',
      host: PORTAL,
      headers: { cookie: alice.cookie, origin: ORIGIN, 'content-type': contentType },
      body,
    });
    expect(res.status).toBe(400);
    expect(await serials()).toEqual(before);
  });
});

/** Posts `total` bytes of upload in chunks; stops writing as soon as an answer arrives. */
function streamUpload(total: number, declareLength: boolean): Promise<{ status: number; body: string; sent: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const head = Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${alice.csrf}\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n`,
    );
    const headers: Record<string, string> = { host: PORTAL, cookie: alice.cookie, origin: ORIGIN, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
    if (declareLength) headers['content-length'] = String(total);
    let sent = 0;
    let answered = false;
    const req = httpRequest({ host: '127.0.0.1', port: h.port, method: 'POST', path: '/console/tokens/import', headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), sent, headers: res.headers }));
    });
    // The server may close the connection while we still write: that is the point.
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const write = () => {
      if (sent === 0) {
        req.write(head);
        sent += head.length;
      }
      while (!answered && sent < total) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
        sent += piece.length;
        if (!req.write(piece)) return req.once('drain', write);
      }
      if (!answered) req.end();
    };
    write();
  });
}

describe('an upload over the 5 MB limit', () => {
  const FIFTY_MB = 50 * 1024 * 1024;

  it('declared as 50 MB: 413 before any of it is read', async () => {
    const before = await serials();
    const res = await streamUpload(FIFTY_MB, true);
    expect(res.status).toBe(413);
    expect(res.body).toContain('The request was larger than this service accepts.');
    expect(res.headers.connection).toBe('close');
    expect(res.sent).toBeLessThan(FIFTY_MB);
    expect(await serials()).toEqual(before);
  });

  it('streamed without a length (chunked): 413 once 5 MB have passed, while the rest is still being sent', async () => {
    const res = await streamUpload(FIFTY_MB, false);
    expect(res.status).toBe(413);
    expect(res.body).toContain('The request was larger than this service accepts.');
    expect(res.sent).toBeLessThan(FIFTY_MB);
    // The gateway is still there for the next request.
    expect((await consoleRequest(h, 'GET', '/tokens', alice)).status).toBe(200);
  });
});

describe('the inventory', () => {
  it('lists serial, kind, assignee (linked to the user page) and last use, searchable by serial or user, paged on the server', async () => {
    await h.gateway.ctx.storage.otpDevices.importTokens(
      Array.from({ length: 30 }, (_, i) => ({
        username: null,
        kind: 'hotp' as const,
        name: `PAGE-${String(i).padStart(2, '0')}`,
        secret: testSecret(100 + i),
        algorithm: 'SHA1' as const,
        digits: 6 as const,
        period: 30,
        counter: 0,
        serial: `PAGE-${String(i).padStart(2, '0')}`,
        confirmed: true,
      })),
      Date.now(),
    );
    await h.gateway.ctx.storage.otpDevices.assign('PAGE-07', 'erin');
    const first = await consoleRequest(h, 'GET', '/tokens?q=page-', alice);
    expect(first.status).toBe(200);
    expect(first.body).toContain('Showing 1–25 of 30');
    expect(first.body).toContain('<a href="/console/users/erin">erin</a>');
    const second = await consoleRequest(h, 'GET', '/tokens?q=page-&page=2', alice);
    expect(second.body).toContain('Showing 26–30 of 30');
    expect(second.body).toContain('PAGE-29');
    expect(second.body).not.toContain('PAGE-00');
    const byUser = await consoleRequest(h, 'GET', '/tokens?q=ERIN', alice);
    expect(byUser.body).toContain('Showing 1–1 of 1');
    expect(byUser.body).toContain('PAGE-07');
    const unassigned = await consoleRequest(h, 'GET', '/tokens?q=PAGE-0&unassigned=1', alice);
    expect(unassigned.body).toContain('Showing 1–9 of 9');
    for (const q of ['%', '_', '"><script>', "' OR 1=1 --"]) {
      const res = await consoleRequest(h, 'GET', `/tokens?q=${encodeURIComponent(q)}`, alice);
      expect(res.status).toBe(200);
      expect(res.body).toContain('No hardware tokens match.');
    }
    expect((await consoleRequest(h, 'GET', `/tokens?q=${'x'.repeat(10_000)}`, alice)).status).toBe(400);
  });

  it('an auditor sees it without the import form', async () => {
    const res = await consoleRequest(h, 'GET', '/tokens', dave);
    expect(res.status).toBe(200);
    expect(res.body).toContain('PAGE-07');
    expect(res.body).not.toContain('method="post"');
  });
});

describe('assign, unassign, resync', () => {
  const post = (path: string, fields: Record<string, string>, who = alice) => consoleRequest(h, 'POST', path, who, { fields });

  it('assign to a user who does not exist: refused on the token page, nothing changed, no event', async () => {
    for (const username of ['nobody', '', 'x'.repeat(300), 'erin\u0000', '../alice']) {
      const since = await lastEventId(h);
      const res = await post('/tokens/CSV-1/assign', { username });
      expect(res.status).toBe(400);
      expect(res.body).toContain('No active user with this name.');
      expect((await h.gateway.ctx.storage.otpDevices.findBySerial('CSV-1'))!.username).toBeNull();
      expect(await adminEventsAfter(h, since)).toEqual([]);
    }
  });

  it('a token that does not exist: 404', async () => {
    for (const path of ['/tokens/NOPE/assign', '/tokens/NOPE/unassign', '/tokens/NOPE/resync'])
      expect((await post(path, { username: 'erin', code1: '1', code2: '2' })).status).toBe(404);
    expect((await consoleRequest(h, 'GET', '/tokens/NOPE', alice)).status).toBe(404);
  });

  it('assign, then unassign: each one audit event, the token page says so', async () => {
    let since = await lastEventId(h);
    const assigned = await post('/tokens/CSV-1/assign', { username: 'erin' });
    expect([assigned.status, assigned.headers.location]).toEqual([303, '/console/tokens/CSV-1?notice=assigned']);
    expect((await adminEventsAfter(h, since)).map((e) => [e.kind, e.actor, e.subject, e.details?.serial])).toEqual([['admin.token_assign', 'alice', 'erin', 'CSV-1']]);
    expect((await consoleRequest(h, 'GET', '/tokens/CSV-1?notice=assigned', alice)).body).toContain('The token was assigned.');
    const other = await post('/tokens/CSV-1/assign', { username: 'frank' });
    expect([other.status, other.body.includes('assigned to someone else')]).toEqual([400, true]);
    since = await lastEventId(h);
    const unassigned = await post('/tokens/CSV-1/unassign', {});
    expect([unassigned.status, unassigned.headers.location]).toEqual([303, '/console/tokens/CSV-1?notice=unassigned']);
    expect((await adminEventsAfter(h, since)).map((e) => [e.kind, e.subject])).toEqual([['admin.token_unassign', 'erin']]);
  });

  it('an auditor may not assign, unassign or resync', async () => {
    const since = await lastEventId(h);
    for (const action of ['assign', 'unassign', 'resync']) expect((await post(`/tokens/CSV-1/${action}`, { username: 'erin', code1: '1', code2: '2' }, dave)).status).toBe(403);
    expect(await adminEventsAfter(h, since)).toEqual([]);
  });

  it('resync with wrong codes: refused, the counter unchanged; with two consecutive codes far ahead: in step, audited once without the codes', async () => {
    const secret = testSecret(9);
    const params = { digits: 6 as const, algorithm: 'SHA1' as const };
    const counter = async () => (await h.gateway.ctx.storage.otpDevices.findBySerial('CSV-1'))!.counter;
    const since = await lastEventId(h);
    for (const [code1, code2] of [
      [generateHotp(secret, 40, params), generateHotp(secret, 42, params)],
      [generateHotp(secret, 41, params), generateHotp(secret, 40, params)],
      ['000000', '000000'],
      ['12345', '123456'],
      ['abcdef', 'ghijkl'],
      ['', ''],
    ]) {
      const res = await post('/tokens/CSV-1/resync', { code1: code1!, code2: code2! });
      expect(res.status).toBe(400);
      expect(res.body).toMatch(/not two consecutive codes|Enter two codes/);
      expect(await counter()).toBe(0);
    }
    expect(await adminEventsAfter(h, since)).toEqual([]);
    const code1 = generateHotp(secret, 40, params);
    const code2 = generateHotp(secret, 41, params);
    const res = await post('/tokens/CSV-1/resync', { code1, code2 });
    expect([res.status, res.headers.location]).toEqual([303, '/console/tokens/CSV-1?notice=resynced']);
    expect(await counter()).toBe(42);
    const events = await adminEventsAfter(h, since);
    expect(events.map((e) => [e.kind, e.actor, e.details])).toEqual([
      ['admin.token_resync', 'alice', { serial: 'CSV-1', kind: 'hotp', status: 'resynced', requestId: expect.any(String) }],
    ]);
    expect(JSON.stringify(events)).not.toContain(code1);
    const replay = await post('/tokens/CSV-1/resync', { code1, code2 });
    expect(replay.status).toBe(400);
  });
});
