import type { Migration } from '../migrations.js';

/**
 * A mobile number the user added for SMS codes (second_factors.sms_otp.user_numbers), stored
 * only after a code sent to it was typed back; E.164. One per user: the directory's number, when
 * there is one, wins over it (sent-code-services.ts).
 */
export const smsNumbersMigration: Migration = {
  version: 9,
  name: 'sms-numbers',
  statements: [
    `CREATE TABLE sms_numbers (
      username TEXT PRIMARY KEY,
      number TEXT NOT NULL,
      created_at BIGINT NOT NULL
    )`,
  ],
};
