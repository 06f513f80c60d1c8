import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { reasonWords } from '../../../client/views/console/audit-reason.js';
import express from 'express';
import { type AuditFormQuery, type AuditPageEvent, type AuditQueryError, AUDIT_RESULTS, renderAuditPage } from '../../../client/views/console/audit-page.js';
import { formatTime } from '../../../client/views/format-time.js';
import {
  auditCsvLine,
  auditEventsAfter,
  auditJsonLine,
  auditLogPage,
  AUDIT_CSV_HEADER,
  type AuditCursor,
  type AuditFilter,
  exportAuditEvents,
  latestAuditId,
} from '../../admin/audit-log.js';
import { MAX_SEARCH } from '../../admin/user-status.js';
import { AUDIT_KINDS } from '../../audit/audit-event.js';
import type { AuditEvent, AuditResult } from '../../storage/storage.js';
import { type ConsoleKit, sendConsolePage, visitorOf } from './console-kit.js';

export const AUDIT_PAGE_SIZE = 50;
/** Events one poll of the live view brings at most; the next poll brings the rest. */
const LIVE_BATCH = 100;
const MAX_SITE = 253;
const DAY_MS = 86_400_000;
const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?Z?)?$/;
const FIELDS: readonly (keyof AuditFormQuery)[] = ['user', 'kind', 'result', 'ip', 'site', 'from', 'to'];

export type ParsedAuditQuery = { ok: true; form: AuditFormQuery; filter: AuditFilter; cursor?: AuditCursor } | { ok: false; form: AuditFormQuery; error: AuditQueryError };

/**
 * The audit log's query string as its form sent it, or what is wrong with it. Each filter is an
 * exact value (never a pattern); times are UTC, a date alone meaning the whole day (so `from`
 * and `to` of the same date are that day). Nothing unchecked reaches the use-case.
 */
export function parseAuditQuery(raw: Record<string, unknown>): ParsedAuditQuery {
  const text = (name: string) => (typeof raw[name] === 'string' ? (raw[name] as string).trim() : '');
  const form = Object.fromEntries(FIELDS.map((f) => [f, text(f)])) as unknown as AuditFormQuery;
  const fail = (error: AuditQueryError): ParsedAuditQuery => ({ ok: false, form, error });
  const filter: AuditFilter = {};
  if (form.user) {
    if (form.user.length > MAX_SEARCH) return fail('user');
    filter.user = form.user.toLowerCase();
  }
  if (form.kind) {
    if (!(AUDIT_KINDS as readonly string[]).includes(form.kind)) return fail('kind');
    filter.kind = form.kind;
  }
  if (form.result) {
    if (!(form.result in AUDIT_RESULTS)) return fail('result');
    filter.result = form.result as AuditResult;
  }
  if (form.ip) {
    if (form.ip.length > 64 || isIP(form.ip) === 0) return fail('ip');
    filter.clientIp = form.ip;
  }
  if (form.site) {
    if (form.site.length > MAX_SITE || /[\s\p{Cc}]/u.test(form.site)) return fail('site');
    filter.site = form.site;
  }
  if (form.from) {
    const from = parseUtc(form.from, 'start');
    if (from === null) return fail('from');
    filter.since = from;
  }
  if (form.to) {
    const to = parseUtc(form.to, 'end');
    if (to === null) return fail('to');
    filter.until = to;
  }
  if (filter.since !== undefined && filter.until !== undefined && filter.since >= filter.until) return fail('range');
  const before = text('before');
  if (!before) return { ok: true, form, filter };
  const cursor = /^(\d{1,15})\.(\d{1,15})$/.exec(before);
  if (!cursor) return fail('cursor');
  return { ok: true, form, filter, cursor: { at: Number(cursor[1]), id: Number(cursor[2]) } };
}

/** A UTC date or minute as ms; a date alone is its first instant (`start`) or the first instant after it (`end`). */
function parseUtc(value: string, edge: 'start' | 'end'): number | null {
  const m = TIME.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((part) => (part === undefined ? undefined : Number(part)));
  const at = Date.UTC(year!, month! - 1, day!, hour ?? 0, minute ?? 0, second ?? 0);
  const date = new Date(at);
  // Date.UTC rolls 2026-02-31 over into March: refuse what is not a real day or time.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day || (hour ?? 0) > 23 || (minute ?? 0) > 59 || (second ?? 0) > 59) return null;
  return hour === undefined && edge === 'end' ? at + DAY_MS : at;
}

/** The query string of the filters alone, as the form would send it. */
function filterSearch(form: AuditFormQuery): string {
  const params = new URLSearchParams();
  for (const field of FIELDS) if (form[field]) params.set(field, form[field]);
  return params.toString();
}

/**
 * The audit log: filters, pages newest first, export of the filtered set (JSON lines and CSV,
 * streamed), and the live view's poll (static/audit-live.js). Auditors may use all of it: it
 * reads only.
 */
