/**
 * Plain-TypeScript twin of assembly/black76.ts: Black (1976) value and sensitivities of a European
 * option on a future, per unit of the future. Written for reading, not for speed; the tests compare
 * the kernel against it. Uses the independent normal functions of ./normal.ts.
 *
 *   d1 = (ln(F/K) + vol^2 T/2) / (vol sqrt T),  d2 = d1 - vol sqrt T
 *   call = e^{-rT} (F N(d1) - K N(d2)),  put = e^{-rT} (K N(-d2) - F N(-d1))
 *
 * Greeks with respect to the future's price F (delta dV/dF, gamma d2V/dF2), vega per 1.00 of vol,
 * theta = dV/dt per year of calendar time with F held fixed (= -dV/dT). Degenerate inputs as in
 * assembly/black76.ts: T <= 0 intrinsic at F; vol = 0 discounted intrinsic; F = 0 the limit.
 */
import { normCdfRef as N, normPdfRef as phi } from './normal.js';
import type { Greeks } from './valuation.js';

/** 1 in the money, 0 out of it, 0.5 at the money (slope weight of a kinked payoff). */
function weight(isCall: boolean, x: number, K: number): number {
  if (x === K) return 0.5;
  return (isCall ? x > K : x < K) ? 1 : 0;
}

/** Whether (F, K, T, r, vol) is in the kernel's domain: all finite, F >= 0, K > 0, vol >= 0. */
export function black76InDomain(F: number, K: number, T: number, r: number, vol: number): boolean {
  return Number.isFinite(F) && Number.isFinite(K) && Number.isFinite(T) && Number.isFinite(r)
    && Number.isFinite(vol) && F >= 0 && K > 0 && vol >= 0;
}

/** Black-76 price and sensitivities per unit of the future (inputs assumed in the domain). */
export function black76GreeksRef(isCall: boolean, F: number, K: number, T: number, r: number, vol: number): Greeks {
  if (T <= 0) {
    const w = weight(isCall, F, K);
    return { value: isCall ? Math.max(F - K, 0) : Math.max(K - F, 0), delta: isCall ? w : 0 - w, gamma: 0, vega: 0, theta: 0 };
  }
  const df = Math.exp(-r * T);
  const sqrtT = Math.sqrt(T);
  const sd = vol * sqrtT;
  if (sd <= 0) {
    const value = df * (isCall ? Math.max(F - K, 0) : Math.max(K - F, 0));
    const w = weight(isCall, F, K);
    return { value, delta: isCall ? w * df : 0 - w * df, gamma: 0, vega: 0, theta: r * value };
  }
  const d1 = (Math.log(F / K) + 0.5 * vol * vol * T) / sd;
  const d2 = d1 - sd;
  const pdf = phi(d1);
  const gamma = pdf > 0 ? df * pdf / (F * sd) : 0;
  const vega = df * F * pdf * sqrtT;
  const decay = -df * F * pdf * vol / (2 * sqrtT);
  const value = isCall ? df * (F * N(d1) - K * N(d2)) : df * (K * N(-d2) - F * N(-d1));
  const delta = isCall ? df * N(d1) : 0 - df * N(-d1);
  return { value, delta, gamma, vega, theta: decay + r * value };
}

/** Black-76 price per unit of the future. */
export function black76PriceRef(isCall: boolean, F: number, K: number, T: number, r: number, vol: number): number {
  return black76GreeksRef(isCall, F, K, T, r, vol).value;
}
