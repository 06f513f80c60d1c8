import express from 'express';
import { renderUsersPage, type UsersQuery, type UsersQueryError } from '../../../client/views/console/users-page.js';
import { hasSecondFactor, listUsersPage, MAX_SEARCH } from '../../admin/user-status.js';
import { type ConsoleKit, sendConsolePage, visitorOf } from './console-kit.js';

export const USERS_PAGE_SIZE = 25;
const MAX_INACTIVE_DAYS = 3650;
const MAX_PAGE = 100_000;

/** The query string as the list's form sent it, or what is wrong with it; nothing unchecked reaches the use-case. */
export function parseUsersQuery(raw: Record<string, unknown>): { query: UsersQuery; page: number; error?: UsersQueryError } {
  const text = (name: string) => (typeof raw[name] === 'string' ? (raw[name] as string) : '');
  const query: UsersQuery = { q: text('q'), locked: raw.locked === '1', disabled: raw.disabled === '1', noFactor: raw.no_factor === '1', inactiveDays: text('inactive').trim() };
  const pageText = text('page');
  const page = /^\d{1,6}$/.test(pageText) ? Math.min(Math.max(1, Number(pageText)), MAX_PAGE) : 1;
  if (query.q.trim().length > MAX_SEARCH) return { query, page, error: 'search_too_long' };
  if (query.inactiveDays !== '' && !(/^\d{1,4}$/.test(query.inactiveDays) && Number(query.inactiveDays) >= 1 && Number(query.inactiveDays) <= MAX_INACTIVE_DAYS))
    return { query, page, error: 'inactive_invalid' };
  return { query, page };
}

/** The users list: search in name, display name and email, filters, and paging on the server. */
export function createUsersRoutes(kit: ConsoleKit): express.Router {
  const router = express.Router();

  router.get('/users', async (req, res) => {
    const { t, locale } = visitorOf(res);
    const { query, page, error } = parseUsersQuery(req.query as Record<string, unknown>);
    const base = {
      t,
      locale,
      basePath: kit.ctx.portal.basePath,
      assets: kit.ctx.portal.assets,
      actionPath: kit.path('users'),
      query,
      pageSize: USERS_PAGE_SIZE,
      maxSearch: MAX_SEARCH,
    };
    if (error)
      return sendConsolePage(kit, req, res, {
        status: 400,
        current: 'users',
        title: t('console.users_title'),
        hasError: true,
        body: renderUsersPage({ ...base, error, users: [], total: 0, page: 1 }),
      });

    const filters = { locked: query.locked, disabled: query.disabled, noSecondFactor: query.noFactor, inactiveDays: query.inactiveDays ? Number(query.inactiveDays) : undefined };
    const found = await listUsersPage(kit.admin, { search: query.q, offset: (page - 1) * USERS_PAGE_SIZE, limit: USERS_PAGE_SIZE, filters });
    const users = found.users.map((u) => ({
      username: u.username,
      displayName: u.displayName,
      email: u.email,
      href: kit.path(`users/${u.username}`),
      locked: u.lock.locked,
      disabled: u.disabled.directory || u.disabled.gatehouse !== null,
      hasSecondFactor: hasSecondFactor(u.factors),
      lastSignInAt: u.lastSignInAt,
    }));
    sendConsolePage(kit, req, res, { current: 'users', title: t('console.users_title'), body: renderUsersPage({ ...base, users, total: found.total, page }) });
  });

  return router;
}
