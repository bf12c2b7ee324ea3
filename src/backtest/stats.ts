/**
 * Margin backtesting: the statistics, as pure functions (no I/O, no margin model). The backtest
 * loop computes, for each portfolio, a margin `M_t` and a realised loss `L_t` per backtest date;
 * everything here works on those two series and on the nominal exceedance rate `p = 1 - coverage`.
 * docs/backtesting.md states every formula; the names here match it.
 *
 * Units: margins and losses are amounts in the portfolio's currency (a loss is positive, a gain
 * negative); `p` is a probability in (0, 1); counts (`n`, `x`, transition counts) are
 * non-negative integers; likelihood ratios are in nats (natural logarithms, times -2 as usual, so
 * they are chi-squared distributed); p-values are probabilities; rises are in percent.
 *
 * Errors: the scalar functions (Kupiec, Christoffersen, the chi-squared and binomial
 * distributions, the zone) throw an `InputError` for an argument outside their stated domain
 * (including NaN and +-Infinity): they are called with validated numbers, and a bad one is a bug or
 * a bad run argument. The series functions (`backtestStats`, `bookStats`) return errors as data,
 * `{ ok: false, code, message }`, one result per portfolio: a non-finite margin or loss is an error
 * naming its index, never a skipped term. A bad `p` throws there too (it is an argument of the
 * whole run, not data of one portfolio).
 *
 * Numerical method: every log-likelihood ratio here is a sum of Loader's binomial deviance terms
 * `bd0(x, M) = x ln(x / M) + M - x >= 0` (the linear parts cancel exactly), each computed by a
 * series when `x` is near `M`. No term is a difference of large numbers, so the ratios are accurate
 * to a few units in the last place even when they are tiny (x/n close to p) or n is in the
 * millions.
 */
import { InputError } from '../errors.js';
import { normCdfRef } from '../reference/normal.js';

// ---------------------------------------------------------------------------------------------
// Building blocks

/** `x ln y` with the convention `0 ln 0 = 0` (and `0 ln y = 0` for any y >= 0). */
export function xlogy(x: number, y: number): number {
  return x === 0 ? 0 : x * Math.log(y);
}

/** Dekker's splitter for doubles: 2^27 + 1. */
const SPLITTER = 134217729;

/** `a * b = hi + lo` exactly (Dekker's two-product; |a|, |b| far from overflow). */
function twoProduct(a: number, b: number): [number, number] {
  const hi = a * b;
  let c = SPLITTER * a;
  const ah = c - (c - a), al = a - ah;
  c = SPLITTER * b;
  const bh = c - (c - b), bl = b - bh;
  const lo = ((ah * bh - hi) + ah * bl + al * bh) + al * bl;
  return [hi, lo];
}

/** `bd0` sums its series when |x - M| < BD0_SERIES (x + M), i.e. 1/2 < x/M < 3 (at most ~27 terms);
 * Loader's 0.1 leaves a cancellation of up to 10x in `x ln(x/M) - d` just outside it. */
const BD0_SERIES = 0.5;

/**
 * Loader's deviance term `bd0(x, M) = x ln(x / M) + M - x` (>= 0), for `x >= 0`, `M >= 0`, given
 * `d = x - M` computed exactly by the caller. Near `x = M` (|d| < 0.5 (x + M)) it sums the series
 * `d v + 2 x sum_{j>=1} v^(2j+1) / (2j+1)`, `v = d / (x + M)`, whose terms are all small, so the
 * result keeps its relative accuracy however close x is to M. `bd0(0, M) = M` (0 ln 0 = 0);
 * `bd0(0, 0) = 0`.
 */
function bd0(x: number, m: number, d: number): number {
  if (x === 0) return m;
  const s0 = x + m;
  if (Math.abs(d) < BD0_SERIES * s0) {
    let v = d / s0;
    let s = d * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / m) - d;
}

function isCount(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;
}

function checkCount(name: string, v: number): void {
  if (!isCount(v)) throw new InputError(`${name} must be a non-negative integer, got ${v}`);
}

function checkRate(p: number): void {
  if (!(p > 0 && p < 1)) throw new InputError(`p (the nominal exceedance rate) must be in (0, 1), got ${p}`);
}

// ---------------------------------------------------------------------------------------------
// Chi-squared survival functions

