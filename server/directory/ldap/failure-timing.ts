/**
 * What a wrong password typically takes on this directory (the server may write a failure
 * count), learnt as a moving average, so that an unknown name, or an attempt refused before any
 * server is asked, can be made to take as long. Until a first wrong password is seen, nothing
 * is padded.
 */
export function createFailureTiming(now: () => number) {
  let typicalMs: number | undefined;
  return {
    /** A wrong password's check started at `startedAt` has just ended. */
    noteWrongPassword(startedAt: number): void {
      const took = now() - startedAt;
      if (took >= 0 && took < 60_000) typicalMs = typicalMs === undefined ? took : typicalMs * 0.8 + took * 0.2;
    },
    /** Resolves once a failure that started at `startedAt` has taken as long as a wrong password does. */
    pad(startedAt: number): Promise<void> {
      const left = typicalMs === undefined ? 0 : Math.round(typicalMs - (now() - startedAt));
      return left > 0 ? new Promise((resolve) => setTimeout(resolve, left)) : Promise.resolve();
    },
  };
}
