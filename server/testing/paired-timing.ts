/**
 * Timing comparisons that hold on a busy machine. Load from other processes stretches every
 * duration, so no budget in milliseconds is fair; but two operations run back to back share
 * the same load, so their difference is fair. A comparison is therefore made of rounds, each
 * timing the reference and every candidate one after the other (in a rotating order, so none is
 * always first), and a candidate's gap is the median of its per-round differences from the
 * reference, as a fraction of the reference's median duration.
 */

export interface PairedGaps {
  /** Per candidate: median of (candidate − reference) per round, divided by the reference's median. */
  gaps: Record<string, number>;
  referenceMedianMs: number;
}

export async function measurePairedGaps(
  reference: () => Promise<unknown>,
  candidates: Record<string, () => Promise<unknown>>,
  options: { rounds: number; afterRound?: (round: number) => Promise<void> },
): Promise<PairedGaps> {
  const names = Object.keys(candidates);
  const runs: (() => Promise<unknown>)[] = [reference, ...names.map((name) => candidates[name]!)];
  const samples = runs.map(() => [] as number[]);
  for (let round = 0; round < options.rounds; round++) {
    for (const index of rotation(runs.length, round)) samples[index]!.push(await timed(runs[index]!));
    await options.afterRound?.(round);
  }
  const referenceMedianMs = median(samples[0]!);
  const gaps: Record<string, number> = {};
  names.forEach((name, i) => {
    gaps[name] = median(samples[i + 1]!.map((ms, round) => ms - samples[0]![round]!)) / referenceMedianMs;
  });
  return { gaps, referenceMedianMs };
}

/**
 * Measures up to `attempts` batches, stopping at the first whose gaps are all within `limit`.
 * A real difference (a path that skips the hash) shows in every batch; a burst of load rarely
 * does twice. Returns every batch; the last one is the verdict.
 */
export async function settlePairedGaps(measure: () => Promise<PairedGaps>, limit: number, attempts = 3): Promise<PairedGaps[]> {
  const batches: PairedGaps[] = [];
  while (batches.length < attempts) {
    const batch = await measure();
    batches.push(batch);
    if (Object.values(batch.gaps).every((gap) => Math.abs(gap) < limit)) break;
  }
  return batches;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** Round r's order: indices rotated by r, and reversed every other cycle. */
function rotation(count: number, round: number): number[] {
  const order = Array.from({ length: count }, (_, i) => (i + round) % count);
  return Math.floor(round / count) % 2 ? order.reverse() : order;
}
