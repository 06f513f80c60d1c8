import nodemailer from 'nodemailer';
import type { Config } from '../config/schema.js';

/** One mail: a fixed subject from a template, a text and an HTML body. */
export interface MailTransport {
  /** `kind` becomes an X-Gatehouse-Notification header, for mail filters: a fixed word, never user data. */
  send(mail: { to: string; subject: string; text: string; html: string; kind?: string }): Promise<void>;
  close(): void;
}

/**
 * The configured SMTP server (the same `smtp` section as enrollment codes), with its timeout on
 * every phase so that a server that hangs fails the send instead of holding it forever.
 */
export function createSmtpTransport(smtp: NonNullable<Config['smtp']>): MailTransport {
  const timeout = smtp.timeout * 1000;
  const transport = nodemailer.createTransport({
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
  });
  return {
    async send(mail) {
      await transport.sendMail({
        from: smtp.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        ...(mail.kind ? { headers: { 'X-Gatehouse-Notification': mail.kind } } : {}),
      });
    },
    close: () => transport.close(),
  };
}
