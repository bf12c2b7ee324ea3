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

/** A rise of the requirement within this of 1 is no rise (rounding through the grid file). */
export const FLAT = 1e-9;

/** How the buffer of option (a) acted at a calibration. */
export type BufferState =
  /** No previous calibration, or the previous buffer was whole and stays whole: `1 + b`. */
  | 'full'
  /** The requirement did not rise (rise <= 1): the buffer is rebuilt to `1 + b`. */
  | 'rebuilt'
  /** The requirement did not rise, and the rebuild step is smaller than what was used: partly rebuilt. */
  | 'rebuilding'
  /** The requirement rose, but less than the release threshold: the previous multiplier is kept. */
  | 'kept'
  /** The requirement rose significantly: the buffer absorbs the rise, partly used. */
  | 'released'
  /** The requirement rose significantly, by more than the buffer left: multiplier 1. */
  | 'exhausted';

/**
 * Anti-procyclicality option (a), EMIR RTS 153/2013 art. 28(1)(a): "a margin buffer at least
 * equal to 25 % of the calculated margins which it allows to be temporarily exhausted in periods
 * where calculated margin requirements are rising significantly". The buffer multiplies the
 * calculated margin: initial = B * calculated, with B in [1, 1 + rate] (the grid's marginMultiplier).
 *
 * `rise` is the growth of the calculated requirement since the previous calibration (the largest
 * ratio, over the calibrated underlyings, of the new scan range to the previous one), `previous`
 * the previous calibration's multiplier, `release` the threshold of a significant rise:
 *   no previous calibration:       B = 1 + rate                         ('full')
 *   rise >= 1 + release:           B = max(1, previous / rise)          ('released', or 'exhausted' at 1):
 *                                  the buffered requirement B * m stays at the previous
 *                                  previous * P while the buffer lasts
 *   1 < rise < 1 + release:        B = previous                         ('kept', or 'full')
 *   rise <= 1:                     B = min(1 + rate, previous + rebuild) ('rebuilt', 'rebuilding' below
 *                                  1 + rate, or 'full'); `rebuild` (default: rate, all at once) is
 *                                  the most the multiplier rises a calibration while it rebuilds
 * `previous` is first clamped to [1, 1 + rate]. A rise within FLAT (1e-9) of 1 counts as no rise: a
 * scan range read back from the previous grid file may differ from the same one computed now by
 * an ulp or two.
 */
export function bufferMultiplier(rate: number, release: number, rise?: number, previous?: number, rebuild = rate): { multiplier: number; state: BufferState } {
  const full = 1 + rate;
  if (rise === undefined || previous === undefined) return { multiplier: full, state: 'full' };
  const p = Math.min(full, Math.max(1, previous));
  if (rise >= 1 + release) {
    const b = Math.max(1, p / rise);
    return { multiplier: b, state: b > 1 ? 'released' : 'exhausted' };
  }
  if (rise > 1 + FLAT) return { multiplier: p, state: p >= full ? 'full' : 'kept' };
  if (p >= full) return { multiplier: full, state: 'full' };
  const b = Math.min(full, p + rebuild);
  return { multiplier: b, state: b >= full ? 'rebuilt' : 'rebuilding' };
}
