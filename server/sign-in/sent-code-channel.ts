import type { Destination, SentCodeFactor, SentCodeKind } from '../factors/sent-code/sent-code-factor.js';
import type { PhoneNumberResult } from '../factors/sms-otp/phone-number.js';
import type { CodeMessage, DeliveryOutcome } from './send-sign-in-code.js';

/** One channel of sign-in codes: its factor and how its codes leave (made by http/sent-code-services.ts). */
export interface SentCodeChannel {
  factor: SentCodeFactor;
  deliver(message: CodeMessage): Promise<DeliveryOutcome>;
  /** SMS with sms_otp.user_numbers: how the user's own number is read and checked. */
  userNumbers?: UserNumbers;
}

/** What adding one's own number needs: the directory's number (which wins), and the number rules. */
export interface UserNumbers {
  directoryNumberOf(username: string): Promise<Destination | undefined>;
  parse(written: string): PhoneNumberResult;
}

export type SentCodeChannels = Partial<Record<SentCodeKind, SentCodeChannel>>;
