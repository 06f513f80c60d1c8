import { describeWebAuthnCredentialsContract } from './testing/webauthn-credentials-contract.js';
import { openTestStorage } from './testing/test-storage.js';

describeWebAuthnCredentialsContract('SQLite', async (keys) => openTestStorage(keys));
