import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { createEnrollmentMailer, maskEmail } from './enrollment-email.js';

type Received = { from: string; to: string[]; data: string };
const received: Received[] = [];
let server: SMTPServer;
let port: number;

beforeAll(async () => {
  // A real SMTP server on loopback: the mailer speaks the protocol, nothing is mocked.
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString('utf8')));
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const smtp = (overrides: object = {}) => ({ host: '127.0.0.1', port, security: 'none' as const, from: 'Gatehouse <gatehouse@corp.example>', timeout: 2, ...overrides });

describe('enrollment email', () => {
  it('delivers the code over SMTP, in the user’s language', async () => {
    const mailer = createEnrollmentMailer(smtp(), () => 0);
    await mailer.sendEnrollmentCode({
      to: 'bob@corp.example',
      displayName: '陳柏宇',
      code: 'ABCDE-12345',
      expiresAt: 3_600_000,
      portalUrl: 'https://auth.corp.example/',
      locale: 'zh-TW',
    });
    mailer.close();
    const mail = received.at(-1)!;
    expect(mail.to).toEqual(['bob@corp.example']);
    expect(mail.from).toBe('gatehouse@corp.example');
    const decoded = decodeBody(mail.data);
    expect(decoded).toContain('ABCDE-12345');
    expect(decoded).toContain('60 分鐘');
  });

  it('fails within its timeout when the server is unreachable', async () => {
    const mailer = createEnrollmentMailer(smtp({ port: 1, timeout: 1 }), () => 0);
    const started = Date.now();
    await expect(
      mailer.sendEnrollmentCode({ to: 'a@corp.example', displayName: 'A', code: 'X', expiresAt: 60_000, portalUrl: 'https://auth.corp.example/', locale: 'en' }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);
    mailer.close();
  });

  it.each([
    ['alice@corp.example', 'a***e@corp.example'],
    ['al@corp.example', 'a*@corp.example'],
    ['a@corp.example', 'a*@corp.example'],
    ['averyveryverylongname@corp.example', 'a******e@corp.example'],
    ['not-an-address', null],
    ['@corp.example', null],
  ])('masks %s as %s', (address, masked) => expect(maskEmail(address)).toBe(masked));
});

/** Undoes quoted-printable or base64 transfer encoding of a simple text mail. */
function decodeBody(raw: string): string {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  if (/content-transfer-encoding:\s*base64/i.test(head!)) return Buffer.from(body.replace(/\s/g, ''), 'base64').toString('utf8');
  if (/content-transfer-encoding:\s*quoted-printable/i.test(head!)) {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}
