import { Mulberry32 } from '../../src/math/random.js';

/**
 * The tests' seeded generator (the project's mulberry32, seeded with the seed itself), so random
 * suites are reproducible: a failing case prints its seed and inputs.
 */
export class Rng extends Mulberry32 {}

/** Largest relative difference |a-b| / max(|a|, |b|, floor) over two arrays. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-300): { max: number; at: number } {
  let max = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), Math.abs(b[i]), floor);
    if (d > max || Number.isNaN(d)) { max = Number.isNaN(d) ? Infinity : d; at = i; }
  }
  return { max, at };
}
