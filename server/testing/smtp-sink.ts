import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The message as it came over the wire: headers and encoded body. */
  raw: string;
}

/**
 * A real SMTP server on loopback that keeps what it receives: the mailer speaks the protocol,
 * nothing is mocked. `next` waits for a mail to arrive (tests wait for events, not for time).
 */
export async function startSmtpSink() {
  const received: ReceivedMail[] = [];
  const waiters: Array<{ match: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      stream.on('end', () => {
        const mail = { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw };
        received.push(mail);
        for (const w of waiters.splice(0)) {
          if (w.match(mail)) w.resolve(mail);
          else waiters.push(w);
        }
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    /** The first mail from now on to `to` (or any). */
    next(to?: string): Promise<ReceivedMail> {
      return new Promise((resolve) => waiters.push({ match: (m) => to === undefined || m.to.includes(to), resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>;

/** The text parts of a mail, transfer encodings undone (base64, quoted-printable), one after the other. */
export function decodeMailParts(raw: string): { headers: string; parts: Array<{ type: string; body: string }> } {
  const [headers = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(headers)?.[1];
  const chunks = boundary ? rest.join('\n\n').split(`--${boundary}`).slice(1, -1) : [`${headers}\n\n${rest.join('\n\n')}`];
  const parts = chunks.map((chunk) => {
    const [head = '', ...body] = chunk.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
    const text = body.join('\n\n');
    const type = /content-type:\s*([^;\r\n]+)/i.exec(head)?.[1]?.trim() ?? 'text/plain';
    if (/content-transfer-encoding:\s*base64/i.test(head)) return { type, body: Buffer.from(text.replace(/\s/g, ''), 'base64').toString('utf8') };
    if (/content-transfer-encoding:\s*quoted-printable/i.test(head)) {
      const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
      return { type, body: Buffer.from(bytes, 'latin1').toString('utf8') };
    }
    return { type, body: text };
  });
  return { headers, parts };
}

/** The code in a sign-in code mail (its text part). */
export function codeFromMail(mail: ReceivedMail): string {
  const text = decodeMailParts(mail.raw).parts.find((p) => p.type === 'text/plain')?.body ?? '';
  const code = /(?:code|驗證碼)[:：]\s*([0-9]{6,8})/.exec(text)?.[1];
  if (!code) throw new Error('no code in the mail');
  return code;
}