/**
 * `P(chi2_1 > x)`, the chi-squared survival function with 1 degree of freedom:
 * `erfc(sqrt(x / 2)) = 2 N(-sqrt(x))`, N the standard normal CDF (src/reference/normal.ts: series
 * and Laplace's continued fraction, tested to 1e-14 relative against 60-digit values down to
 * N(-37.5)). Accuracy: relative error <= 1e-14 + x * 2.3e-16 (the second part is the rounding of
 * sqrt(x) carried into the far tail) for x <= 1400; above that the result is subnormal
 * (absolute accuracy) and 0 beyond x = 1600.
 * Domain: x not NaN. `x <= 0` gives 1 (the distribution lives on [0, inf)), `+Infinity` gives 0.
 */
export function chi2Sf1(x: number): number {
  if (Number.isNaN(x)) throw new InputError('chi-squared statistic must be a number, got NaN');
  if (x <= 0) return 1;
  return 2 * normCdfRef(-Math.sqrt(x));
}

/**
 * `P(chi2_2 > x) = exp(-x / 2)`, the chi-squared survival function with 2 degrees of freedom (an
 * exponential distribution with mean 2): accurate to the rounding of exp, ~1 ulp.
 * Domain: x not NaN. `x <= 0` gives 1, `+Infinity` gives 0.
 */
export function chi2Sf2(x: number): number {
  if (Number.isNaN(x)) throw new InputError('chi-squared statistic must be a number, got NaN');
  if (x <= 0) return 1;
  return Math.exp(-0.5 * x);
}

// ---------------------------------------------------------------------------------------------
// Kupiec's proportion-of-failures test

/** A likelihood-ratio statistic (nats, chi-squared distributed) and its p-value. */
export interface LrTest {
  lr: number;
  p: number;
}

/**
 * Kupiec's proportion-of-failures (unconditional coverage) statistic for `x` exceedances in `n`
 * observations at the nominal rate `p`:
 *   `LR_uc = -2 ln[(1-p)^(n-x) p^x] + 2 ln[(1-x/n)^(n-x) (x/n)^x]`, with `0 ln 0 = 0`,
 * which is `2 [bd0(x, n p) + bd0(n - x, n (1-p))]` (computed so; `n p` carried exactly as a
 * double-double). Every x from 0 to n is defined: `LR_uc(x = 0) = -2 n ln(1-p)`,
 * `LR_uc(x = n) = -2 n ln p`, and `LR_uc = 0` when x / n = p exactly.
 * Domain: n >= 1 and 0 <= x <= n integers, 0 < p < 1. Accuracy: a few ulps (relative).
 */
export function kupiecLr(n: number, x: number, p: number): number {
  checkCount('n', n);
  checkCount('x', x);
  if (n < 1) throw new InputError('n (observations) must be at least 1, got 0');
  if (x > n) throw new InputError(`x (exceedances) must not exceed n = ${n}, got ${x}`);
  checkRate(p);
  const [hi, lo] = twoProduct(n, p);
  const d = (x - hi) - lo;            // x - n p
  const m2 = (n - hi) - lo;           // n (1 - p)
  return 2 * (bd0(x, hi, d) + bd0(n - x, m2, -d));
}

/** Kupiec's test: `LR_uc` and its p-value `P(chi2_1 > LR_uc)`. Domain as `kupiecLr`. */
export function kupiec(n: number, x: number, p: number): LrTest {
  const lr = kupiecLr(n, x, p);
  return { lr, p: chi2Sf1(lr) };
}

// ---------------------------------------------------------------------------------------------
// Christoffersen's independence and conditional coverage tests

/**
 * Transition counts of a hit sequence `I_0 .. I_{n-1}` (1 = exceedance): `nij` is the number of
 * t in 1..n-1 with `I_{t-1} = i` and `I_t = j`. They sum to n - 1 (0 for n <= 1).
 */
export interface Transitions {
  n00: number;
  n01: number;
  n10: number;
  n11: number;
}

/** The transition counts of a hit sequence (any truthy element is a hit). */
export function transitions(hits: ArrayLike<boolean | number>): Transitions {
  const t: Transitions = { n00: 0, n01: 0, n10: 0, n11: 0 };
  for (let i = 1; i < hits.length; i++) {
    const a = hits[i - 1] ? 1 : 0, b = hits[i] ? 1 : 0;
    if (a === 0) { if (b === 0) t.n00++; else t.n01++; } else if (b === 0) t.n10++; else t.n11++;
  }
  return t;
}

