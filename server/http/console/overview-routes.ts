import express from 'express';
import { renderOverviewPage } from '../../../client/views/console/overview-page.js';
import { loadOverview } from '../../admin/overview.js';
import type { AuditEvent } from '../../storage/storage.js';
import { type ConsoleKit, sendConsolePage, visitorOf } from './console-kit.js';

/** The overview, the console's start page: activity charts and what needs attention, each linking to its detail. */
export function createOverviewRoutes(kit: ConsoleKit): express.Router {
  const router = express.Router();
  const auditHref = (query: Record<string, string>) => `${kit.path('audit')}?${new URLSearchParams(query)}`;
  const links = (events: AuditEvent[]) => events.map((e) => ({ at: e.at, user: e.subject, userHref: e.subject ? kit.path(`users/${e.subject}`) : null, clientIp: e.clientIp }));

  router.get('/overview', async (req, res) => {
    const { t, locale } = visitorOf(res);
    const overview = await loadOverview(kit.admin, kit.ctx.clock.now());
    sendConsolePage(kit, req, res, {
      current: 'overview',
      title: t('console.overview_title'),
      body: renderOverviewPage({
        t,
        locale,
        basePath: kit.ctx.portal.basePath,
        assets: kit.ctx.portal.assets,
        hourly: overview.hourly,
        daily: overview.daily,
        sessions: overview.sessions,
        locked: { total: overview.locked.total, users: overview.locked.users.map((name) => ({ name, href: kit.path(`users/${name}`) })), href: `${kit.path('users')}?locked=1` },
        bans: { total: overview.bans.total, href: auditHref({ kind: 'regulation.banned' }) },
        notMe: { events: links(overview.notMe), href: auditHref({ kind: 'push.not_me' }) },
        cloneWarnings: { events: links(overview.cloneWarnings), href: auditHref({ kind: 'webauthn.clone_warning' }) },
      }),
    });
  });

  return router;
}
