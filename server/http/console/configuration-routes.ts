import express from 'express';
import { renderConfigurationPage } from '../../../client/views/console/configuration-page.js';
import { describeConfig } from '../../config/describe-config.js';
import { type ConsoleKit, sendConsolePage, visitorOf } from './console-kit.js';

/**
 * The running configuration, read only, for administrators and auditors alike: every setting
 * with its default filled in, secrets masked by describeConfig (no secret value reaches the
 * page), and when this instance read its configuration and its users file. Gatehouse has no
 * configuration reload: the config is read at start, and the page says so.
 */
export function createConfigurationRoutes(kit: ConsoleKit): express.Router {
  const router = express.Router();
  // The console is built with the gateway, right after the config was read.
  const configLoadedAt = kit.ctx.clock.now();
  const sections = describeConfig(kit.ctx.config);

  router.get('/configuration', (req, res) => {
    const { t, locale } = visitorOf(res);
    const status = kit.ctx.directory.usersFileStatus?.() ?? null;
    sendConsolePage(kit, req, res, {
      current: 'configuration',
      title: t('console.config_title'),
      body: renderConfigurationPage({
        t,
        locale,
        basePath: kit.ctx.portal.basePath,
        assets: kit.ctx.portal.assets,
        configLoadedAt,
        usersFile: status,
        ldap: kit.ctx.config.authentication.ldap !== undefined,
        sections,
      }),
    });
  });

  return router;
}
