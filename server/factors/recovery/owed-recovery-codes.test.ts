import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../core/clock.js';
import { createMemoryKv } from '../../kv/memory-kv.js';
import { oweRecoveryCodes, owedRecoveryCodes, takeOwedRecoveryCodes } from './owed-recovery-codes.js';

function setup() {
  const clock = createFixedClock();
  return { clock, kv: createMemoryKv({ clock }) };
}

describe('owed recovery codes', () => {
  it('are owed per user, say which first factor earned them, and are taken once', async () => {
    const { kv } = setup();
    await oweRecoveryCodes(kv, 'alice', 'push');
    expect(await owedRecoveryCodes(kv, 'alice')).toBe('push');
    expect(await owedRecoveryCodes(kv, 'bob')).toBeUndefined();
    const taken = await Promise.all([takeOwedRecoveryCodes(kv, 'alice'), takeOwedRecoveryCodes(kv, 'alice')]);
    expect(taken.sort()).toEqual(['push', undefined]);
    expect(await owedRecoveryCodes(kv, 'alice')).toBeUndefined();
  });

  it('lapse after a day', async () => {
    const { kv, clock } = setup();
    await oweRecoveryCodes(kv, 'alice', 'webauthn');
    clock.advance(24 * 3600_000 - 1000);
    expect(await owedRecoveryCodes(kv, 'alice')).toBe('webauthn');
    clock.advance(2000);
    expect(await takeOwedRecoveryCodes(kv, 'alice')).toBeUndefined();
  });

  it.each(['', 'totp', 'PUSH', '{"because":"push"}'])('read nothing they did not write (%j)', async (value) => {
    const { kv } = setup();
    await kv.set('recovery:owed:alice', value || 'x', 60);
    expect(await owedRecoveryCodes(kv, 'alice')).toBeUndefined();
  });
});
