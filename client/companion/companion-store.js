/**
 * The one enrollment this phone holds, in IndexedDB: the device id, the portal, the TOTP seed and
 * the non-extractable ECDSA key pair, stored as the CryptoKeyPair itself (structured clone keeps
 * it usable and never exposes the private half). Re-enrolling replaces the record.
 */
const DB_NAME = 'gatehouse-companion';
const STORE = 'state';
const KEY = 'enrollment';

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, action) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** The stored enrollment, or undefined before the first one. */
export function loadEnrollment() {
  return run('readonly', (store) => store.get(KEY));
}

export function saveEnrollment(enrollment) {
  return run('readwrite', (store) => store.put(enrollment, KEY));
}

export function clearEnrollment() {
  return run('readwrite', (store) => store.delete(KEY));
}
