import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';

/**
 * The browser's answer, checked for size and shape before anything decodes it. Every field is
 * capped on its own as well as the whole: a response may arrive already parsed by the HTTP
 * layer (whose own limit may be raised), and nothing larger than this reaches a CBOR decoder.
 */
export const MAX_RESPONSE_CHARS = 64 * 1024;

export type ReadFailure = 'too-large' | 'malformed';
type Read<T> = { ok: true; value: T } | { ok: false; reason: ReadFailure };

export interface ClientData {
  type: string;
  challenge: string;
  origin: string;
  crossOrigin?: boolean;
  topOrigin?: string;
}

export interface RegistrationRead {
  /** Rebuilt from the checked fields only: the library sees exactly what was validated. */
  json: RegistrationResponseJSON;
  clientData: ClientData;
  attestationObject: Buffer;
  transports: string[];
  discoverable: boolean | null;
}

export interface AuthenticationRead {
  json: AuthenticationResponseJSON;
  clientData: ClientData;
  authenticatorData: Buffer;
  userHandle: string | undefined;
}

const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

/** Canonical, unpadded base64url: one spelling per byte string, so an id has one key. */
function isCanonicalBase64Url(value: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(value) && Buffer.from(value, 'base64url').toString('base64url') === value;
}
const base64url = (maxBytes: number) =>
  z
    .string()
    .max(Math.ceil((maxBytes * 4) / 3))
    .refine(isCanonicalBase64Url);

/** WebAuthn §7.1 step 27: credential ids longer than 1023 bytes are refused. */
const credentialId = base64url(1023);

const registrationShape = z.object({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url(4096),
    attestationObject: base64url(40 * 1024),
    transports: z.array(z.string().max(32)).max(16).optional(),
  }),
  clientExtensionResults: z.object({ credProps: z.object({ rk: z.boolean().optional() }).optional() }).optional(),
});

const authenticationShape = z.object({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url(4096),
    authenticatorData: base64url(8192),
    signature: base64url(1024),
    // A user handle is at most 64 bytes; browsers send null or "" when there is none.
    userHandle: z.union([base64url(64), z.literal(''), z.null()]).optional(),
  }),
});

const clientDataShape = z.object({
  type: z.string(),
  challenge: z.string(),
  origin: z.string(),
  crossOrigin: z.boolean().optional(),
  topOrigin: z.string().optional(),
});

export function readRegistrationResponse(input: unknown): Read<RegistrationRead> {
  const json = readJson(input);
  if (!json.ok) return json;
  const shape = registrationShape.safeParse(json.value);
  if (!shape.success || shape.data.id !== shape.data.rawId) return { ok: false, reason: 'malformed' };
  const { id, response, clientExtensionResults } = shape.data;
  const clientData = readClientData(response.clientDataJSON);
  if (!clientData) return { ok: false, reason: 'malformed' };
  const transports = [...new Set((response.transports ?? []).filter((t) => TRANSPORTS.has(t)))].sort();
  return {
    ok: true,
    value: {
      json: {
        id,
        rawId: id,
        type: 'public-key',
        response: { clientDataJSON: response.clientDataJSON, attestationObject: response.attestationObject, transports },
        clientExtensionResults: {},
      },
      clientData,
      attestationObject: Buffer.from(response.attestationObject, 'base64url'),
      transports,
      discoverable: clientExtensionResults?.credProps?.rk ?? null,
    },
  };
}

export function readAuthenticationResponse(input: unknown): Read<AuthenticationRead> {
  const json = readJson(input);
  if (!json.ok) return json;
  const shape = authenticationShape.safeParse(json.value);
  if (!shape.success || shape.data.id !== shape.data.rawId) return { ok: false, reason: 'malformed' };
  const { id, response } = shape.data;
  const clientData = readClientData(response.clientDataJSON);
  if (!clientData) return { ok: false, reason: 'malformed' };
  const userHandle = response.userHandle || undefined;
  return {
    ok: true,
    value: {
      json: {
        id,
        rawId: id,
        type: 'public-key',
        response: { clientDataJSON: response.clientDataJSON, authenticatorData: response.authenticatorData, signature: response.signature, userHandle },
        clientExtensionResults: {},
      },
      clientData,
      authenticatorData: Buffer.from(response.authenticatorData, 'base64url'),
      userHandle,
    },
  };
}

/** A JSON text or an already-parsed value; the size is measured before any parsing. */
function readJson(input: unknown): Read<unknown> {
  if (typeof input === 'string') {
    if (input.length > MAX_RESPONSE_CHARS) return { ok: false, reason: 'too-large' };
    try {
      return { ok: true, value: JSON.parse(input) };
    } catch {
      return { ok: false, reason: 'malformed' };
    }
  }
  if (input === null || typeof input !== 'object') return { ok: false, reason: 'malformed' };
  let text: string;
  try {
    text = JSON.stringify(input);
  } catch {
    return { ok: false, reason: 'malformed' }; // cycles, BigInts
  }
  return text.length > MAX_RESPONSE_CHARS ? { ok: false, reason: 'too-large' } : { ok: true, value: input };
}

function readClientData(encoded: string): ClientData | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64url'));
    const parsed = clientDataShape.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
