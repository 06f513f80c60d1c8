import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { waitForDrainOrClose } from './wait-for-drain.js';

describe('waitForDrainOrClose', () => {
  it('leaves no listener behind after a thousand waits ended by drain', async () => {
    const res = new EventEmitter();
    for (let i = 0; i < 1000; i++) {
      const waited = waitForDrainOrClose(res);
      res.emit('drain');
      await waited;
    }
    expect(res.listenerCount('drain')).toBe(0);
    expect(res.listenerCount('close')).toBe(0);
  });

  it('ends the wait when the response closes instead, and leaves nothing behind', async () => {
    const res = new EventEmitter();
    const waited = waitForDrainOrClose(res);
    expect(res.listenerCount('close')).toBe(1);
    res.emit('close');
    await waited;
    expect(res.listenerCount('drain')).toBe(0);
    expect(res.listenerCount('close')).toBe(0);
  });

  it('is still waiting while neither has happened', async () => {
    const res = new EventEmitter();
    let ended = false;
    void waitForDrainOrClose(res).then(() => (ended = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ended).toBe(false);
    res.emit('drain');
    await new Promise((resolve) => setImmediate(resolve));
    expect(ended).toBe(true);
  });
});