/**
 * Christoffersen's independence statistic from the transition counts of a hit sequence:
 *   `pi01 = n01 / (n00 + n01)`, `pi11 = n11 / (n10 + n11)`, `pi = (n01 + n11) / N`,
 *   `N = n00 + n01 + n10 + n11`,
 *   `LR_ind = -2 ln[(1-pi)^(n00+n10) pi^(n01+n11)]
 *             + 2 ln[(1-pi01)^n00 pi01^n01 (1-pi11)^n10 pi11^n11]`, with `0 ln 0 = 0`.
 * This is the G statistic of the 2x2 table, `2 sum_ij bd0(nij, E_ij)` with
 * `E_ij = (row i total)(column j total) / N` and `nij - E_ij = +-(n00 n11 - n01 n10) / N`
 * (computed so: exact for N up to 9.4e7, where the products are exact integers).
 *
 * Edge cases, all by the same formula (a probability whose denominator is 0 only ever multiplies
 * a zero count, so its terms vanish), each giving `LR_ind = 0` (no evidence of clustering):
 * - no transitions (a sequence of length 0 or 1): N = 0;
 * - no hits, or all hits (pi = 0 or 1);
 * - `n01 + n11 = 0` (no hit after the first observation) or `n00 + n10 = 0` (every observation
 *   after the first is a hit): a column of the table is empty;
 * - `n00 + n01 = 0` or `n10 + n11 = 0` (no 0, or no 1, before the last observation): a row of the
 *   table is empty.
 * Otherwise LR_ind > 0 unless `n00 n11 = n01 n10` exactly.
 * Domain: non-negative integer counts. Accuracy: a few ulps (relative).
 */
export function christoffersenLr(t: Transitions): number {
  const { n00, n01, n10, n11 } = t;
  checkCount('n00', n00); checkCount('n01', n01); checkCount('n10', n10); checkCount('n11', n11);
  const N = n00 + n01 + n10 + n11;
  if (N === 0) return 0;
  const r0 = n00 + n01, r1 = n10 + n11, c0 = n00 + n10, c1 = n01 + n11;
  const dev = (n00 * n11 - n01 * n10) / N;   // n00 - E00 = n11 - E11 = -(n01 - E01) = -(n10 - E10)
  const term = (nij: number, r: number, c: number, d: number): number =>
    r === 0 || c === 0 ? 0 : bd0(nij, (r * c) / N, d);
  return 2 * (term(n00, r0, c0, dev) + term(n01, r0, c1, -dev) + term(n10, r1, c0, -dev) + term(n11, r1, c1, dev));
}

/** Christoffersen's independence test: `LR_ind` and `P(chi2_1 > LR_ind)`. */
export function christoffersen(t: Transitions): LrTest {
  const lr = christoffersenLr(t);
  return { lr, p: chi2Sf1(lr) };
}

/**
 * Conditional coverage `LR_cc = LR_uc + LR_ind` and `P(chi2_2 > LR_cc) = exp(-LR_cc / 2)`.
 * `LR_uc` counts all n observations, `LR_ind` the n - 1 transitions (the statistics as the
 * backtest reports them side by side; the first observation is not dropped from `LR_uc`).
 */
export function conditionalCoverage(lrUc: number, lrInd: number): LrTest {
  if (!Number.isFinite(lrUc) || !Number.isFinite(lrInd)) {
    throw new InputError(`likelihood ratios must be finite numbers, got ${lrUc} and ${lrInd}`);
  }
  const lr = lrUc + lrInd;
  return { lr, p: chi2Sf2(lr) };
}

// ---------------------------------------------------------------------------------------------
// Binomial distribution and the traffic-light zone

/** `delta(k) = ln k! - (k + 1/2) ln k + k - ln sqrt(2 pi)` for k = 1..15 (40-digit values, rounded). */
const STIRLERR: readonly number[] = [
  NaN, 0.08106146679532726, 0.0413406959554093, 0.02767792568499834, 0.020790672103765093,
  0.016644691189821193, 0.013876128823070748, 0.01189670994589177, 0.010411265261972096,
  0.009255462182712733, 0.00833056343336287, 0.007573675487951841, 0.00694284010720953,
  0.006408994188004207, 0.0059513701127588475, 0.005554733551962801,
];

