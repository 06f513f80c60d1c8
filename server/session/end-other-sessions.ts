import type { SessionStore } from './session-store.js';

/**
 * Ends every session of the user except the one that made the change, on every instance.
 * Used when a factor is removed: a session signed in with that factor (a lost phone's, a
 * thief's) must not outlive it, while the user who removed it stays signed in.
 */
export async function endOtherSessions(sessions: SessionStore, username: string, keepToken: string): Promise<number> {
  const keep = sessions.idOf(keepToken);
  const others = (await sessions.listForUser(username)).filter((s) => s.id !== keep);
  const ended = await Promise.all(others.map((s) => sessions.destroyById(username, s.id)));
  return ended.filter(Boolean).length;
}
