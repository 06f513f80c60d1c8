import { randomBytes } from 'node:crypto';
import { decodeKey, type Config } from '../config/schema.js';
import { isDeliverableAddress, maskEmailAddress } from '../core/email-address.js';
import type { Directory } from '../directory/directory.js';
import { deriveCodeKey } from '../factors/sent-code/code-digest.js';
import { createSentCodeFactor, type Destination, type SentCodeKind } from '../factors/sent-code/sent-code-factor.js';
import { maskPhoneNumber, parsePhoneNumber } from '../factors/sms-otp/phone-number.js';
import { createSmsSender } from '../factors/sms-otp/sms-sender.js';
import type { Kv } from '../kv/kv.js';
import type { SmsNumberStore } from '../storage/storage.js';
import { createMailSender } from '../mail/mail-sender.js';
import { createEmailCodeDeliverer, createSmsCodeDeliverer } from '../sign-in/deliver-sign-in-code.js';
import type { SentCodeChannels } from '../sign-in/sent-code-channel.js';

export type { SentCodeChannel, SentCodeChannels, UserNumbers } from '../sign-in/sent-code-channel.js';

/**
 * Email and SMS codes as configured (second_factors.email_otp, .sms_otp): each channel's factor,
 * where its codes go (the directory's `mail` and `mobile`, or the users file's email and mobile),
 * and its sender. `close` ends the senders' connections.
 */
export function createSentCodeChannels(deps: { config: Config; kv: Kv; directory: Directory; smsNumbers?: SmsNumberStore; now: () => number }): {
  channels: SentCodeChannels;
  close(): Promise<void>;
} {
  const { config, kv, directory, now } = deps;
  const { email_otp: email, sms_otp: sms } = config.second_factors;
  const channels: SentCodeChannels = {};
  const closers: Array<() => Promise<void> | void> = [];
  const first = config.storage.encryption_keys[0];
  // Without a configured key (config check requires one) a process key still keeps Redis from holding usable digests.
  const digestKey = deriveCodeKey(first ? decodeKey(first.key)! : randomBytes(32));
  const userOf = async (username: string) => directory.findUser(username) ?? (await directory.lookupUser?.(username));

  if (email.enabled && config.smtp) {
    const mail = createMailSender(config.smtp);
    closers.push(() => mail.close());
    const destinationOf = async (username: string): Promise<Destination | undefined> => {
      const address = (await userOf(username))?.email ?? '';
      return isDeliverableAddress(address) ? { address, masked: maskEmailAddress(address) } : undefined;
    };
    channels.email_otp = {
      factor: createSentCodeFactor({ kv, now, digestKey, destinationOf }, sentCodeOptions('email_otp', email)),
      deliver: createEmailCodeDeliverer(mail, now),
    };
  }
  if (sms.enabled && sms.sender) {
    const sender = createSmsSender(sms.sender, sms.timeout);
    closers.push(() => sender.close());
    const parse = (written: string) => parsePhoneNumber(written, { defaultRegion: sms.default_region, allowedCountries: sms.allowed_countries });
    const asDestination = (written: string | undefined): Destination | undefined => {
      const parsed = written ? parse(written) : undefined;
      return parsed?.ok ? { address: parsed.e164, masked: maskPhoneNumber(parsed.e164) } : undefined;
    };
    const directoryNumberOf = async (username: string) => asDestination((await userOf(username))?.mobile);
    const { smsNumbers } = deps;
    const userNumbers = sms.user_numbers && smsNumbers ? { directoryNumberOf, parse } : undefined;
    // The directory's number wins: a user's own is used only while the directory has none, and
    // read again by today's rules (a country since taken off allowed_countries gets no more texts).
    const destinationOf = async (username: string): Promise<Destination | undefined> => {
      const written = (await userOf(username))?.mobile;
      if (written || !userNumbers) return asDestination(written);
      return asDestination((await smsNumbers!.get(username))?.number);
    };
    channels.sms_otp = {
      factor: createSentCodeFactor(
        { kv, now, digestKey, destinationOf },
        { ...sentCodeOptions('sms_otp', sms), perDestinationPerDay: sms.max_per_number_per_day, perDay: sms.max_per_day },
      ),
      deliver: createSmsCodeDeliverer(sender, sms.message, now),
      ...(userNumbers ? { userNumbers } : {}),
    };
  }
  return { channels, close: async () => void (await Promise.all(closers.map((c) => c()))) };
}

function sentCodeOptions(kind: SentCodeKind, config: Config['second_factors']['email_otp']) {
  return {
    kind,
    digits: config.digits,
    ttlSeconds: config.ttl,
    cooldownSeconds: config.resend_cooldown,
    maxSends: config.max_sends,
    sendWindowSeconds: config.send_window,
  };
}