/** The Stirling-series error `delta(k)` for an integer k >= 1 (table, then the asymptotic series
 * truncated where its next term is below 1e-16 relative). */
function stirlerr(k: number): number {
  if (k <= 15) return STIRLERR[k];
  const S0 = 1 / 12, S1 = 1 / 360, S2 = 1 / 1260, S3 = 1 / 1680, S4 = 1 / 1188;
  const kk = k * k;
  if (k > 500) return (S0 - S1 / kk) / k;
  if (k > 80) return (S0 - (S1 - S2 / kk) / kk) / k;
  if (k > 35) return (S0 - (S1 - (S2 - S3 / kk) / kk) / kk) / k;
  return (S0 - (S1 - (S2 - (S3 - S4 / kk) / kk) / kk) / kk) / k;
}

const LN_2PI = 1.8378770664093453;

/**
 * `P(X = k)` for X ~ Binomial(n, p), 0 < p < 1, by Loader's saddle-point formula
 * `exp(delta(n) - delta(k) - delta(n-k) - bd0(k, n p) - bd0(n-k, n q)) sqrt(n / (2 pi k (n-k)))`
 * (`q^n` and `p^n` in the same form at k = 0 and k = n). `np = hi + lo` exactly.
 */
function binomialPmf(k: number, n: number, hi: number, lo: number, m2: number): number {
  const d = (k - hi) - lo;
  const dev = bd0(k, hi, d) + bd0(n - k, m2, -d);
  if (k === 0 || k === n) return Math.exp(-dev);
  const lc = stirlerr(n) - stirlerr(k) - stirlerr(n - k) - dev;
  return Math.exp(lc - 0.5 * (LN_2PI + Math.log(k) + Math.log1p(-k / n)));
}

/** Stop summing a tail when the rest is below this fraction of the sum so far. */
const TAIL_EPS = 2 ** -60;

/** Both tails `[P(X <= x), P(X > x)]`, the smaller one summed, the other its complement. */
function binomialTails(x: number, n: number, p: number): [number, number] {
  if (!(p >= 0 && p <= 1)) throw new InputError(`p must be in [0, 1], got ${p}`);
  checkCount('n', n);
  if (!Number.isInteger(x)) throw new InputError(`x must be an integer, got ${x}`);
  if (x < 0) return [0, 1];
  if (x >= n) return [1, 0];
  if (p === 0) return [1, 0];
  if (p === 1) return [0, 1];
  const q = 1 - p;
  const [hi, lo] = twoProduct(n, p);
  const m2 = (n - hi) - lo;
  if (x < hi + lo) {
    // Lower tail, k = x down to 0: pmf(k-1) / pmf(k) = r_k = k q / ((n-k+1) p) < 1, decreasing as
    // k decreases, so the rest after term k is at most term * r_k / (1 - r_k).
    let sum = 0;
    for (let k = x; k >= 0; k--) {
      const term = binomialPmf(k, n, hi, lo, m2);
      sum += term;
      if (term === 0) break;
      const r = (k * q) / ((n - k + 1) * p);
      if (term * r <= TAIL_EPS * sum * (1 - r)) break;
    }
    return [sum, 1 - sum];
  }
  // Upper tail, k = x+1 up to n: pmf(k+1) / pmf(k) = s_k = (n-k) p / ((k+1) q) < 1, decreasing.
  let sum = 0;
  for (let k = x + 1; k <= n; k++) {
    const term = binomialPmf(k, n, hi, lo, m2);
    sum += term;
    if (term === 0) break;
    const s = ((n - k) * p) / ((k + 1) * q);
    if (term * s <= TAIL_EPS * sum * (1 - s)) break;
  }
  return [1 - sum, sum];
}

