import { describeStorageContract } from './storage-contract.js';
import { openTestStorage } from './test-storage.js';

describeStorageContract('SQLite', async (keys) => openTestStorage(keys));
