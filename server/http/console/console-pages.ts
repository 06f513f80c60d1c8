import type express from 'express';
import type { ConsoleKit, ConsoleNavEntry } from './console-kit.js';
import { createAuditRoutes } from './audit-routes.js';
import { createConfigurationRoutes } from './configuration-routes.js';
import { createOverviewRoutes } from './overview-routes.js';
import { createPolicyRoutes } from './policy-routes.js';
import { createTokensRoutes } from './tokens-routes.js';
import { createUserRoutes } from './user-routes.js';
import { createUsersRoutes } from './users-routes.js';

/**
 * The console's pages, in navigation order. To add a page: a router module here (its routes
 * with their whole path under the console, e.g. `/audit`), a view in client/views/console/, an
 * entry below with its navigation label, and its strings in both locales. The console router's
 * access check runs before it, and the authorization table test finds its routes by itself.
 */
export const CONSOLE_PAGES: ReadonlyArray<{ nav?: ConsoleNavEntry; create: (kit: ConsoleKit) => express.Router }> = [
  // First: the console's start page (GET / redirects to the first entry).
  { nav: { id: 'overview', path: 'overview', label: 'console.nav_overview' }, create: createOverviewRoutes },
  { nav: { id: 'users', path: 'users', label: 'console.nav_users' }, create: createUsersRoutes },
  { create: createUserRoutes },
  { nav: { id: 'tokens', path: 'tokens', label: 'console.nav_tokens' }, create: createTokensRoutes },
  { nav: { id: 'audit', path: 'audit', label: 'console.nav_audit' }, create: createAuditRoutes },
  { nav: { id: 'policy', path: 'policy', label: 'console.nav_policy' }, create: createPolicyRoutes },
  { nav: { id: 'configuration', path: 'configuration', label: 'console.nav_configuration' }, create: createConfigurationRoutes },
];