/**
 * The binomial distribution function `P(X <= x)`, X ~ Binomial(n, p): the sum of the smaller tail
 * (terms by Loader's saddle-point formula, each accurate to ~1e-15 relative where it is a normal
 * double), and 1 minus it for x at or above the mean. The cost is O(sqrt(n p (1-p))) terms, for n
 * up to millions and beyond. Accuracy, against 50-digit values (test/fixtures, n up to 1e6):
 * relative error <= 1e-14 + 2.3e-16 |ln P| for a result P above 1e-300 (each term is the exp of
 * a sum of size ~|ln P|; a smaller result loses precision as it underflows); near 1 the absolute
 * error is ~1e-16. So the zone thresholds 0.95 and 0.9999 are placed correctly unless P(X <= x)
 * is within ~1e-14 of one of them (at n = 250 and 500, p = 0.01, the nearest is 3.9e-5 away).
 * Domain: integer x (x < 0 gives 0, x >= n gives 1), integer n >= 0, 0 <= p <= 1.
 */
export function binomialCdf(x: number, n: number, p: number): number {
  return binomialTails(x, n, p)[0];
}

/** `P(X > x) = 1 - P(X <= x)`, accurate in the upper tail (relative). Domain as `binomialCdf`. */
export function binomialSf(x: number, n: number, p: number): number {
  return binomialTails(x, n, p)[1];
}

/** Basel's traffic-light zones. */
export type Zone = 'green' | 'yellow' | 'red';

/** Zone thresholds on `P(X <= x)`: green below the first, yellow below the second, else red. */
export const ZONE_GREEN_BELOW = 0.95;
export const ZONE_YELLOW_BELOW = 0.9999;

/** The zone of a cumulative probability `P(X <= x)`: green if < 0.95, yellow if < 0.9999, red. */
export function zoneOf(cdf: number): Zone {
  if (Number.isNaN(cdf)) throw new InputError('cumulative probability must be a number, got NaN');
  return cdf < ZONE_GREEN_BELOW ? 'green' : cdf < ZONE_YELLOW_BELOW ? 'yellow' : 'red';
}

/**
 * The traffic-light zone of `x` exceedances in `n` observations at the nominal rate p (Basel's
 * zones): `zoneOf(binomialCdf(x, n, p))`, with that probability.
 * At n = 250, p = 0.01: green for 0-4 exceedances, yellow 5-9, red 10 or more.
 * Domain: n >= 1 and 0 <= x <= n integers, 0 < p < 1.
 */
export function trafficLight(n: number, x: number, p: number): { zone: Zone; cdf: number } {
  checkCount('n', n);
  checkCount('x', x);
  if (n < 1) throw new InputError('n (observations) must be at least 1, got 0');
  if (x > n) throw new InputError(`x (exceedances) must not exceed n = ${n}, got ${x}`);
  checkRate(p);
  const cdf = binomialCdf(x, n, p);
  return { zone: zoneOf(cdf), cdf };
}

/**
 * The zone boundaries at (n, p): the smallest exceedance count in the yellow zone and the
 * smallest in the red zone (`P(X <= x) >= 0.95`, resp. `>= 0.9999`; found by bisection, P(X <= x)
 * being non-decreasing in x). Green is `0 .. yellowFrom - 1` (empty when yellowFrom = 0, as for
 * n = 1, p = 0.01, where P(X <= 0) = 0.99), yellow `yellowFrom .. redFrom - 1`, red `redFrom .. n`
 * (never empty: P(X <= n) = 1). Domain: integer n >= 1, 0 < p < 1.
 */
export function zoneBoundaries(n: number, p: number): { yellowFrom: number; redFrom: number } {
  checkCount('n', n);
  if (n < 1) throw new InputError('n (observations) must be at least 1, got 0');
  checkRate(p);
  const first = (threshold: number): number => {
    let a = -1, b = n; // cdf(a) < threshold (a = -1: cdf 0), cdf(b) >= threshold
    while (b - a > 1) {
      const m = Math.floor((a + b) / 2);
      if (binomialCdf(m, n, p) >= threshold) b = m; else a = m;
    }
    return b;
  };
  return { yellowFrom: first(ZONE_GREEN_BELOW), redFrom: first(ZONE_YELLOW_BELOW) };
}

// ---------------------------------------------------------------------------------------------
// Coverage and procyclicality of a margin series

