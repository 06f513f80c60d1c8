import { describe, expect, it } from 'vitest';
import { auditCsvLine, csvCell } from './audit-log.js';

describe('csvCell', () => {
  it.each([
    ['plain text', 'alice', 'alice'],
    ['nothing', null, ''],
    ['an empty string', '', ''],
    ['a formula', '=1+2', `"'=1+2"`],
    ['a plus', '+41 79', `"'+41 79"`],
    ['a minus', '-2+3', `"'-2+3"`],
    ['an at sign', '@SUM(A1)', `"'@SUM(A1)"`],
    ['a leading tab', '\t=1', `"'\t=1"`],
    ['a leading carriage return', '\r=1', `"'\r=1"`],
    ['a formula with quotes', '=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['a comma', 'a,b', '"a,b"'],
    ['a quote', 'say "hi"', '"say ""hi"""'],
    ['a line break', 'a\nb', '"a\nb"'],
    ['an equals sign later on', 'a=b', 'a=b'],
    ['an IPv6 address', '2001:db8::1', '2001:db8::1'],
  ])('%s', (_name, value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });
});

describe('auditCsvLine', () => {
  it('writes every column in the header order, details as JSON, CRLF at the end', () => {
    const line = auditCsvLine({
      id: 7,
      at: Date.UTC(2026, 11, 4, 9),
      kind: 'sign_in.failure',
      result: 'failure',
      actor: 'erin',
      subject: 'erin',
      clientIp: '192.0.2.1',
      site: 'wiki',
      userAgent: 'Mozilla/5.0 (X11, Linux)',
      reason: null,
      details: { factor: 'password', count: 2 },
    });
    expect(line).toBe('7,2026-12-04T09:00:00.000Z,sign_in.failure,failure,erin,erin,192.0.2.1,wiki,"Mozilla/5.0 (X11, Linux)",,"{""factor"":""password"",""count"":2}"\r\n');
  });
});
