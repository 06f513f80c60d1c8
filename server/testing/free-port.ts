import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago. The kernel picks it (port 0), so parallel
 * test files do not collide the way a fixed or guessed port would; a process started with it
 * should still fail loudly if it lost the race.
 */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close((error) => (error || port === 0 ? reject(error ?? new Error('no port assigned')) : resolve(port)));
    });
  });
}
