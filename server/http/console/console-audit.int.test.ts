import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGatewayHarness, type GatewayHarness } from '../../testing/gateway-harness.js';
import type { NewAuditEvent } from '../../storage/storage.js';
import { addConsoleUsers, consoleRequest, MINUTE, sessionFor, type Caller } from './testing/console-harness.js';

/**
 * The audit log page through the whole gateway: filters (exact values, never patterns, with
 * text that means something in SQL, HTML or a spreadsheet), paging without skipping, the two
 * exports of the filtered set, and the live view's poll.
 */
let h: GatewayHarness;
let alice: Caller;
let dave: Caller;
const DAY = Date.UTC(2026, 11, 4);
const HOUR = 3_600_000;

const seed: NewAuditEvent[] = [
  { at: DAY - HOUR, kind: 'sign_in.failure', result: 'failure', subject: 'erin', actor: 'erin', clientIp: '192.0.2.9', site: 'wiki' },
  {
    at: DAY + HOUR,
    kind: 'sign_in.failure',
    result: 'failure',
    subject: 'erin',
    actor: 'erin',
    clientIp: '192.0.2.1',
    site: 'wiki',
    userAgent: '=HYPERLINK("http://evil.example")',
  },
  { at: DAY + 2 * HOUR, kind: 'sign_in.success', result: 'success', subject: 'erin', actor: 'erin', clientIp: '192.0.2.1', site: 'git' },
  { at: DAY + 3 * HOUR, kind: 'lockout', result: 'failure', subject: 'frank', actor: 'system', clientIp: '2001:db8::1', site: 'wiki', reason: '+cmd|calc' },
  { at: DAY + 4 * HOUR, kind: 'sign_in.failure', result: 'failure', subject: '@frank', actor: '-x', clientIp: '192.0.2.1', site: 'wiki', reason: 'with "quotes", and commas' },
  { at: DAY + 26 * HOUR, kind: 'sign_in.success', result: 'success', subject: 'erin', actor: 'erin', clientIp: '192.0.2.1', site: 'wiki' },
];

beforeAll(async () => {
  h = await startGatewayHarness({ configure: (c) => Object.assign(c, { admin: { auditor_group: 'auditors' } }) });
  await addConsoleUsers(h);
  await appendAll(seed);
  alice = await sessionFor(h, 'alice', { kind: 'totp', ageMs: MINUTE });
  dave = await sessionFor(h, 'dave', { kind: 'totp', ageMs: MINUTE });
});
afterAll(() => h?.close());

/**
 * Appends the events in their order, all at once: the store gathers appends into batches written
 * one after another, so ids follow the order given, with a commit (an fsync) per batch instead
 * of per event (one at a time, 2,600 events took most of this file's time).
 */
async function appendAll(events: NewAuditEvent[]): Promise<void> {
  const stored = await Promise.all(events.map((e) => h.gateway.ctx.storage.auditEvents.append(e)));
  const ids = stored.map((e) => e.id);
  if (ids.some((id, i) => i > 0 && id <= ids[i - 1]!)) throw new Error('audit events stored out of order');
}

