import { describeStorageContract } from './testing/storage-contract.js';
import { openTestStorage } from './testing/test-storage.js';

describeStorageContract('SQLite', async (keys) => openTestStorage(keys));
