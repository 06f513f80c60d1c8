import type { IncomingHttpHeaders } from 'undici/types/header.js';
import { APP_HOST, PORTAL_HOST, WIKI_HOST } from './fixtures.js';
import type { SoakStack } from './soak-stack.js';

/** One answer judged: right, a 2xx (or a 2xx for someone else) that must not be, or any other failure. */
export type Verdict = 'ok' | 'wrong' | 'error';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SoakRequest {
  kind: string;
  host: string;
  path: string;
  headers: Record<string, string>;
  judge(answer: Answer): Verdict;
}

/**
 * Anything else than the expected status is an error, except a 2xx where none was expected:
 * that one opened the gate, and is wrong. A 2xx that was expected but names another user (or a
 * user on a request that has none) is wrong too.
 */
export function judgeAnswer(answer: Answer, expected: number, check?: (a: Answer) => boolean): Verdict {
  if (answer.status === expected) return !check || check(answer) ? 'ok' : 'wrong';
  return answer.status >= 200 && answer.status < 300 ? 'wrong' : 'error';
}

const echoed = (username: string) => (a: Answer) => a.body.startsWith(`user=${username} `);
const toPortal = (a: Answer) => String(a.headers.location ?? '').startsWith(`http://${PORTAL_HOST}/?rd=`);

/** Kinds of request, with their weight in the mix (out of 100). */
export const MIX = [
  { kind: 'proxied', weight: 60 },
  { kind: 'forward-auth', weight: 20 },
  { kind: 'anonymous', weight: 8 },
  { kind: 'forged-cookie', weight: 4 },
  { kind: 'admin-denied', weight: 4 },
  { kind: 'bypass-forged-identity', weight: 4 },
] as const;

/**
 * The i-th request of the mix: signed-in users' pages through the proxy (the upstream echoes the
 * user), forward-auth checks for the wiki, anonymous and forged-cookie requests (302 to the
 * portal), bob on an admin page (403), and a public page sent with a forged Remote-User (the
 * upstream must see none).
 */
export function mixRequest(stack: Pick<SoakStack, 'sessions'>, i: number): SoakRequest {
  const session = stack.sessions[i % stack.sessions.length]!;
  const bob = stack.sessions.find((s) => s.username === 'bob')!;
  const page = `/reports/${i % 97}.html?view=full`;
  let slot = i % 100;
  const kind = MIX.find((m) => (slot -= m.weight) < 0)!.kind;
  switch (kind) {
    case 'proxied':
      return { kind, host: APP_HOST, path: page, headers: { cookie: session.cookie }, judge: (a) => judgeAnswer(a, 200, echoed(session.username)) };
    case 'forward-auth':
      return {
        kind,
        host: PORTAL_HOST,
        path: '/api/authz/forward-auth',
        headers: {
          cookie: session.cookie,
          'x-forwarded-method': 'GET',
          'x-forwarded-proto': 'http',
          'x-forwarded-host': WIKI_HOST,
          'x-forwarded-uri': page,
          'x-forwarded-for': '10.1.2.3',
        },
        judge: (a) => judgeAnswer(a, 200, (x) => x.headers['remote-user'] === session.username),
      };
    case 'anonymous':
      return { kind, host: APP_HOST, path: page, headers: {}, judge: (a) => judgeAnswer(a, 302, toPortal) };
    case 'forged-cookie':
      return { kind, host: APP_HOST, path: page, headers: { cookie: `gatehouse_session=${'A'.repeat(43)}` }, judge: (a) => judgeAnswer(a, 302, toPortal) };
    case 'admin-denied':
      return { kind, host: APP_HOST, path: '/admin/users', headers: { cookie: bob.cookie }, judge: (a) => judgeAnswer(a, 403) };
    case 'bypass-forged-identity':
      return {
        kind,
        host: APP_HOST,
        path: `/public/${i % 13}.css`,
        headers: { 'remote-user': 'alice', remote_groups: 'admins' },
        judge: (a) => judgeAnswer(a, 200, (x) => x.body.startsWith('user= groups= ')),
      };
  }
}