const page = (query: Record<string, string>, who = alice) => consoleRequest(h, 'GET', `/audit?${new URLSearchParams(query)}`, who);
/** The ids of the events the page shows, in order. */
const rows = (body: string) => [...body.matchAll(/<tr data-id="(\d+)">/g)].map((m) => Number(m[1]));
describe('filters', () => {
  it.each([
    ['user', { user: 'erin' }, (e: NewAuditEvent) => e.subject === 'erin'],
    ['user in capitals (names are lower case)', { user: 'ERIN' }, (e: NewAuditEvent) => e.subject === 'erin'],
    ['user starting with @', { user: '@frank' }, (e: NewAuditEvent) => e.subject === '@frank'],
    ['kind', { kind: 'lockout' }, (e: NewAuditEvent) => e.kind === 'lockout'],
    ['result', { result: 'success' }, (e: NewAuditEvent) => e.result === 'success'],
    ['IPv4 address', { ip: '192.0.2.1' }, (e: NewAuditEvent) => e.clientIp === '192.0.2.1'],
    ['IPv6 address', { ip: '2001:db8::1' }, (e: NewAuditEvent) => e.clientIp === '2001:db8::1'],
    ['site', { site: 'git' }, (e: NewAuditEvent) => e.site === 'git'],
    ['one day, from and to the same date', { from: '2026-12-04', to: '2026-12-04' }, (e: NewAuditEvent) => e.at >= DAY && e.at < DAY + 24 * HOUR],
    ['a time range to the minute', { from: '2026-12-04T01:00', to: '2026-12-04T03:00' }, (e: NewAuditEvent) => e.at >= DAY + HOUR && e.at < DAY + 3 * HOUR],
    ['several at once', { user: 'erin', result: 'failure', site: 'wiki', from: '2026-12-04' }, (e: NewAuditEvent) => e.subject === 'erin' && e.result === 'failure' && e.at >= DAY],
    ['`%` as a user (a character, not a wildcard)', { user: '%' }, () => false],
    ['`_` as a user', { user: '_' }, () => false],
    ['`%` as a site', { site: '%' }, () => false],
    ['quotes and SQL as a user', { user: `' OR 1=1 --"` }, () => false],
    ['100 characters', { user: 'u'.repeat(100) }, () => false],
  ])('by %s', async (_name, query, predicate) => {
    const res = await page(query);
    expect(res.status, res.body.slice(0, 500)).toBe(200);
    const expected = (await h.gateway.ctx.storage.auditEvents.query({ limit: 1000 })).filter(predicate).map((e) => e.id);
    expect(rows(res.body)).toEqual(expected);
    if (expected.length === 0) expect(res.body).toContain('No events match.');
  });

  it.each([
    ['a user of 101 characters', { user: 'u'.repeat(101) }, 'The user can be at most 100 characters.'],
    ['a user of 10,000 characters', { user: 'x'.repeat(10_000) }, 'The user can be at most 100 characters.'],
    ['1,000 quotes', { user: '"'.repeat(500) + "'".repeat(500) }, 'The user can be at most 100 characters.'],
    ['a kind that does not exist', { kind: 'sign_in.%' }, 'Choose an event kind from the list.'],
    ['a result that does not exist', { result: 'maybe' }, 'Choose a result from the list.'],
    ['an address pattern', { ip: '192.0.2.%' }, 'single IPv4 or IPv6 address'],
    ['an address with SQL', { ip: "1' OR '1'='1" }, 'single IPv4 or IPv6 address'],
    ['a site with a space', { site: 'a b' }, 'without spaces'],
    ['a site of 10,000 characters', { site: 's'.repeat(10_000) }, 'without spaces'],
    ['a date that does not exist', { from: '2026-02-31' }, 'Times are a date'],
    ['a time that does not exist', { to: '2026-12-04T24:00' }, 'Times are a date'],
    ['a time in words', { from: 'yesterday' }, 'Times are a date'],
    ['from after to', { from: '2026-12-05', to: '2026-12-04' }, '“From” must be before “To”.'],
    ['a forged page link', { before: '1; DROP TABLE audit_events' }, 'That page link is not valid.'],
  ])('refuses %s with a clear message (400) and lists nothing', async (_name, query, message) => {
    const res = await page(query);
    expect(res.status).toBe(400);
    expect(res.body).toContain(message);
    if (!('before' in query)) expect(res.body).toContain('aria-invalid="true"');
    expect(rows(res.body)).toEqual([]);
  });

  it('writes the filters back escaped', async () => {
    const res = await page({ user: '"><img src=x>' });
    expect(res.body).not.toContain('<img src=x>');
    expect(res.body).toContain('value="&quot;&gt;&lt;img src&#61;x&gt;"');
  });

  it('links each event to its user', async () => {
    const res = await page({ user: 'erin' });
    expect(res.body).toContain('href="/console/users/erin"');
  });
});

describe('paging', () => {
  it('pages of 50, newest first, with a link to older events that neither skips nor repeats', async () => {
    const base = Date.UTC(2026, 10, 1);
    await appendAll(Array.from({ length: 120 }, (_, i) => ({ at: base + Math.floor(i / 3), kind: 'push.requested', result: 'info', subject: 'pager', site: 'paging' })));
    const seen: number[] = [];
    let path = '/audit?site=paging';
    for (let n = 0; n < 5 && path; n++) {
      const res = await consoleRequest(h, 'GET', path, alice);
      expect(res.status).toBe(200);
      seen.push(...rows(res.body));
      const next = /<a class="button button-secondary" href="\/console(\/audit\?[^"]*)" rel="next">/.exec(res.body)?.[1];
      path = next ? next.replaceAll('&amp;', '&').replaceAll('&#61;', '=') : '';
    }
    const all = (await h.gateway.ctx.storage.auditEvents.query({ site: 'paging', limit: 1000 })).map((e) => e.id);
    expect(seen).toEqual(all);
    expect(seen).toHaveLength(120);
  });
});

