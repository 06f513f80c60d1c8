import { generateKeyPairSync, sign } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSpki, verifyDeviceSignature } from '../../server/factors/push/push-wire.js';
import { signedRequestText } from '../../server/factors/push/device-auth.js';
import { toApproval, type ApprovalRecord } from '../../server/factors/push/push-approvals.js';
import * as core from './companion-core.js';
import * as wire from './push-wire-format.js';

/**
 * The push approval's wire format is written once (push-wire-format.js) and used by both ends:
 * the companion's core hands out the very same functions, the gateway verifies what they
 * produce, and no other source spells the signed texts' version tags.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourcesUnder(path);
    return /\.(ts|js|mjs)$/.test(name) && !/\.test\.ts$|\.d\.ts$/.test(name) ? [path] : [];
  });
}

describe('the push wire format, shared', () => {
  it('is what the companion uses: its core re-exports the same functions', () => {
    expect(core.answerText).toBe(wire.answerText);
    expect(core.deviceRequestText).toBe(wire.deviceRequestText);
    expect(core.authorizationHeader).toBe(wire.authorizationHeader);
    expect(core.signedQuery).toBe(wire.signedQuery);
    expect(core.normalizeNumber).toBe(wire.normalizeNumber);
  });

  it('is what the gateway verifies: a phone’s signature over the shared texts checks out, one over any other text does not', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = loadSpki(publicKey.export({ format: 'der', type: 'spki' }))!;
    const signText = (text: string) => sign('sha256', Buffer.from(text), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const body = '{"subscription":null}';
    const phone = wire.deviceRequestText({ method: 'put', path: '/api/push/v1/subscription', t: 1_700_000_000_000, bodyHash: await core.sha256Base64Url(body) });
    const gateway = signedRequestText({ method: 'PUT', path: '/api/push/v1/subscription', t: 1_700_000_000_000, body: Buffer.from(body) });
    expect(gateway).toBe(phone);
    const sig = signText(phone);
    expect(verifyDeviceSignature(key, gateway, sig)).toBe(true);
    expect(verifyDeviceSignature(key, gateway.replace('PUT', 'GET'), sig)).toBe(false);
    const credentials = { id: 'dev_1', t: 5, sig };
    expect(wire.parseAuthorizationHeader(wire.authorizationHeader(credentials))).toEqual(credentials);
    expect(wire.parseSignedQuery(Object.fromEntries(new URLSearchParams(wire.signedQuery(credentials))))).toEqual(credentials);
  });

  it('shows the phone exactly the approval fields it names, never the number', () => {
    const record: ApprovalRecord = {
      approvalId: 'a'.repeat(22),
      username: 'alice',
      site: 's',
      requestedAt: 1,
      expiresAt: 2,
      ip: '192.0.2.1',
      browser: 'Firefox',
      os: 'Linux',
      deviceId: 'd',
      sessionId: 'x',
      number: '42',
      state: 'pending',
    };
    expect(Object.keys(toApproval(record)).sort()).toEqual([...wire.APPROVAL_FIELDS].sort());
    expect(wire.APPROVAL_FIELDS).not.toContain('number');
    expect(wire.APPROVAL_ID.test(record.approvalId)).toBe(true);
  });

  it('is written once: no other source spells the signed texts’ version tags or the header scheme', () => {
    const files = [...sourcesUnder(join(root, 'server')), ...sourcesUnder(join(root, 'client'))].filter((f) => !f.endsWith('push-wire-format.js'));
    const spelled = files.filter((f) => /gatehouse-device-v1|gatehouse-push-answer-v1|Gatehouse-Device /.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f));
    expect(files.length).toBeGreaterThan(100);
    expect(spelled).toEqual([]);
  });

  it.each([
    ['approve with the number', { approvalId: 'ap1', decision: 'approve', number: '42', time: 7 }, 'gatehouse-push-answer-v1\nap1\napprove\n42\n7'],
    ['deny leaves the number out', { approvalId: 'ap1', decision: 'deny', number: '42', time: 7 }, 'gatehouse-push-answer-v1\nap1\ndeny\n\n7'],
    ['not_me leaves the number out', { approvalId: 'ap1', decision: 'not_me', number: '', time: 7 }, 'gatehouse-push-answer-v1\nap1\nnot_me\n\n7'],
  ] as const)('answer text: %s', (_name, input, text) => {
    expect(wire.answerText(input)).toBe(text);
  });
});
