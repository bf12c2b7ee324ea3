/**
 * Log returns and the EWMA volatility filter of filtered historical simulation (Barone-Adesi,
 * Giannopoulos and Vosper 1999; Hull and White 1998).
 *
 * With closes P_0 .. P_n of one underlying (0-based), the daily log returns are
 *   r_i = ln(P_{i+1} / P_i),  i = 0 .. n-1.
 * The EWMA variance v_i is the forecast of r_i's variance made from the returns before it:
 *   seed       v_m     = (1/m) sum_{i<m} r_i^2                (m = seedReturns; a zero-mean estimate)
 *   recursion  v_{i+1} = lambda v_i + (1 - lambda) r_i^2     (i = m .. n-1)
 * so v_n is today's variance (the forecast for the next, unseen return). The first m returns only
 * seed the filter; each later return is rescaled to today's volatility:
 *   f_i = r_i sqrt(v_n / v_i),  i = m .. n-1.
 * lambda = 1 keeps v at the seed for ever, so f_i = r_i (plain historical simulation); returns
 * whose absolute value never changes keep v constant, so again f_i = r_i.
 */

/** r_i = ln(P_{i+1} / P_i) of n+1 prices (n returns). */
export function logReturns(prices: ArrayLike<number>): Float64Array {
  const n = Math.max(0, prices.length - 1);
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = Math.log(prices[i + 1] / prices[i]);
  return r;
}

export interface EwmaFilter {
  /** v[i] for i = m .. n (length n + 1; NaN before m): the variance forecast of return i; v[n] is today's. */
  variance: Float64Array;
  /** f[i] = r_i sqrt(v_n / v_i) for i = m .. n-1 (NaN before m). */
  filtered: Float64Array;
  /** sqrt(v_n): today's daily volatility. */
  sigmaToday: number;
  /** The first return index that is a scenario (m). */
  first: number;
  /** The first index i in m .. n whose variance is not > 0, or -1 (then `filtered` is not usable). */
  zeroVarianceAt: number;
}

/**
 * The EWMA variances and filtered returns of `returns` (see the file comment). Needs
 * 0 < lambda <= 1 and 1 <= seedReturns <= returns.length; throws RangeError otherwise.
 */
export function ewmaFilter(returns: ArrayLike<number>, lambda: number, seedReturns: number): EwmaFilter {
  const n = returns.length;
  const m = seedReturns;
  if (!(lambda > 0 && lambda <= 1)) throw new RangeError(`ewmaFilter: lambda must be in (0, 1], got ${lambda}`);
  if (!Number.isInteger(m) || m < 1 || m > n) throw new RangeError(`ewmaFilter: seedReturns must be a whole number in 1..${n}, got ${m}`);
  const v = new Float64Array(n + 1).fill(NaN);
  let s = 0;
  for (let i = 0; i < m; i++) s += returns[i] * returns[i];
  v[m] = s / m;
  for (let i = m; i < n; i++) v[i + 1] = lambda * v[i] + (1 - lambda) * returns[i] * returns[i];
  let zeroVarianceAt = -1;
  for (let i = m; i <= n && zeroVarianceAt < 0; i++) if (!(v[i] > 0)) zeroVarianceAt = i;
  const f = new Float64Array(n).fill(NaN);
  const today = v[n];
  if (zeroVarianceAt < 0) for (let i = m; i < n; i++) f[i] = returns[i] * Math.sqrt(today / v[i]);
  return { variance: v, filtered: f, sigmaToday: Math.sqrt(today), first: m, zeroVarianceAt };
}
