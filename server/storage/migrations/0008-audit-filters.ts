import type { Migration } from '../migrations.js';

/**
 * Indexes for the console's audit log filters (address, site, actor, and time alone), each
 * ending in `at` so a filtered page is read newest first straight from the index. Subject and
 * kind had theirs since version 3. `at, id` serves the unfiltered page and its keyset paging.
 */
export const auditFiltersMigration: Migration = {
  version: 8,
  name: 'audit-filters',
  statements: [
    `CREATE INDEX audit_events_at_id ON audit_events (at, id)`,
    `CREATE INDEX audit_events_client_ip_at ON audit_events (client_ip, at)`,
    `CREATE INDEX audit_events_site_at ON audit_events (site, at)`,
    `CREATE INDEX audit_events_result_at ON audit_events (result, at)`,
  ],
};
