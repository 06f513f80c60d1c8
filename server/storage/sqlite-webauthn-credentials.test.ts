import { describeWebAuthnCredentialsContract } from './webauthn-credentials-contract.js';
import { openTestStorage } from './test-storage.js';

describeWebAuthnCredentialsContract('SQLite', async (keys) => openTestStorage(keys));
