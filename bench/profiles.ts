/** How long and how much: the published run, and the smoke check CI runs. */
export interface Profile {
  name: 'full' | 'quick';
  /** Seconds of unmeasured load before a scenario's first measured run. */
  warmupS: number;
  runS: number;
  /** Measured runs per scenario (the median is reported); rounds go A..G, A..G, … */
  rounds: number;
  fixedRateS: number;
  fixedRateRounds: number;
  stormS: number;
  /** Proxied-request counts at which the gateway's RSS is taken. */
  memoryMarks: readonly [number, number];
  sessions: number;
  connections: number;
  stormPerSecond: number;
}

export const FULL: Profile = {
  name: 'full',
  warmupS: 5,
  runS: 10,
  rounds: 3,
  fixedRateS: 15,
  fixedRateRounds: 3,
  stormS: 15,
  memoryMarks: [1_000_000, 2_000_000],
  sessions: 1000,
  connections: 64,
  stormPerSecond: 20,
};

/** Under a minute: one short run each, and RSS after 20 k / 40 k more requests instead of at 1 M / 2 M. */
export const QUICK: Profile = {
  name: 'quick',
  warmupS: 1,
  runS: 2,
  rounds: 1,
  fixedRateS: 2,
  fixedRateRounds: 1,
  stormS: 2,
  memoryMarks: [20_000, 40_000],
  sessions: 1000,
  connections: 64,
  stormPerSecond: 20,
};
