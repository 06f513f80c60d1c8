/**
 * Durable data behind one interface: SQLite embedded, or PostgreSQL for several instances,
 * with the same migrations. Secrets (OTP seeds) are encrypted inside the storage layer with AES-256-GCM
 * under the configured keys: callers read and write plaintext Buffers, and nothing outside
 * this folder ever sees ciphertext or keys. Times are milliseconds since the epoch.
 *
 * Methods are async so that a networked backend can implement the same interface.
 */

export type OtpKind = 'totp' | 'hotp';
export type OtpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

/** An authenticator app (TOTP) or an OATH hardware token (TOTP or HOTP). */
export interface OtpDevice {
  /** Random, non-secret id (base64url, 16 bytes). */
  id: string;
  /** Owner; null for an imported hardware token not assigned to anyone yet. */
  username: string | null;
  kind: OtpKind;
  /** The user's name for it ("iPhone", "YubiKey 5"); for tokens, defaults to the serial. */
  name: string;
  secret: Buffer;
  algorithm: OtpAlgorithm;
  digits: 6 | 8;
  /** TOTP period in seconds (30 or 60). */
  period: number;
  /** HOTP: the next counter value expected. TOTP: unused (0). */
  counter: number;
  /** TOTP: learned phone clock offset, in steps. */
  driftSteps: number;
  /** TOTP: the last time step accepted (replay floor). HOTP: unused. */
  lastStep: number | null;
  /** Hardware token serial number; null for authenticator apps. */
  serial: string | null;
  /** False until the user confirmed a first code (enrollment pending). */
  confirmed: boolean;
  createdAt: number;
  lastUsedAt: number | null;
}

export type NewOtpDevice = Omit<OtpDevice, 'id' | 'createdAt' | 'lastUsedAt' | 'driftSteps' | 'lastStep' | 'counter' | 'confirmed'> &
  Partial<Pick<OtpDevice, 'counter' | 'confirmed'>>;

export interface RecoveryCode {
  id: string;
  username: string;
  /** argon2id or SHA-256 of the code; never the code. */
  codeHash: string;
  createdAt: number;
  usedAt: number | null;
}

export type EnrollmentMethod = 'email' | 'admin';

export interface EnrollmentCode {
  id: string;
  username: string;
  method: EnrollmentMethod;
  /** SHA-256 of the code or link token; never the token. */
  codeHash: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  /** Who issued it: an administrator's name, or "self" for an email code. */
  issuedBy: string;
}

export interface OtpDeviceStore {
  create(device: NewOtpDevice, now: number): Promise<OtpDevice>;
  get(id: string): Promise<OtpDevice | undefined>;
  listForUser(username: string): Promise<OtpDevice[]>;
  findBySerial(serial: string): Promise<OtpDevice | undefined>;
  /** Unassigned and assigned hardware tokens. */
  listTokens(): Promise<OtpDevice[]>;
  rename(id: string, name: string): Promise<boolean>;
  confirm(id: string, now: number): Promise<boolean>;
  remove(id: string): Promise<boolean>;
  /**
   * Records an accepted code atomically: succeeds only if the stored value still equals
   * `expected` (HOTP counter or TOTP lastStep), so two racing verifications cannot both win.
   */
  recordUse(
    id: string,
    change: { expectedCounter?: number; counter?: number; expectedLastStep?: number | null; lastStep?: number; driftSteps?: number },
    now: number,
  ): Promise<boolean>;
  /** Assigns an unassigned token to a user; false if it is someone's already or unknown. */
  assign(serial: string, username: string): Promise<boolean>;
  unassign(serial: string): Promise<boolean>;
  /** Imports tokens all-or-nothing: one transaction; a duplicate serial fails the whole batch. */
  importTokens(tokens: NewOtpDevice[], now: number): Promise<void>;
}

export interface RecoveryCodeStore {
  /** Replaces the user's whole set in one transaction. */
  replaceSet(username: string, codeHashes: string[], now: number): Promise<void>;
  listForUser(username: string): Promise<RecoveryCode[]>;
  /** Marks one unused code used; false if it was used already (single use, atomic). */
  markUsed(id: string, now: number): Promise<boolean>;
}

export interface EnrollmentCodeStore {
  create(code: Omit<EnrollmentCode, 'id' | 'usedAt'>): Promise<EnrollmentCode>;
  findByHash(codeHash: string): Promise<EnrollmentCode | undefined>;
  /** Marks it used if unused and unexpired at `now`; false otherwise (single use, atomic). */
  redeem(id: string, now: number): Promise<boolean>;
  /** Deletes codes expired before `now`. */
  purgeExpired(now: number): Promise<number>;
}

