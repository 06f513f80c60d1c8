import { APP_HOST, PORTAL_HOST, WIKI_HOST } from './fixtures.js';

// L (nginx auth_request → LemonLDAP::NG) is measured beside F by bench/lemonldap.ts, not in the rounds.
export type ScenarioKey = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H' | 'L' | 'W';

export interface Scenario {
  key: ScenarioKey;
  label: string;
  port: number;
  host: string;
  path: string;
  headers?: Record<string, string>;
  /** Rotate through the signed-in sessions' cookies. */
  withSessions: boolean;
  /** Traffic the gateway serves: Redis commands and its RSS are measured. */
  throughGateway: boolean;
  /** Requests the gateway proxies to the upstream (counted for the memory marks). */
  proxiedByGateway: boolean;
}

/** What a signed-in browser asks for; the upstream answers every path with its 4 KB page. */
export const PAGE_PATH = '/reports/2024/q3.html?view=full';

export function defineScenarios(ports: {
  upstream: number;
  nginxProxy: number;
  hello: number;
  gateway: number;
  authRequest: number;
  bareProxy: number;
  workersGateway?: number;
}): Scenario[] {
  const forwardAuthHeaders = {
    'X-Forwarded-Method': 'GET',
    'X-Forwarded-Proto': 'http',
    'X-Forwarded-Host': WIKI_HOST,
    'X-Forwarded-Uri': PAGE_PATH,
    'X-Forwarded-For': '10.1.2.3',
  };
  const page = { host: APP_HOST, path: PAGE_PATH };
  return [
    { key: 'A', label: 'upstream direct (nginx, 4 KB page)', port: ports.upstream, ...page, withSessions: true, throughGateway: false, proxiedByGateway: false },
    { key: 'B', label: 'nginx proxy_pass (keep-alive)', port: ports.nginxProxy, ...page, withSessions: true, throughGateway: false, proxiedByGateway: false },
    { key: 'C', label: 'bare node:http hello world', port: ports.hello, ...page, headers: forwardAuthHeaders, withSessions: true, throughGateway: false, proxiedByGateway: false },
    { key: 'D', label: 'Gatehouse reverse proxy, signed in', port: ports.gateway, ...page, withSessions: true, throughGateway: true, proxiedByGateway: true },
    {
      key: 'E',
      label: 'Gatehouse forward-auth, signed in',
      port: ports.gateway,
      host: PORTAL_HOST,
      path: '/api/authz/forward-auth',
      headers: forwardAuthHeaders,
      withSessions: true,
      throughGateway: true,
      proxiedByGateway: false,
    },
    {
      key: 'F',
      label: 'nginx auth_request → Gatehouse',
      port: ports.authRequest,
      host: WIKI_HOST,
      path: PAGE_PATH,
      withSessions: true,
      throughGateway: true,
      proxiedByGateway: false,
    },
    { key: 'G', label: 'Gatehouse, no session (302)', port: ports.gateway, ...page, withSessions: false, throughGateway: true, proxiedByGateway: false },
    // Not one of the scenarios: the ceiling for a Node.js proxy, to read D against.
    { key: 'H', label: 'reference: bare node:http + undici proxy', port: ports.bareProxy, ...page, withSessions: true, throughGateway: false, proxiedByGateway: false },
    // D again, served by `gatehouse serve` with server.workers: 2 (its Redis commands and RSS are not D's: not measured).
    ...(ports.workersGateway !== undefined
      ? [
          {
            key: 'W' as const,
            label: 'Gatehouse reverse proxy, signed in, workers: 2',
            port: ports.workersGateway,
            ...page,
            withSessions: true,
            throughGateway: false,
            proxiedByGateway: false,
          },
        ]
      : []),
  ];
}
