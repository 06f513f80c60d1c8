import { describeAccountStatesContract } from './account-states-contract.js';
import { openTestStorage } from './test-storage.js';

describeAccountStatesContract('SQLite', async (keys) => openTestStorage(keys));