describe('export', () => {
  const exportOf = (format: string, query: Record<string, string>, who = alice) => consoleRequest(h, 'GET', `/audit/export/${format}?${new URLSearchParams(query)}`, who);

  it('exports one day as JSON lines, oldest first, every field, as an attachment', async () => {
    const res = await exportOf('jsonl', { from: '2026-12-04', to: '2026-12-04' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="gatehouse-audit-\d{8}T\d{6}Z\.jsonl"$/);
    const lines = res.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.at)).toEqual(['2026-12-04T01:00:00.000Z', '2026-12-04T02:00:00.000Z', '2026-12-04T03:00:00.000Z', '2026-12-04T04:00:00.000Z']);
    expect(lines[0]).toMatchObject({
      kind: 'sign_in.failure',
      result: 'failure',
      subject: 'erin',
      clientIp: '192.0.2.1',
      site: 'wiki',
      userAgent: '=HYPERLINK("http://evil.example")',
    });
  });

  it('exports the filtered set as CSV, formulas and quotes made harmless', async () => {
    const res = await exportOf('csv', { from: '2026-12-04', to: '2026-12-04' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe('id,at,kind,result,actor,subject,client_ip,site,user_agent,reason,details');
    expect(lines).toHaveLength(6);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil.example"")"`);
    expect(lines[3]).toContain(`"'+cmd|calc"`);
    expect(lines[4]).toContain(`"'-x","'@frank"`);
    expect(lines[4]).toContain('"with ""quotes"", and commas"');
    for (const line of lines.slice(1, -1)) for (const cell of line.split(',')) expect(cell).not.toMatch(/^[=+\-@]/);
  });

  it('an auditor may export (it changes nothing)', async () => {
    const res = await exportOf('jsonl', { user: 'frank' }, dave);
    expect(res.status).toBe(200);
    expect(res.body.trimEnd().split('\n')).toHaveLength(1);
  });

  it('an empty set is an empty file (CSV: the header)', async () => {
    expect((await exportOf('jsonl', { user: 'nobody' })).body).toBe('');
    expect((await exportOf('csv', { user: 'nobody' })).body).toBe('id,at,kind,result,actor,subject,client_ip,site,user_agent,reason,details\r\n');
  });

  it.each([
    ['bad filters', 'csv', { user: 'x'.repeat(10_000) }, 400],
    ['a kind that does not exist', 'jsonl', { kind: 'nope' }, 400],
    ['another format', 'xlsx', {}, 404],
  ])('refuses %s', async (_name, format, query, status) => {
    const res = await exportOf(format, query);
    expect(res.status).toBe(status);
    expect(res.headers['content-disposition']).toBeUndefined();
  });

  it('streams more than one batch completely', async () => {
    const base = Date.UTC(2026, 9, 1);
    await appendAll(Array.from({ length: 2500 }, (_, i) => ({ at: base + i, kind: 'push.requested', result: 'info', subject: 'bulk', site: 'bulk' })));
    // Each time the response's buffer is full the export waits for it to drain; a hand-written wait
    // once left a listener behind per wait (Node warns at 11 on the same response).
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const res = await exportOf('jsonl', { site: 'bulk' }).finally(() => process.off('warning', onWarning));
    expect(warnings).not.toContain('MaxListenersExceededWarning');
    const lines = res.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).at);
    expect(lines).toHaveLength(2500);
    expect(lines[0]).toBe(new Date(base).toISOString());
    expect(lines[2499]).toBe(new Date(base + 2499).toISOString());
  });

  it('a store that fails in the middle ends the download short: no complete-looking file, no further reads', async () => {
    // The 2,500 'bulk' events above: the first batch of 1,000 is sent, the second read fails.
    const store = h.gateway.ctx.storage.auditEvents;
    const query = store.query.bind(store);
    let reads = 0;
    const failing = vi.spyOn(store, 'query').mockImplementation(async (q) => {
      if (++reads === 2) throw new Error('the store went away');
      return query(q);
    });
    try {
      await expect(exportOf('jsonl', { site: 'bulk' })).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
      expect(reads).toBe(2);
    } finally {
      failing.mockRestore();
    }
  });
});

