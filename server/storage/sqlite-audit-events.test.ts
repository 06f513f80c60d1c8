import { describe, expect, it } from 'vitest';
import { pickAuditDetails } from './audit-details.js';
import { describeAuditEventsContract } from './testing/audit-events-contract.js';
import { openTestStorage } from './testing/test-storage.js';

describeAuditEventsContract('SQLite', async (keys) => openTestStorage(keys));

describe('pickAuditDetails', () => {
  it('keeps allowed scalar entries and names the dropped ones', () => {
    expect(pickAuditDetails({ factor: 'totp', password: 'x', code: '1', device: undefined, count: 2, response: { a: 1 } })).toEqual({
      details: { factor: 'totp', count: 2 },
      dropped: ['password', 'code', 'response'],
    });
  });
});
