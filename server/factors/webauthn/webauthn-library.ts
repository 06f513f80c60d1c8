/**
 * @simplewebauthn/server, loaded on the first passkey ceremony instead of at boot: its import
 * costs 15–20 MB of resident memory (ASN.1 and COSE parsers), which a gateway that only proxies
 * — or a whole deployment without passkeys — then never pays. Types are imported statically
 * (they are erased); values only through this function.
 */
export interface WebAuthnLibrary {
  server: typeof import('@simplewebauthn/server');
  helpers: typeof import('@simplewebauthn/server/helpers');
}

let loading: Promise<WebAuthnLibrary> | undefined;

export function loadWebAuthnLibrary(): Promise<WebAuthnLibrary> {
  loading ??= Promise.all([import('@simplewebauthn/server'), import('@simplewebauthn/server/helpers')]).then(([server, helpers]) => ({ server, helpers }));
  return loading;
}