/**
 * The largest rise of the margin over `k` steps, in percent:
 *   `rise_t = (M_t / M_{t-k} - 1) * 100`, `maxRise = max over t = k .. n-1 of rise_t`,
 * and the index t where it is reached (the first on ties). A fall is a negative rise, so a series
 * that only falls has a negative maximum. When `M_{t-k} = 0`: a step from 0 to 0 is a 0 % rise; a
 * step from 0 to a positive margin is an unbounded rise, and then the result is
 * `{ percent: null, index: t }` with t the first such step. With fewer than k + 1 observations
 * there is no step: `{ percent: null, index: -1 }`.
 * Domain: finite margins >= 0 (not checked here: `backtestStats` checks them), integer k >= 1.
 */
export function maxRise(margins: ArrayLike<number>, k: number): { percent: number | null; index: number } {
  if (!(Number.isInteger(k) && k >= 1)) throw new InputError(`k (steps) must be an integer >= 1, got ${k}`);
  let best = -Infinity, at = -1;
  for (let t = k; t < margins.length; t++) {
    const prev = margins[t - k], cur = margins[t];
    let rise: number;
    if (prev === 0) {
      if (cur !== 0) return { percent: null, index: t };
      rise = 0;
    } else {
      rise = (cur / prev - 1) * 100;
    }
    if (rise > best) { best = rise; at = t; }
  }
  return at < 0 ? { percent: null, index: -1 } : { percent: best, index: at };
}

/**
 * Peak-to-trough ratio `max M / min M` over the series. A series that is 0 throughout gives 1 (the
 * margin never moves); a series whose minimum is 0 and maximum positive gives null (unbounded).
 * Domain: at least one finite margin >= 0 (checked by `backtestStats`).
 */
export function peakToTrough(margins: ArrayLike<number>): number | null {
  let lo = Infinity, hi = -Infinity;
  for (let t = 0; t < margins.length; t++) {
    if (margins[t] < lo) lo = margins[t];
    if (margins[t] > hi) hi = margins[t];
  }
  if (hi === 0) return 1;
  return lo === 0 ? null : hi / lo;
}

/** Every statistic of one portfolio's backtest (or of the pooled book). */
export interface BacktestStats {
  /** n: the number of dates. */
  observations: number;
  /** x: the number of dates with `L_t > M_t` (strictly). */
  exceedances: number;
  /** n p. */
  expected: number;
  /** x / n. */
  rate: number;
  /** Kupiec's LR_uc and its p-value (chi-squared, 1 dof). */
  kupiecLr: number;
  kupiecP: number;
  /** The hit sequence's transition counts (for the book: summed within each portfolio). */
  transitions: Transitions;
  /** Christoffersen's LR_ind and its p-value (1 dof). */
  christoffersenLr: number;
  christoffersenP: number;
  /** LR_cc = LR_uc + LR_ind and its p-value (2 dof). */
  ccLr: number;
  ccP: number;
  /** P(X <= x), X ~ Binomial(n, p), and the traffic-light zone from it. */
  binomialCdf: number;
  zone: Zone;
  /** The largest `L_t - M_t` (negative when the margin always covered the loss) and its index. */
  worstShortfall: number;
  worstIndex: number;
  /** The number of dates with a loss (`L_t > 0`) and the mean of `M_t / L_t` over them; null when
   * there is no such date. */
  lossDays: number;
  meanCover: number | null;
  /** `max M / min M` (see `peakToTrough`). */
  peakToTrough: number | null;
  /** The largest rise of M over 1 and over 30 steps, in percent, and where (see `maxRise`). */
  maxRise1: number | null;
  maxRise1Index: number;
  maxRise30: number | null;
  maxRise30Index: number;
}

/** A series' statistics, or why there are none. */
export type StatsResult =
  | ({ ok: true } & BacktestStats)
  | { ok: false; code: 'E_INPUT'; message: string };

/** The steps of the two rise measures. */
export const RISE_STEPS = [1, 30] as const;

/** Checks one portfolio's series; the error message, or null when usable. */
function seriesError(margins: ArrayLike<number>, losses: ArrayLike<number>): string | null {
  if (margins.length !== losses.length) {
    return `margins and losses differ in length (${margins.length} and ${losses.length})`;
  }
  if (margins.length === 0) return 'no observations';
  for (let t = 0; t < margins.length; t++) {
    const m = margins[t], l = losses[t];
    if (!Number.isFinite(m)) return `margin at index ${t} is not a finite number: ${m}`;
    if (m < 0) return `margin at index ${t} is negative: ${m}`;
    if (!Number.isFinite(l)) return `loss at index ${t} is not a finite number: ${l}`;
  }
  return null;
}

