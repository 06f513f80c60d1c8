import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryUnavailableError, StoreUnavailableError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { apiNotFound, createApiErrorHandler } from './api-errors.js';

/**
 * The one error middleware of the JSON APIs: whatever goes wrong, the answer is a catalogued
 * code in `{ error }`, with its status, and nothing of the error's own text.
 */
const lines: string[] = [];
let base = '';
let close: () => void;

beforeAll(async () => {
  const app = express();
  const json = express.json({ limit: 100 });
  app.post('/echo', json, (req, res) => void res.json(req.body));
  app.get('/store', () => {
    throw new StoreUnavailableError('redis: connect ECONNREFUSED 10.0.0.9:6379');
  });
  app.get('/directory', async () => {
    throw new DirectoryUnavailableError('ldap: connect ETIMEDOUT 10.0.0.7:636');
  });
  app.get('/bug', async () => {
    throw new Error('secret-internal-detail at /srv/gatehouse/x.js:12');
  });
  app.use(apiNotFound);
  app.use(createApiErrorHandler({ logger: createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(l) } }) }, 'test'));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close?.());

const post = (body: string, type = 'application/json') => fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': type }, body });

describe('createApiErrorHandler', () => {
  it.each([
    ['malformed JSON', () => post('{"a":'), 400, 'malformed'],
    ['a body over the limit', () => post(JSON.stringify({ a: 'x'.repeat(500) })), 413, 'too_large'],
    ['an unsupported charset', () => post('{}', 'application/json; charset=klingon'), 415, 'json_required'],
    ['an unknown route', () => fetch(`${base}/nowhere`), 404, 'not_found'],
    ['a store that does not answer', () => fetch(`${base}/store`), 503, 'store_unavailable'],
    ['a directory that does not answer', () => fetch(`${base}/directory`), 503, 'directory_unavailable'],
    ['a bug', () => fetch(`${base}/bug`), 500, 'internal'],
  ] as const)('%s → %i %s, and nothing else', async (_name, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ error: code });
  });

  it('keeps the detail in the log, out of the answer', async () => {
    const res = await fetch(`${base}/bug`);
    expect(await res.text()).not.toMatch(/secret|srv|x\.js/);
    expect(lines.join('\n')).toContain('secret-internal-detail');
  });
});
