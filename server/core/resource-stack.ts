/**
 * What a component opened, one after another, closed in the reverse order: later parts use
 * earlier ones (the audit log writes to storage), so they go first. The same stack serves a
 * normal shutdown and a start that failed half-way, so nothing opened before the failure
 * (a Redis connection, a file watcher) keeps the process alive.
 */
export interface ResourceStack {
  /** Registers how to close something just opened. */
  add(close: () => unknown): void;
  /**
   * Closes everything, newest first. A closer that throws is reported to `onError` and the
   * rest still run. Calling it again returns the first call's promise.
   */
  closeAll(): Promise<void>;
}

export function createResourceStack(options: { onError: (error: unknown) => void }): ResourceStack {
  const closers: Array<() => unknown> = [];
  let closing: Promise<void> | undefined;

  async function closeEach(): Promise<void> {
    for (let close = closers.pop(); close; close = closers.pop()) {
      try {
        await close();
      } catch (error) {
        options.onError(error);
      }
    }
  }

  return {
    add(close) {
      if (closing) throw new Error('resource stack is already closed');
      closers.push(close);
    },
    closeAll: () => (closing ??= closeEach()),
  };
}
