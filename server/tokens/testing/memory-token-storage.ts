import { DuplicateSerialError, type OtpDevice, type OtpDeviceStore, type Storage } from '../../storage/storage.js';

/**
 * Just enough Storage for the token commands: hardware tokens in memory, imported
 * all-or-nothing like the real store. The other stores are not used by these commands.
 */
export function createMemoryTokenStorage(options: { failImport?: Error } = {}): Storage & { devices: Map<string, OtpDevice>; closed: number } {
  const devices = new Map<string, OtpDevice>();
  let nextId = 1;
  const notUsed = () => {
    throw new Error('not used by the token commands');
  };
  const bySerial = (serial: string) => [...devices.values()].find((d) => d.serial === serial);
  // Copies, as a database hands out: a caller holding one must not see later writes.
  const copy = (device: OtpDevice | undefined) => (device ? { ...device } : undefined);
  const otpDevices: OtpDeviceStore = {
    create: notUsed,
    get: async (id) => copy(devices.get(id)),
    listForUser: async (username) => [...devices.values()].filter((d) => d.username === username).map((d) => ({ ...d })),
    findBySerial: async (serial) => copy(bySerial(serial)),
    listTokens: async () => [...devices.values()].filter((d) => d.serial !== null).map((d) => ({ ...d })),
    rename: notUsed,
    confirm: notUsed,
    remove: notUsed,
    recordUse: notUsed,
    async assign(serial, username) {
      const device = bySerial(serial);
      if (!device || device.username !== null) return false;
      device.username = username;
      return true;
    },
    async unassign(serial) {
      const device = bySerial(serial);
      if (!device || device.username === null) return false;
      device.username = null;
      return true;
    },
    async importTokens(tokens, now) {
      if (options.failImport) throw options.failImport;
      const serials = new Set([...devices.values()].map((d) => d.serial));
      for (const token of tokens) {
        if (serials.has(token.serial)) throw new DuplicateSerialError(token.serial!, 'stored');
        serials.add(token.serial);
      }
      for (const token of tokens) {
        const id = `id-${nextId++}`;
        devices.set(id, { ...token, id, counter: token.counter ?? 0, confirmed: token.confirmed ?? false, driftSteps: 0, lastStep: null, createdAt: now, lastUsedAt: null });
      }
    },
  };
  const storage = {
    devices,
    closed: 0,
    otpDevices,
    pushDevices: {
      create: notUsed,
      get: notUsed,
      listForUser: notUsed,
      rename: notUsed,
      updateSubscription: notUsed,
      recordSeen: notUsed,
      recordUse: notUsed,
      updateAppLockCounter: notUsed,
      remove: notUsed,
    },
    accountStates: { get: notUsed, disable: notUsed, enable: notUsed, listDisabled: notUsed },
    recoveryCodes: { replaceSet: notUsed, listForUser: notUsed, markUsed: notUsed },
    enrollmentCodes: { create: notUsed, findByHash: notUsed, redeem: notUsed, purgeExpired: notUsed },
    userState: { get: notUsed, setLastUsed: notUsed, resetUser: notUsed },
    smsNumbers: { get: notUsed, set: notUsed, remove: notUsed },
    webauthnCredentials: {
      create: notUsed,
      get: notUsed,
      listForUser: notUsed,
      userHandleFor: notUsed,
      findUserByHandle: notUsed,
      recordUse: notUsed,
      rename: notUsed,
      remove: notUsed,
    },
    auditEvents: { append: notUsed, query: notUsed, after: notUsed, latestId: notUsed, countByInterval: notUsed },
    rotateKeys: notUsed,
    ping: async () => {},
    async close() {
      storage.closed++;
    },
  };
  return storage;
}
