import type { Transporter } from 'nodemailer';
import type { Config } from '../config/schema.js';
import { isDeliverableAddress } from '../core/email-address.js';

/**
 * The one way Gatehouse sends mail: enrollment codes, sign-in codes, notifications. Small on
 * purpose: a message is a recipient, a subject, a text and optionally an HTML part; nothing
 * read from a user (a directory's address, a display name) can add a header or a recipient.
 */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** Every value from a user in it must have gone through escapeHtml. */
  html?: string;
  /** A security notification's kind, sent as an `X-Gatehouse-Notification` header for mail filters: a fixed word, never user data. */
  kind?: string;
}

export interface MailSender {
  /** Rejects on a refused address (MailAddressError, before any connection) or an SMTP failure. */
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export class MailAddressError extends Error {
  constructor() {
    super('refused recipient address');
    this.name = 'MailAddressError';
  }
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * Sends through the configured SMTP server (nodemailer), each step bounded by smtp.timeout.
 * nodemailer (≈ 2 MB of heap) is loaded with the first message, not when the gateway starts:
 * most gateways send mail seldom, some never.
 */
export function createMailSender(smtp: NonNullable<Config['smtp']>): MailSender {
  const timeout = smtp.timeout * 1000;
  const options = {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.security === 'tls',
    requireTLS: smtp.security === 'starttls',
    ignoreTLS: smtp.security === 'none',
    auth: smtp.username ? { user: smtp.username, pass: smtp.password ?? '' } : undefined,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  let transport: Promise<Transporter> | undefined;
  const openTransport = () => (transport ??= import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport(options)));
  return {
    async send({ to, subject, text, html, kind }) {
      if (!isDeliverableAddress(to)) throw new MailAddressError();
      if (kind !== undefined && !/^[a-z][a-z0-9_.-]{0,63}$/.test(kind)) throw new Error('a notification kind is a fixed lower-case word');
      // An address object, not a string: nodemailer then parses nothing out of it.
      await (await openTransport()).sendMail({
        from: smtp.from,
        to: { name: '', address: to },
        subject: subject.replace(/[\r\n]+/g, ' '),
        text,
        ...(html ? { html } : {}),
        ...(kind ? { headers: { 'X-Gatehouse-Notification': kind } } : {}),
      });
    },
    close: () =>
      void transport?.then(
        (opened) => opened.close(),
        () => {},
      ),
  };
}
