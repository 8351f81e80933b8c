/** One line of the `pnpm bench` table. */
export interface BenchRow {
  /** What was measured, e.g. "routed request (memory store) p99". */
  name: string;
  value: number;
  unit: string;
  /** The target, e.g. "< 50 µs". */
  aim?: string;
  note?: string;
}

/** A benchmark module: `bench/<area>.bench.ts` with a default export of this type. */
export type Bench = () => Promise<BenchRow[]>;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

/** Runs `fn` `iterations` times after `warmup` runs; returns per-call durations in µs, sorted. */
export async function sampleMicros(
  fn: () => unknown | Promise<unknown>,
  iterations: number,
  warmup = Math.min(1000, iterations),
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = new Array<number>(iterations);
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  return samples.sort((a, b) => a - b);
}

export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));
