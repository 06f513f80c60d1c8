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
 * Throws StoreUnavailableError when the session store cannot answer: callers fail closed.
 */
export async function authorizeRequest(
  deps: AuthorizeDeps,
  target: AccessTarget,
  cookieHeader: string | string[] | undefined,
): Promise<Authorization> {
  const session = await currentSession(deps, cookieHeader);
  const subject = session && { username: session.user.username, groups: session.user.groups, factors: session.factors };
  return { decision: evaluateAccess(deps.policy, target, subject, deps.now()), session };
}

/** The signed-in session, or null; a user disabled or removed since sign-in has none. */
export async function currentSession(
  deps: Pick<AuthorizeDeps, 'sessions' | 'directory' | 'cookieName'>,
  cookieHeader: string | string[] | undefined,
): Promise<Session | null> {
  const token = readSessionToken(cookieHeader, deps.cookieName);
  if (!token) return null;
  const session = await deps.sessions.read(token);
  if (!session) return null;
  const user = deps.directory.findUser(session.user.username);
  return user ? { ...session, user } : null;
}