/** The test statistics of pooled counts. */
function tests(n: number, x: number, tr: Transitions, p: number) {
  const uc = kupiec(n, x, p);
  const ind = christoffersen(tr);
  const cc = conditionalCoverage(uc.lr, ind.lr);
  const tl = trafficLight(n, x, p);
  return {
    observations: n, exceedances: x, expected: n * p, rate: x / n,
    kupiecLr: uc.lr, kupiecP: uc.p, transitions: tr,
    christoffersenLr: ind.lr, christoffersenP: ind.p, ccLr: cc.lr, ccP: cc.p,
    binomialCdf: tl.cdf, zone: tl.zone,
  };
}

/** Counts, coverage sums and transitions of one checked series. */
function scan(margins: ArrayLike<number>, losses: ArrayLike<number>) {
  const tr: Transitions = { n00: 0, n01: 0, n10: 0, n11: 0 };
  let x = 0, worst = -Infinity, worstIndex = -1, lossDays = 0, coverSum = 0;
  let prev = 0;
  for (let t = 0; t < margins.length; t++) {
    const m = margins[t], l = losses[t];
    const hit = l > m ? 1 : 0;
    x += hit;
    if (t > 0) {
      if (prev === 0) { if (hit === 0) tr.n00++; else tr.n01++; } else if (hit === 0) tr.n10++; else tr.n11++;
    }
    prev = hit;
    const short = l - m;
    if (short > worst) { worst = short; worstIndex = t; }
    if (l > 0) { lossDays++; coverSum += m / l; }
  }
  return { x, tr, worst, worstIndex, lossDays, coverSum };
}

function finiteOrError(v: number | null, what: string): string | null {
  return v === null || Number.isFinite(v) ? null : `${what} is not finite (${v}): the margins or losses overflow`;
}

function procyclicality(margins: ArrayLike<number>) {
  const r1 = maxRise(margins, RISE_STEPS[0]);
  const r30 = maxRise(margins, RISE_STEPS[1]);
  return {
    peakToTrough: peakToTrough(margins),
    maxRise1: r1.percent, maxRise1Index: r1.index,
    maxRise30: r30.percent, maxRise30Index: r30.index,
  };
}

/** The first non-finite output of a result, as an error message. */
function outputError(s: BacktestStats): string | null {
  return finiteOrError(s.meanCover, 'mean cover') ?? finiteOrError(s.peakToTrough, 'peak-to-trough ratio')
    ?? finiteOrError(s.maxRise1, 'rise over 1 step') ?? finiteOrError(s.maxRise30, 'rise over 30 steps')
    ?? finiteOrError(s.worstShortfall, 'worst shortfall');
}

/**
 * Every statistic of one portfolio's backtest from its margins `M_t` and realised losses `L_t`
 * (index t = backtest date, in date order) at the nominal exceedance rate p: an exceedance is
 * `L_t > M_t`; see `BacktestStats` and the functions above for each field.
 * Errors as data: margins and losses of different lengths, no observations, a margin or loss that
 * is not a finite number, a negative margin, or a statistic that overflows (for example a mean
 * cover of 1e300 / 1e-300) give `{ ok: false, code: 'E_INPUT', message }` naming the index.
 * Throws an `InputError` for p outside (0, 1).
 */
export function backtestStats(margins: ArrayLike<number>, losses: ArrayLike<number>, p: number): StatsResult {
  checkRate(p);
  const bad = seriesError(margins, losses);
  if (bad !== null) return { ok: false, code: 'E_INPUT', message: bad };
  const n = margins.length;
  const s = scan(margins, losses);
  const stats: BacktestStats = {
    ...tests(n, s.x, s.tr, p),
    worstShortfall: s.worst, worstIndex: s.worstIndex,
    lossDays: s.lossDays, meanCover: s.lossDays > 0 ? s.coverSum / s.lossDays : null,
    ...procyclicality(margins),
  };
  const overflow = outputError(stats);
  if (overflow !== null) return { ok: false, code: 'E_INPUT', message: overflow };
  return { ok: true, ...stats };
}

