import type { Kv } from '../../kv/kv.js';

/** The first factors that are added outside a page that could show the codes there and then. */
export type OwedBecause = 'webauthn' | 'push';

/**
 * A first passkey is registered through a JSON call and a first phone from the phone itself:
 * neither answer can show recovery codes. The portal notes that they are owed and shows them
 * on the user's next page of "My sign-in methods" that may change factors. Nothing secret is
 * kept: the codes are made only when shown. A day is ample to come back from the phone; after
 * that the user can still make them with "Create recovery codes".
 */
const OWED_TTL_SECONDS = 24 * 60 * 60;
const owedKey = (username: string) => `recovery:owed:${username}`;

export async function oweRecoveryCodes(kv: Kv, username: string, because: OwedBecause): Promise<void> {
  await kv.set(owedKey(username), because, OWED_TTL_SECONDS);
}

export async function owedRecoveryCodes(kv: Kv, username: string): Promise<OwedBecause | undefined> {
  return parseOwed(await kv.get(owedKey(username)));
}

/** Single use: of two tabs that come for the owed codes, one gets them. */
export async function takeOwedRecoveryCodes(kv: Kv, username: string): Promise<OwedBecause | undefined> {
  return parseOwed(await kv.take(owedKey(username)));
}

function parseOwed(value: string | null): OwedBecause | undefined {
  return value === 'webauthn' || value === 'push' ? value : undefined;
}
