import express, { type Request, type Response } from 'express';
import { renderTokenPage, TOKEN_NOTICES, type TokenNotice, type TokenProblem } from '../../../client/views/console/token-page.js';
import { type ImportOutcome, renderTokensPage } from '../../../client/views/console/tokens-page.js';
import { assignHardwareToken, getHardwareToken, listHardwareTokens, resyncHardwareToken, unassignHardwareToken } from '../../admin/hardware-tokens.js';
import { importHardwareTokenFile } from '../../admin/import-hardware-tokens.js';
import { MAX_TOKEN_FILE_BYTES } from '../../tokens/imported-token.js';
import { sendErrorPage } from '../pages.js';
import { actorOf, type ConsoleKit, sendConsolePage, visitorOf } from './console-kit.js';
import type { UploadForm } from './read-upload-form.js';

export const TOKENS_PAGE_SIZE = 25;
const MAX_SEARCH = 64;
const MAX_PAGE = 100_000;
const RESYNC_PROBLEMS: Readonly<Record<string, TokenProblem>> = { malformed: 'codes_malformed', 'invalid-code': 'codes_invalid', replayed: 'codes_replayed', changed: 'changed' };

const serialOf = (req: Request) => String(req.params.serial ?? '');
const field = (req: Request, key: string) => (typeof req.body?.[key] === 'string' ? (req.body[key] as string) : '');

/**
 * Hardware tokens: the inventory, the import of a vendor's PSKC or CSV file (uploaded as
 * multipart/form-data, read by the console router after its access check), and a token's page
 * with assign, unassign and resync. Each change is one use-case of server/admin, which audits.
 */
export function createTokensRoutes(kit: ConsoleKit): express.Router {
  const router = express.Router();
  const { admin } = kit;
  const tokensPath = kit.path('tokens');
  const tokenPath = (serial: string, notice?: TokenNotice) => `${tokensPath}/${encodeURIComponent(serial)}${notice ? `?notice=${notice}` : ''}`;

  /** The inventory page; after an upload, with what it came to. */
  async function sendInventory(req: Request, res: Response, raw: Record<string, unknown>, imported?: ImportOutcome, status = 200) {
    const { t, locale, session, role } = visitorOf(res);
    const q = typeof raw.q === 'string' ? raw.q : '';
    const pageText = typeof raw.page === 'string' ? raw.page : '';
    const page = /^\d{1,6}$/.test(pageText) ? Math.min(Math.max(1, Number(pageText)), MAX_PAGE) : 1;
    const query = { q, unassigned: raw.unassigned === '1' };
    const searchTooLong = q.trim().length > MAX_SEARCH;
    const found = searchTooLong
      ? { tokens: [], total: 0 }
      : await listHardwareTokens(admin, { search: q, unassignedOnly: query.unassigned, offset: (page - 1) * TOKENS_PAGE_SIZE, limit: TOKENS_PAGE_SIZE });
    const tokens = found.tokens.map((token) => ({ ...token, href: tokenPath(token.serial), userHref: token.username === null ? undefined : kit.path(`users/${token.username}`) }));
    const body = renderTokensPage({
      t,
      locale,
      basePath: kit.ctx.portal.basePath,
      assets: kit.ctx.portal.assets,
      actionPath: tokensPath,
      importPath: `${tokensPath}/import`,
      csrfToken: session.csrf,
      canChange: role === 'admin',
      query,
      searchTooLong,
      maxSearch: MAX_SEARCH,
      tokens,
      total: found.total,
      page,
      pageSize: TOKENS_PAGE_SIZE,
      imported,
      maxFileMegabytes: MAX_TOKEN_FILE_BYTES / 1024 / 1024,
    });
    const failed = searchTooLong || (imported !== undefined && !imported.ok);
    sendConsolePage(kit, req, res, { status: searchTooLong ? 400 : status, current: 'tokens', title: t('console.tokens_title'), hasError: failed, body });
  }

  /** A token's page, with a notice after a change or a problem (and its status) after a refusal. */
  async function sendToken(req: Request, res: Response, options: { problem?: TokenProblem; username?: string } = {}) {
    const found = await getHardwareToken(admin, serialOf(req));
    if (!found.ok) return sendErrorPage(kit.ctx, req, res, 'console.unknown_token');
    const { t, locale, session, role } = visitorOf(res);
    const notice = TOKEN_NOTICES.find((n) => n === req.query.notice);
    const { token } = found;
    const body = renderTokenPage({
      t,
      locale,
      basePath: kit.ctx.portal.basePath,
      assets: kit.ctx.portal.assets,
      token,
      userHref: token.username === null ? undefined : kit.path(`users/${token.username}`),
      tokensHref: tokensPath,
      actionPath: (action) => `${tokenPath(token.serial)}/${action}`,
      csrfToken: session.csrf,
      canChange: role === 'admin',
      notice: options.problem ? undefined : notice,
      ...options,
    });
    sendConsolePage(kit, req, res, {
      status: options.problem ? 400 : 200,
      current: 'tokens',
      title: t('console.token_title', { serial: token.serial }),
      hasError: !!options.problem,
      body,
    });
  }

  router.get('/tokens', (req, res) => sendInventory(req, res, req.query as Record<string, unknown>));

  router.post('/tokens/import', async (req, res) => {
    const file = res.locals.uploadedFile as UploadForm['file'];
    if (file?.field !== 'file') return sendInventory(req, res, {}, { ok: false, reason: 'no_file', errors: [] }, 400);
    const result = await importHardwareTokenFile(admin, actorOf(kit, req, res), {
      filename: file.filename,
      content: file.content,
      password: field(req, 'password'),
      preSharedKey: field(req, 'key'),
    });
    if (result.ok) return sendInventory(req, res, {}, result);
    sendInventory(req, res, {}, result, result.reason === 'too_large' ? 413 : 400);
  });

  router.get('/tokens/:serial', (req, res) => sendToken(req, res));

  router.post('/tokens/:serial/assign', async (req, res) => {
    const username = field(req, 'username').trim();
    const result = await assignHardwareToken(admin, actorOf(kit, req, res), serialOf(req), username);
    if (result.ok) return res.redirect(303, tokenPath(serialOf(req), result.already ? 'already_assigned' : 'assigned'));
    if (result.reason === 'unknown_token') return sendErrorPage(kit.ctx, req, res, 'console.unknown_token');
    sendToken(req, res, { problem: result.reason, username: username.slice(0, 128) });
  });

  router.post('/tokens/:serial/unassign', async (req, res) => {
    const result = await unassignHardwareToken(admin, actorOf(kit, req, res), serialOf(req));
    if (!result.ok) return sendErrorPage(kit.ctx, req, res, 'console.unknown_token');
    res.redirect(303, tokenPath(serialOf(req), result.previousOwner === null ? 'not_assigned' : 'unassigned'));
  });

  router.post('/tokens/:serial/resync', async (req, res) => {
    const codes = { code1: field(req, 'code1'), code2: field(req, 'code2') };
    const result = await resyncHardwareToken(admin, actorOf(kit, req, res), serialOf(req), codes, kit.ctx.config.second_factors);
    if (result.ok) return res.redirect(303, tokenPath(serialOf(req), 'resynced'));
    if (result.reason === 'unknown_token') return sendErrorPage(kit.ctx, req, res, 'console.unknown_token');
    sendToken(req, res, { problem: RESYNC_PROBLEMS[result.reason] ?? 'codes_invalid' });
  });

  return router;
}
