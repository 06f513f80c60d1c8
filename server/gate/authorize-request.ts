import type { Directory } from '../directory/directory.js';
import type { CompiledPolicy } from '../policy/compile-policy.js';
import { evaluateAccess } from '../policy/evaluate-access.js';
import type { AccessTarget, Decision } from '../policy/types.js';
import type { Session } from '../session/session.js';
import type { SessionStore } from '../session/session-store.js';
import { readSessionToken } from '../session/session-cookie.js';

export interface AuthorizeDeps {
  policy: CompiledPolicy;
  sessions: SessionStore;
  directory: Directory;
  cookieName: string;
  now: () => number;
}

export type Authorization = { decision: Decision; session: Session | null };

/**
 * The one check every protected request passes, whichever way it came in: our reverse proxy,
 * Traefik/Caddy forward-auth or nginx auth_request. Keeping it single means a rule can never
 * be enforced on one route and forgotten on its twin.
 *
 * Synchronous when the session is cached on this instance (or there is none): the common
 * proxied request allocates no promise. A promise when the store must be asked, which rejects
 * with StoreUnavailableError when it cannot answer: callers fail closed either way.
 */
export function authorizeRequest(deps: AuthorizeDeps, target: AccessTarget, cookieHeader: string | string[] | undefined): Authorization | Promise<Authorization> {
  const token = readSessionToken(cookieHeader, deps.cookieName);
  if (!token) return decide(deps, target, null);
  const cached = deps.sessions.peek(token);
  if (cached !== undefined) {
    const current = withCurrentUser(deps, cached);
    return current instanceof Promise ? current.then((session) => decide(deps, target, session)) : decide(deps, target, current);
  }
  return deps.sessions.read(token).then(async (session) => decide(deps, target, await withCurrentUser(deps, session)));
}

/** The signed-in session, or null; a user disabled or removed since sign-in has none. */
export async function currentSession(deps: Pick<AuthorizeDeps, 'sessions' | 'directory' | 'cookieName'>, cookieHeader: string | string[] | undefined): Promise<Session | null> {
  const token = readSessionToken(cookieHeader, deps.cookieName);
  if (!token) return null;
  return withCurrentUser(deps, await deps.sessions.read(token));
}

/**
 * The session with its user as the directory has them now; null for a user no longer there.
 * Synchronous when the directory can tell without waiting (the users file always; LDAP for a
 * user this instance read within session.cache_ttl); otherwise a promise that reads the user's
 * shared record, never the LDAP server.
 */
function withCurrentUser(deps: Pick<AuthorizeDeps, 'directory'>, session: Session | null): Session | null | Promise<Session | null> {
  if (!session) return null;
  const { directory } = deps;
  if (directory.peekSessionUser) {
    const user = directory.peekSessionUser(session.user);
    if (user === undefined && directory.loadSessionUser) return directory.loadSessionUser(session.user).then((loaded) => (loaded ? { ...session, user: loaded } : null));
    return user ? { ...session, user } : null;
  }
  const user = directory.findUser(session.user.username);
  return user ? { ...session, user } : null;
}

function decide(deps: AuthorizeDeps, target: AccessTarget, session: Session | null): Authorization {
  const subject = session && { username: session.user.username, groups: session.user.groups, factors: session.factors };
  return { decision: evaluateAccess(deps.policy, target, subject, deps.now()), session };
}
