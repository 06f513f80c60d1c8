import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startRedisServer } from './redis-server.js';

/**
 * PING over a raw socket: 'PONG', 'refused', or 'timeout' when nothing answers in `ms`. Short only
 * where silence is the expected answer (a frozen server); elsewhere a ceiling, since a loaded
 * machine once took more than 300 ms to report a refused connection.
 */
function ping(port: number, ms = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (answer: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done('timeout'), ms);
    socket.on('error', () => done('refused'));
    socket.on('data', (data) => done(data.toString().trim().replace(/^\+/, '')));
    socket.write('PING\r\n');
  });
}

describe('startRedisServer', () => {
  it('starts on a free loopback port, freezes, thaws, restarts on the same port and cleans up', async () => {
    const redis = await startRedisServer();
    try {
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await ping(redis.port)).toBe('PONG');
      redis.freeze();
      expect(await ping(redis.port, 300)).toBe('timeout');
      redis.thaw();
      expect(await ping(redis.port)).toBe('PONG');
      redis.freeze();
      await redis.restart(); // a frozen server is stopped all the same
      expect(await ping(redis.port)).toBe('PONG');
      await redis.stop();
      expect(await ping(redis.port)).toBe('refused');
      await redis.restart();
      expect(await ping(redis.port)).toBe('PONG');
    } finally {
      await redis.stop();
    }
    expect(await ping(redis.port)).toBe('refused');
  });

  it('gives each server its own port and directory', async () => {
    const [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
    try {
      expect(a.port).not.toBe(b.port);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
