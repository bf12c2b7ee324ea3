/**
 * Reference standard normal density and distribution function in plain TypeScript, for tests.
 * Deliberately not the kernel's algorithm (assembly/normal.ts uses Cody's rational
 * approximations):
 * - |x| <= 1: the everywhere-convergent series N(x) = 1/2 + phi(x) * sum_n x^(2n+1) / (2n+1)!!
 *   (all terms of one sign, no cancellation inside the sum);
 * - |x| > 1: Laplace's continued fraction for the Mills ratio,
 *   N(-t) = phi(t) / (t + 1/(t + 2/(t + 3/(t + ...)))), truncated after n = (24/t)^2 + 10 levels
 *   and evaluated from the innermost level outwards (backward recurrence: rounding errors are
 *   damped, not accumulated as in forward Lentz evaluation; four times as many levels change no
 *   result for t in [1, 40]); N(t) = 1 - N(-t).
 * phi(x) = exp(-x^2/2) / sqrt(2 pi) with x^2 carried as an exact sum hi + lo (Veltkamp/Dekker
 * splitting), so the square is never rounded.
 */

const INV_SQRT_2PI = 0.398942280401432677939946059934;
/** Dekker's splitter for doubles: 2^27 + 1. */
const SPLITTER = 134217729;
const SERIES_LIMIT = 1;

/** exp(-t^2 / 2) for t >= 0 with t^2 = hi + lo exactly. */
function expHalfSquare(t: number): number {
  if (t > 40) return 0; // exp(-800) underflows; also keeps the splitting below from overflowing
  const c = SPLITTER * t;
  const th = c - (c - t);
  const tl = t - th;
  const hi = t * t;
  const lo = ((th * th - hi) + 2 * th * tl) + tl * tl;
  return Math.exp(-0.5 * hi) * (1 - 0.5 * lo);
}

/** Standard normal density; NaN for NaN, 0 for +-Infinity. */
export function normPdfRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return INV_SQRT_2PI * expHalfSquare(Math.abs(x));
}

/** sum_{n>=0} x^(2n+1) / (1*3*...*(2n+1)). */
function oddSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= 1e-18 * Math.abs(sum)) break;
  }
  return sum;
}

/** Mills ratio (1 - N(t)) / phi(t) for t >= 1: 1 / (t + 1/(t + 2/(t + ... n/t))). */
function millsRatio(t: number): number {
  const n = Math.ceil((24 / t) ** 2) + 10;
  let g = t;
  for (let j = n; j >= 1; j--) g = t + j / g;
  return 1 / g;
}

/** Standard normal distribution function N(x) = P(Z <= x); NaN for NaN. */
export function normCdfRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) <= SERIES_LIMIT) return 0.5 + normPdfRef(x) * oddSeries(x);
  const t = Math.abs(x);
  if (t === Infinity) return x > 0 ? 1 : 0;
  const tail = INV_SQRT_2PI * expHalfSquare(t) * millsRatio(t);
  return x < 0 ? tail : 1 - tail;
}
