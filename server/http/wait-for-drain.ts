import type { EventEmitter } from 'node:events';

/**
 * Waits until a response that refused a write (`write()` returned false) can take more, or is
 * gone. Both listeners are removed whichever comes first: a long download waits here thousands
 * of times, and `once('drain', …).once('close', …)` left one 'close' listener behind per wait
 * (Node's leak warning at the eleventh, and memory held until the response ended).
 */
export function waitForDrainOrClose(res: EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