/** Per-user preferences the sign-in page uses (the factor used last is offered first). */
export interface UserFactorState {
  username: string;
  lastFactorKind: string | null;
  lastDeviceId: string | null;
}

export interface UserStateStore {
  get(username: string): Promise<UserFactorState | undefined>;
  setLastUsed(username: string, kind: string, deviceId: string | null): Promise<void>;
  /**
   * Every trace of a user's factors: devices (tokens are unassigned, not deleted), codes, state,
   * WebAuthn credentials and the user's WebAuthn handle.
   */
  resetUser(username: string): Promise<void>;
}

/** A WebAuthn credential (passkey or security key). Public data: nothing here is secret. */
export interface WebAuthnCredential {
  /** Credential id, base64url. */
  id: string;
  username: string;
  /** The user handle this credential was registered under (base64url); one per user. */
  userHandle: string;
  /** COSE public key. */
  publicKey: Buffer;
  counter: number;
  transports: string[];
  /** Authenticator model, lower-case UUID (all zeros when not attested). */
  aaguid: string;
  backupEligible: boolean;
  backupState: boolean;
  /** Whether user verification was done at registration. */
  userVerified: boolean;
  /** Discoverable (resident) credential, when the client said so. */
  discoverable: boolean | null;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface WebAuthnCredentialStore {
  /** Fails with DuplicateCredentialError when the id is registered already (to anyone). */
  create(credential: Omit<WebAuthnCredential, 'createdAt' | 'lastUsedAt'>, now: number): Promise<WebAuthnCredential>;
  get(id: string): Promise<WebAuthnCredential | undefined>;
  listForUser(username: string): Promise<WebAuthnCredential[]>;
  /** The user's handle, made with `create()` the first time and stable afterwards. */
  userHandleFor(username: string, create: () => string): Promise<string>;
  /** The user a handle belongs to (for passwordless sign-in). */
  findUserByHandle(userHandle: string): Promise<string | undefined>;
  /** Compare-and-set on the signature counter, as OtpDeviceStore.recordUse. */
  recordUse(id: string, change: { expectedCounter: number; counter: number; backupState: boolean }, now: number): Promise<boolean>;
  rename(id: string, name: string): Promise<boolean>;
  remove(id: string): Promise<boolean>;
}

export class DuplicateCredentialError extends Error {
  constructor(readonly credentialId: string) {
    super('this credential is registered already');
    this.name = 'DuplicateCredentialError';
  }
}

export type AuditResult = 'success' | 'failure' | 'info';
/** Scalars only: details are small, flat and allow-listed (see audit-details.ts). */
export type AuditDetails = Readonly<Record<string, string | number | boolean | null>>;

/** One security event. Times in ms since the epoch; `id` grows with every append. */
export interface AuditEvent {
  id: number;
  at: number;
  /** e.g. "sign_in.failure"; the audit module owns the list. */
  kind: string;
  /** Who did it: the user themself, an administrator, or "system". */
  actor: string | null;
  /** The account it concerns. */
  subject: string | null;
  clientIp: string | null;
  userAgent: string | null;
  site: string | null;
  result: AuditResult;
  reason: string | null;
  details: AuditDetails;
}

export type NewAuditEvent = Pick<AuditEvent, 'at' | 'kind' | 'result'> & Partial<Pick<AuditEvent, 'actor' | 'subject' | 'clientIp' | 'userAgent' | 'site' | 'reason' | 'details'>>;

export interface AuditQuery {
  subject?: string;
  kind?: string;
  result?: AuditResult;
  clientIp?: string;
  site?: string;
  /** Inclusive lower bound on `at`. */
  since?: number;
  /** Exclusive upper bound on `at`. */
  until?: number;
  /** Newest first (the default) or oldest first, by `at` then `id`. */
  order?: 'newest' | 'oldest';
  /** Keyset paging: only events strictly past this one in `order` (no OFFSET, so a deep page costs what the first does). */
  cursor?: { at: number; id: number };
  /** Only events with an id above this (a live view following new events). */
  afterId?: number;
  limit: number;
}

export interface AuditStore {
  /** Refuses (RangeError) details outside the allow-list: a secret must never reach the table. */
  append(event: NewAuditEvent): Promise<AuditEvent>;
  /** Newest first unless `order` says otherwise. */
  query(query: AuditQuery): Promise<AuditEvent[]>;
  /** Events with an id above `id`, oldest first: for tailing. */
  after(id: number, limit: number): Promise<AuditEvent[]>;
  /**
   * How many events of each kind fell in each `bucketMs`-wide interval from `since` (inclusive) to
   * `until` (exclusive): counted in the database, for the console's overview charts. Buckets
   * without events are left out.
   */
  countByInterval(query: { kinds: readonly string[]; since: number; until: number; bucketMs: number }): Promise<Array<{ bucket: number; kind: string; count: number }>>;
  /** The highest id stored, or 0 (not the newest by time: an event may be stored with an earlier time). */
  latestId(): Promise<number>;
}

/** An account an administrator disabled in Gatehouse. */
export interface AccountState {
  username: string;
  disabledAt: number;
  disabledBy: string;
  reason: string | null;
}

export interface AccountStateStore {
  /** The state of a disabled account; undefined while enabled. */
  get(username: string): Promise<AccountState | undefined>;
  /** Disables (idempotent: the first disabling's time and actor stay). */
  disable(username: string, input: { actor: string; reason: string | null; now: number }): Promise<void>;
  /** Enables; false if it was not disabled. */
  enable(username: string): Promise<boolean>;
  listDisabled(): Promise<AccountState[]>;
}

/** A phone enrolled for push approval (the companion app). */
export interface PushDevice {
  /** Random, non-secret id (base64url, 16 bytes). */
  id: string;
  username: string;
  name: string;
  /** The device's P-256 signing key, SPKI DER. Its private half never leaves the phone. */
  publicKey: Buffer;
  /** Web Push subscription as JSON ({ endpoint, keys: { p256dh, auth } }); sealed at rest. Null: live channel only. */
  subscription: string | null;
  /** The TOTP device (otpDevices) that holds this phone's offline-code seed. */
  otpDeviceId: string | null;
  /** Phone clock minus server clock at the last contact, ms. */
  clockOffsetMs: number;
  createdAt: number;
  lastUsedAt: number | null;
  lastSeenAt: number | null;
  /** The app lock's WebAuthn credential (made with user verification on the phone); null: enrolled without one. */
  appLock: PushAppLock | null;
}

export interface PushAppLock {
  /** base64url credential id. */
  credentialId: string;
  /** COSE public key. */
  publicKey: Buffer;
  counter: number;
}

export type NewPushDevice = Pick<PushDevice, 'username' | 'name' | 'publicKey' | 'subscription' | 'otpDeviceId'> & { appLock?: PushAppLock | null };

export interface PushDeviceStore {
  create(device: NewPushDevice, now: number): Promise<PushDevice>;
  get(id: string): Promise<PushDevice | undefined>;
  listForUser(username: string): Promise<PushDevice[]>;
  /** Renames the phone and its offline-code TOTP device, together. */
  rename(id: string, name: string): Promise<boolean>;
  updateSubscription(id: string, subscription: string | null): Promise<boolean>;
  /** The phone made contact: its clock offset and the time. */
  recordSeen(id: string, clockOffsetMs: number, now: number): Promise<boolean>;
  recordUse(id: string, now: number): Promise<boolean>;
  /** Moves the app lock's counter on, only from `expected`: false when another answer moved it first. */
  updateAppLockCounter(id: string, expected: number, counter: number): Promise<boolean>;
  /** Removes the phone and its offline-code TOTP device. */
  remove(id: string): Promise<boolean>;
}

/** A mobile number the user added and confirmed for SMS codes (E.164). */
export interface SmsNumber {
  username: string;
  number: string;
  createdAt: number;
}

/** One confirmed number per user; setting replaces it. */
export interface SmsNumberStore {
  get(username: string): Promise<SmsNumber | undefined>;
  set(username: string, number: string, now: number): Promise<void>;
  /** False when the user had none. */
  remove(username: string): Promise<boolean>;
}

export interface Storage {
  otpDevices: OtpDeviceStore;
  pushDevices: PushDeviceStore;
  accountStates: AccountStateStore;
  recoveryCodes: RecoveryCodeStore;
  enrollmentCodes: EnrollmentCodeStore;
  userState: UserStateStore;
  smsNumbers: SmsNumberStore;
  webauthnCredentials: WebAuthnCredentialStore;
  auditEvents: AuditStore;
  /** Re-encrypts every secret under the first configured key; returns how many were rewritten. */
  rotateKeys(onProgress?: (done: number, total: number) => void): Promise<number>;
  /** Resolves when the database answers; used by /readyz. */
  ping(): Promise<void>;
  /** Writes the audit events still queued (see audit-batcher.ts), then closes; resolves when done. */
  close(): Promise<void>;
}

/**
 * A hardware token serial that is already stored, or twice in one import. Every backend
 * throws this (not a driver error) so callers can name the serial to the administrator.
 */
export class DuplicateSerialError extends Error {
  readonly serial: string;

  constructor(serial: string, where: 'in-batch' | 'stored') {
    super(where === 'in-batch' ? `serial ${serial} appears more than once in the batch` : `serial ${serial} is already stored`);
    this.name = 'DuplicateSerialError';
    this.serial = serial;
  }
}