/** One portfolio's series for `bookStats`. */
export interface PortfolioSeries {
  margins: ArrayLike<number>;
  losses: ArrayLike<number>;
}

/** The book row: the pooled statistics, which portfolios went into it and where the worst was. */
export type BookResult =
  | ({
      ok: true;
      /** The indices (into the input) of the portfolios pooled, and of those left out with an error. */
      pooled: number[];
      excluded: number[];
      /** The portfolio of the worst shortfall (`worstIndex` is then its date index). */
      worstPortfolio: number;
    } & BacktestStats)
  | { ok: false; code: 'E_INPUT'; message: string; excluded: number[] };

/**
 * The statistics of every portfolio (`backtestStats` of each, one result each, in order) and of
 * the whole book, which pools every portfolio-date of the portfolios without an error:
 * - `n = sum n_i`, `x = sum x_i`; Kupiec and the zone from these pooled counts;
 * - the transition counts are the sums of each portfolio's own counts: the hit sequences are NOT
 *   concatenated, so no transition is counted from the last date of one portfolio to the first
 *   date of the next (the pooled N is `sum (n_i - 1)`); LR_ind is then the test on these counts;
 * - the worst shortfall is the largest `L - M` over all portfolio-dates (`worstPortfolio`,
 *   `worstIndex`; the first in input order on ties), the mean cover is over all portfolio-dates
 *   with a loss;
 * - peak-to-trough and the rises are those of the book's total margin `sum_i M_{i,t}` per date
 *   (procyclicality is a property of what the clearing house calls in, not of a pool of unrelated
 *   portfolios), so every pooled portfolio must have the same number of dates (the same dates).
 * A portfolio with an error is left out of the book (listed in `excluded`) and does not spoil it;
 * the book is an error when no portfolio is left, or when the pooled portfolios differ in length.
 * The pooled tests treat portfolio-dates as independent, which portfolios exposed to the same
 * moves on the same date are not; the book's p-values are indicative (docs/backtesting.md).
 * Throws an `InputError` for p outside (0, 1).
 */
export function bookStats(series: readonly PortfolioSeries[], p: number): { portfolios: StatsResult[]; book: BookResult } {
  checkRate(p);
  const portfolios = series.map((s) => backtestStats(s.margins, s.losses, p));
  const pooled: number[] = [], excluded: number[] = [];
  portfolios.forEach((r, i) => (r.ok ? pooled : excluded).push(i));
  if (pooled.length === 0) {
    return { portfolios, book: { ok: false, code: 'E_INPUT', message: 'no portfolio without an error to pool', excluded } };
  }
  const len = series[pooled[0]].margins.length;
  for (const i of pooled) {
    if (series[i].margins.length !== len) {
      const message = `portfolio ${i} has ${series[i].margins.length} dates and portfolio ${pooled[0]} has ${len}: ` +
        'the book pools portfolios over the same dates';
      return { portfolios, book: { ok: false, code: 'E_INPUT', message, excluded } };
    }
  }
  const tr: Transitions = { n00: 0, n01: 0, n10: 0, n11: 0 };
  let n = 0, x = 0, worst = -Infinity, worstPortfolio = -1, worstIndex = -1, lossDays = 0, coverSum = 0;
  const total = new Float64Array(len);
  for (const i of pooled) {
    const { margins, losses } = series[i];
    const s = scan(margins, losses);
    n += len; x += s.x;
    tr.n00 += s.tr.n00; tr.n01 += s.tr.n01; tr.n10 += s.tr.n10; tr.n11 += s.tr.n11;
    if (s.worst > worst) { worst = s.worst; worstPortfolio = i; worstIndex = s.worstIndex; }
    lossDays += s.lossDays; coverSum += s.coverSum;
    for (let t = 0; t < len; t++) total[t] += margins[t];
  }
  const stats: BacktestStats = {
    ...tests(n, x, tr, p),
    worstShortfall: worst, worstIndex,
    lossDays, meanCover: lossDays > 0 ? coverSum / lossDays : null,
    ...procyclicality(total),
  };
  const overflow = outputError(stats);
  if (overflow !== null) return { portfolios, book: { ok: false, code: 'E_INPUT', message: overflow, excluded } };
  return { portfolios, book: { ok: true, pooled, excluded, worstPortfolio, ...stats } };
}
