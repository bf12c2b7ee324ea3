/**
 * Dynamic initial margin: the pure formulas, one function each, no I/O and no validation (the
 * calibration in calibrate.ts validates its inputs and calls these). docs/dim.md states every one
 * with its units; the names here match it.
 *
 * Units: returns are daily log returns (one observation step of the history: a trading day for an
 * equity, a calendar day for a crypto asset observed every day), volatilities are daily standard
 * deviations of those returns unless the name says `annual`, moves are relative spot moves as in a
 * grid (0.12 is 12 %), the margin period of risk is a number of observation steps.
 */

/**
 * The grid move of an underlying: `m = k * sigmaDaily * sqrt(mporDays)`, the k-sigma move of the
 * log price over the margin period of risk under a square-root-of-time scaling, used directly as
 * the grid's scan range (the largest |move| of its fully covered points).
 * Degenerate inputs: sigma 0 gives 0; negative or non-finite inputs give NaN-free garbage, so the
 * caller validates them.
 */
export function marginMove(sigmaDaily: number, k: number, mporDays: number): number {
  return k * sigmaDaily * Math.sqrt(mporDays);
}

/** Annualised volatility of a daily one: `sigmaDaily * sqrt(daysPerYear)`. */
export function annualise(sigmaDaily: number, daysPerYear: number): number {
  return sigmaDaily * Math.sqrt(daysPerYear);
}

/**
 * Root mean square of `returns[from..to)` (zero-mean volatility, equal weights):
 * `sqrt( sum r_i^2 / (to - from) )`. NaN for an empty range.
 */
export function rmsVolatility(returns: ArrayLike<number>, from = 0, to = returns.length): number {
  const n = to - from;
  if (!(n > 0)) return NaN;
  let s = 0;
  for (let i = from; i < to; i++) s += returns[i] * returns[i];
  return Math.sqrt(s / n);
}

/**
 * The most volatile window of `window` consecutive returns: the start index `from` maximising
 * `rmsVolatility(returns, from, from + window)` (the earliest one on ties) and that volatility.
 * A window longer than the series is cut to the whole series. NaN sigma for no returns.
 */
export function worstWindow(returns: ArrayLike<number>, window: number): { from: number; to: number; sigma: number } {
  const n = returns.length;
  const w = Math.min(Math.max(1, Math.floor(window)), n);
  if (n === 0) return { from: 0, to: 0, sigma: NaN };
  // Each window summed on its own (no running sums), so equal windows compare equal.
  let best = 0, bestSum = -Infinity;
  for (let f = 0; f + w <= n; f++) {
    let s = 0;
    for (let i = f; i < f + w; i++) s += returns[i] * returns[i];
    if (s > bestSum) { bestSum = s; best = f; }
  }
  return { from: best, to: best + w, sigma: rmsVolatility(returns, best, best + w) };
}

/**
 * Anti-procyclicality option (b), EMIR RTS 153/2013 art. 28(1)(b): at least `weight` (0.25) of
 * the weight on stressed observations. A volatility estimate that gives weight `1 - w` to the
 * current observations and `w` to stressed ones has the variance
 * `sigma^2 = (1 - w) sigmaCurrent^2 + w max(sigmaStressed, sigmaCurrent)^2`.
 * The stressed sigma is raised to the current one when today is more volatile than the stressed
 * period, so the measure never lowers the margin below the model's.
 */
export function stressWeightedSigma(sigmaCurrent: number, sigmaStressed: number, weight: number): number {
  const s = Math.max(sigmaStressed, sigmaCurrent);
  return Math.sqrt((1 - weight) * sigmaCurrent * sigmaCurrent + weight * s * s);
}

/**
 * Anti-procyclicality option (c), EMIR RTS 153/2013 art. 28(1)(c): a floor from a look-back of
 * (up to) ten years, `sigma = max(sigmaCurrent, sigmaFloor)`; with the same k and margin period of
 * risk this is the same as `move = max(move(sigmaCurrent), move(sigmaFloor))`.
 */
export function flooredSigma(sigmaCurrent: number, sigmaFloor: number): number {
  return Math.max(sigmaCurrent, sigmaFloor);
}

/** How the buffer of option (a) acted on one underlying. */
export type BufferState =
  /** No previous calibration, or a previous move at or above the fully buffered one: `(1 + b) m`. */
  | 'full'
  /** The previous move lies within `[m, (1 + b) m]` and is kept: the buffer absorbs the change. */
  | 'held'
  /** The previous move is below `m`: the buffer is used up and the move rises to `m`. */
  | 'exhausted';

/**
 * Anti-procyclicality option (a), EMIR RTS 153/2013 art. 28(1)(a): a buffer of at least
 * `rate` (0.25) of the margin, which may be used up when the margin rises significantly.
 *
 * With `m` the unbuffered move and `P` the move of the previous calibration:
 *   no previous:  `move = (1 + rate) m`
 *   previous P:   `move = min((1 + rate) m, max(m, P))`, that is P clamped to `[m, (1 + rate) m]`.
 * So the move never falls below the model's `m`, never exceeds the fully buffered `(1 + rate) m`,
 * and otherwise stays where it was: a rise of `m` is absorbed by the buffer until `m` passes `P`
 * (the buffer is then exhausted and the move follows `m`), and after a fall the move stays at `P`
 * until `(1 + rate) m` comes down to it (the buffer is rebuilt). Continuous in `m` and `P`.
 */
export function bufferedMove(m: number, rate: number, previous?: number): { move: number; state: BufferState } {
  const full = (1 + rate) * m;
  if (previous === undefined) return { move: full, state: 'full' };
  if (previous >= full) return { move: full, state: 'full' };
  if (previous <= m) return { move: m, state: 'exhausted' };
  return { move: previous, state: 'held' };
}