export function createAuditRoutes(kit: ConsoleKit): express.Router {
  const router = express.Router();
  const withSearch = (path: string, search: string) => (search ? `${kit.path(path)}?${search}` : kit.path(path));

  router.get('/audit', async (req, res) => {
    const { t, locale } = visitorOf(res);
    const parsed = parseAuditQuery(req.query as Record<string, unknown>);
    const search = filterSearch(parsed.form);
    const base = {
      t,
      locale,
      basePath: kit.ctx.portal.basePath,
      assets: kit.ctx.portal.assets,
      actionPath: kit.path('audit'),
      query: parsed.form,
      filterSearch: search,
      kinds: AUDIT_KINDS,
      exportJsonHref: withSearch('audit/export/jsonl', search),
      exportCsvHref: withSearch('audit/export/csv', search),
      liveHref: withSearch('audit/live', search),
    };
    if (!parsed.ok)
      return sendConsolePage(kit, req, res, {
        status: 400,
        current: 'audit',
        title: t('console.audit_title'),
        hasError: true,
        body: renderAuditPage({ ...base, error: parsed.error, events: [], nextHref: null, firstHref: null, latestId: 0 }),
      });
    const [latestId, page] = await Promise.all([latestAuditId(kit.admin), auditLogPage(kit.admin, parsed.filter, { cursor: parsed.cursor, limit: AUDIT_PAGE_SIZE })]);
    const nextSearch = page.next ? new URLSearchParams(search) : undefined;
    nextSearch?.set('before', `${page.next!.at}.${page.next!.id}`);
    sendConsolePage(kit, req, res, {
      current: 'audit',
      title: t('console.audit_title'),
      script: 'audit-live',
      body: renderAuditPage({
        ...base,
        events: page.events.map((e) => toPageEvent(kit, e)),
        nextHref: nextSearch ? withSearch('audit', nextSearch.toString()) : null,
        firstHref: parsed.cursor ? withSearch('audit', search) : null,
        latestId,
      }),
    });
  });

  router.get('/audit/export/:format', async (req, res) => {
    const format = req.params.format;
    const { t } = visitorOf(res);
    const refuse = (status: number, message: string) => res.status(status).type('text/plain; charset=utf-8').send(`${message}\n`);
    if (format !== 'jsonl' && format !== 'csv') return refuse(404, t('console.audit_export_unknown_format'));
    const parsed = parseAuditQuery(req.query as Record<string, unknown>);
    if (!parsed.ok) return refuse(400, t('console.audit_export_bad_filter'));
    const stamp = new Date(kit.ctx.clock.now()).toISOString().replace(/[-:]/g, '').slice(0, 15);
    res.status(200);
    res.set('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.set('content-disposition', `attachment; filename="gatehouse-audit-${stamp}Z.${format}"`);
    res.set('x-content-type-options', 'nosniff');
    const line = format === 'csv' ? auditCsvLine : auditJsonLine;
    const filter = parsed.filter;
    async function* lines() {
      if (format === 'csv') yield AUDIT_CSV_HEADER;
      for await (const event of exportAuditEvents(kit.admin, filter)) yield line(event);
    }
    // pipeline waits whenever the download is slower than the store (nothing piles up in memory),
    // and stops reading the store when the client goes away.
    try {
      await pipeline(Readable.from(lines()), res);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      // Headers are sent: the download ends short (pipeline destroyed it) rather than claiming to be complete.
      kit.ctx.logger.error({ error: (error as Error).message }, 'audit export failed');
    }
  });

  router.get('/audit/live', async (req, res) => {
    const { t, locale } = visitorOf(res);
    const parsed = parseAuditQuery(req.query as Record<string, unknown>);
    const given = req.query.after;
    const after = given === undefined ? undefined : typeof given === 'string' && /^\d{1,15}$/.test(given) ? Number(given) : null;
    if (!parsed.ok || after === null) return res.status(400).json({ error: 'bad_filter' });
    // The newest id first: when fewer than a batch match, every event up to it has been looked at,
    // so the next poll starts past it even if none of them matched. Without `after`: from now on.
    const latest = await latestAuditId(kit.admin);
    if (after === undefined) return res.json({ last: latest, events: [] });
    const events = await auditEventsAfter(kit.admin, parsed.filter, after, LIVE_BATCH);
    const last = Math.max(after, events.at(-1)?.id ?? 0, events.length < LIVE_BATCH ? latest : 0);
    res.json({
      last,
      events: events.map((e) => {
        const view = toPageEvent(kit, e);
        const reasonText = e.reason ? (reasonWords(t, e.kind, e.reason) ?? null) : null;
        return { ...view, atText: formatTime(locale, e.at), resultText: AUDIT_RESULTS[e.result] ? t(AUDIT_RESULTS[e.result]!) : e.result, reasonText };
      }),
    });
  });

  return router;
}

function toPageEvent(kit: ConsoleKit, e: AuditEvent): AuditPageEvent {
  return {
    id: e.id,
    at: e.at,
    kind: e.kind,
    result: e.result,
    actor: e.actor,
    subject: e.subject,
    subjectHref: e.subject ? kit.path(`users/${e.subject}`) : null,
    clientIp: e.clientIp,
    site: e.site,
    reason: e.reason,
  };
}
