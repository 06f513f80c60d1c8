import { createSecretBox, SecretBoxError, type SecretBox, type SecretKey } from './secret-box.js';

/**
 * OTP device seeds as the database holds them: sealed, bound to the device's id (a seed
 * copied onto another row does not open), with the key id kept beside it for queries.
 */
export interface DeviceSecrets {
  readonly currentKeyId: string | undefined;
  seal(deviceId: string, secret: Buffer): { sealed: string; keyId: string };
  open(deviceId: string, sealed: string): Buffer;
  /** Ids among `keyIds` that no configured key has. */
  missingKeys(keyIds: readonly string[]): string[];
}

export function deviceSecretContext(deviceId: string): string {
  return `otp_device:${deviceId}`;
}

/** With no keys configured (second factors off), storage still opens; touching a seed throws. */
export function createDeviceSecrets(keys: readonly SecretKey[]): DeviceSecrets {
  const box: SecretBox | undefined = keys.length > 0 ? createSecretBox(keys) : undefined;
  const known = new Set(keys.map((k) => k.id));
  const need = (): SecretBox => {
    if (!box) throw new SecretBoxError('unknown-key', 'storage.encryption_keys is empty: OTP secrets can be neither stored nor read');
    return box;
  };
  return {
    currentKeyId: box?.currentKeyId,
    seal(deviceId, secret) {
      const b = need();
      return { sealed: b.seal(secret, deviceSecretContext(deviceId)), keyId: b.currentKeyId };
    },
    open(deviceId, sealed) {
      return need().open(sealed, deviceSecretContext(deviceId));
    },
    missingKeys(keyIds) {
      return keyIds.filter((id) => !known.has(id));
    },
  };
}