describe('live view', () => {
  it('the page offers it with its poll address and the newest id', async () => {
    const res = await page({ site: 'wiki' });
    // One bundle: the live view with local-time (the page shows times).
    const { file, integrity } = h.gateway.ctx.portal.assets.scripts['audit-live+local-time'];
    expect(res.body).toContain(`<script type="module" src="/static/${file}" integrity="${integrity}"></script>`);
    expect(res.body.match(/<script/g)).toHaveLength(1);
    expect(res.body).toMatch(/data-live-href="\/console\/audit\/live\?site&#61;wiki"/);
  });

  it('brings events after an id that match the filters, oldest first, and moves past ones that do not', async () => {
    const latest = await h.gateway.ctx.storage.auditEvents.latestId();
    const poll = async (after: number, query: Record<string, string> = {}) =>
      JSON.parse((await consoleRequest(h, 'GET', `/audit/live?${new URLSearchParams({ ...query, after: String(after) })}`, dave)).body);
    expect(await poll(latest)).toEqual({ last: latest, events: [] });
    const a = await h.gateway.ctx.storage.auditEvents.append({ at: Date.now(), kind: 'sign_in.failure', result: 'failure', subject: 'erin', site: 'live', userAgent: '<b>' });
    const b = await h.gateway.ctx.storage.auditEvents.append({ at: Date.now(), kind: 'sign_in.success', result: 'success', subject: 'bob', site: 'live' });
    const both = await poll(latest, { site: 'live' });
    expect(both.events.map((e: { id: number }) => e.id)).toEqual([a.id, b.id]);
    expect(both.events[0]).toMatchObject({ kind: 'sign_in.failure', subject: 'erin', subjectHref: '/console/users/erin', resultText: 'Failure' });
    const onlyBob = await poll(latest, { user: 'bob' });
    expect(onlyBob.events.map((e: { id: number }) => e.id)).toEqual([b.id]);
    expect((await poll(latest, { user: 'nobody' })).last).toBe(b.id);
  });

  it.each([['-1'], ['1e3'], ['abc'], ['9'.repeat(20)]])('refuses after=%s', async (after) => {
    const res = await consoleRequest(h, 'GET', `/audit/live?after=${after}`, alice);
    expect(res.status).toBe(400);
  });
});

describe('reasons', () => {
  it('are shown as words (the raw code kept beside them and in the title) on the audit log, the live view and the user page', async () => {
    const at = Date.now();
    const site = `reasons-${at}`;
    const latest = (await h.gateway.ctx.storage.auditEvents.query({ limit: 1 }))[0]!.id;
    await h.gateway.ctx.storage.auditEvents.append({ at, kind: 'second_factor.failure', result: 'failure', subject: 'frank', actor: 'frank', site, reason: 'invalid-code' });
    await h.gateway.ctx.storage.auditEvents.append({ at: at + 1, kind: 'admin.disable', result: 'info', subject: 'frank', actor: 'alice', site, reason: 'locked' });
    const page = await consoleRequest(h, 'GET', `/audit?site=${site}`, alice);
    expect(page.body).toContain('<span class="meta" title="invalid-code">Wrong code <code>invalid-code</code></span>');
    // An administrator's own words for disabling are shown as written, even when they spell a code.
    expect(page.body).toContain('<code>admin.disable</code> <span class="meta">locked</span>');
    const zh = await consoleRequest(h, 'GET', `/audit?site=${site}`, alice, { headers: { cookie: `${alice.cookie}; gatehouse_lang=zh-TW` } });
    expect(zh.body).toContain('代碼錯誤 <code>invalid-code</code>');
    const user = await consoleRequest(h, 'GET', '/users/frank', alice);
    expect(user.body).toContain('title="invalid-code">Wrong code <code>invalid-code</code>');
    const live = await consoleRequest(h, 'GET', `/audit/live?site=${site}&after=${latest}`, alice);
    const events = JSON.parse(live.body).events as Array<{ reason: string; reasonText: string | null }>;
    expect(events.map((e) => [e.reason, e.reasonText])).toEqual([
      ['invalid-code', 'Wrong code'],
      ['locked', null],
    ]);
  });
});
