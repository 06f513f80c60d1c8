import { describeAccountStatesContract } from './testing/account-states-contract.js';
import { openTestStorage } from './testing/test-storage.js';

describeAccountStatesContract('SQLite', async (keys) => openTestStorage(keys));
