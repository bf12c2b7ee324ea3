/**
 * Plain-TypeScript twin of assembly/valuation.ts and assembly/bsm.ts: value and sensitivities of
 * one contract of each instrument (docs/methods.md §3). Written for reading, not for speed; the
 * tests compare the kernels against it. Uses the independent normal functions of ./normal.ts.
 */
import { americanPriceRef } from './american.js';
import { normCdfRef as N, normPdfRef as phi } from './normal.js';
import {
  KIND_SPOT, KIND_LINEAR, KIND_CALL, KIND_PUT, COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_STYLE, STYLE_AMERICAN,
  COL_CS, COL_F, NCOLS, NGREEKS, OUT_VALUE, OUT_DELTA, OUT_GAMMA, OUT_VEGA, OUT_THETA,
} from '../layout.js';

export interface Greeks {
  value: number;
  /** dV/dS */
  delta: number;
  /** d2V/dS2 */
  gamma: number;
  /** dV/dvol per 1.00 of vol */
  vega: number;
  /** dV/dt per year of calendar time passing (= -dV/dT) */
  theta: number;
}

/** 1 in the money, 0 out of it, 0.5 at the money (slope weight of a kinked payoff). */
function weight(isCall: boolean, x: number, K: number): number {
  if (x === K) return 0.5;
  return (isCall ? x > K : x < K) ? 1 : 0;
}

/**
 * Generalised BSM price per unit of underlying: F = S e^{(r-q)T}, call e^{-rT}(F N(d1) - K N(d2)),
 * put e^{-rT}(K N(-d2) - F N(-d1)). T <= 0: intrinsic value at S. vol <= 0: e^{-rT} times the
 * intrinsic value at F.
 */
export function bsmPriceRef(
  isCall: boolean, S: number, K: number, T: number, r: number, q: number, vol: number,
): number {
  return bsmGreeksRef(isCall, S, K, T, r, q, vol).value;
}

/** Price and sensitivities per unit of underlying, with the conventions of assembly/bsm.ts. */
export function bsmGreeksRef(
  isCall: boolean, S: number, K: number, T: number, r: number, q: number, vol: number,
): Greeks {
  if (T <= 0) {
    const value = isCall ? Math.max(S - K, 0) : Math.max(K - S, 0);
    const w = weight(isCall, S, K);
    return { value, delta: isCall ? w : 0 - w, gamma: 0, vega: 0, theta: 0 };
  }
  const df = Math.exp(-r * T);
  const dq = Math.exp(-q * T);
  const F = S * Math.exp((r - q) * T);
  const sqrtT = Math.sqrt(T);
  const sd = vol * sqrtT;
  if (sd <= 0) {
    const value = df * (isCall ? Math.max(F - K, 0) : Math.max(K - F, 0));
    const w = weight(isCall, F, K);
    // V = +-w (S e^{-qT} - K e^{-rT}), + for a call; theta = -dV/dT. (0 - x keeps zeros positive.)
    const carry = q * S * dq - r * K * df;
    return isCall
      ? { value, delta: w * dq, gamma: 0, vega: 0, theta: w * carry }
      : { value, delta: 0 - w * dq, gamma: 0, vega: 0, theta: 0 - w * carry };
  }
  const d1 = (Math.log(F / K) + 0.5 * vol * vol * T) / sd;
  const d2 = d1 - sd;
  const pdf = phi(d1);
  const gamma = pdf > 0 ? dq * pdf / (S * sd) : 0;
  const vega = S * dq * pdf * sqrtT;
  const decay = -S * dq * pdf * vol / (2 * sqrtT);
  if (isCall) {
    return {
      value: df * (F * N(d1) - K * N(d2)),
      delta: dq * N(d1),
      gamma,
      vega,
      theta: decay - r * K * df * N(d2) + q * S * dq * N(d1),
    };
  }
  return {
    value: df * (K * N(-d2) - F * N(-d1)),
    delta: 0 - dq * N(-d1),
    gamma,
    vega,
    theta: decay + r * K * df * N(-d2) - q * S * dq * N(-d1),
  };
}

/**
 * Value and sensitivities of one contract of each of the `n` instruments of `table` (NCOLS
 * columns of n values, src/layout.ts). Returns NGREEKS columns of n values (OUT_VALUE, OUT_DELTA,
 * OUT_GAMMA, OUT_VEGA, OUT_THETA), the layout valueInstruments writes. Throws on an unknown kind.
 */
export function referenceValue(table: Float64Array, n: number): Float64Array {
  if (table.length < NCOLS * n) throw new RangeError(`table holds ${table.length} values, expected ${NCOLS * n}`);
  const at = (c: number, i: number): number => table[c * n + i]!;
  const out = new Float64Array(NGREEKS * n);
  for (let i = 0; i < n; i++) {
    const kind = at(COL_KIND, i);
    const S = at(COL_S, i);
    const cs = at(COL_CS, i);
    let g: Greeks;
    if (kind === KIND_SPOT) {
      g = { value: S, delta: 1, gamma: 0, vega: 0, theta: 0 };
    } else if (kind === KIND_LINEAR) {
      // P&L cs * F * (S'/S - 1): linear in S' with slope cs * F / S.
      g = { value: 0, delta: at(COL_F, i) / S, gamma: 0, vega: 0, theta: 0 };
    } else if (kind === KIND_CALL || kind === KIND_PUT) {
      g = bsmGreeksRef(kind === KIND_CALL, S, at(COL_K, i), at(COL_T, i), at(COL_R, i), at(COL_Q, i), at(COL_VOL, i));
      if (at(COL_STYLE, i) === STYLE_AMERICAN) g = americanGreeksRef(kind === KIND_CALL, S, at(COL_K, i), at(COL_T, i), at(COL_R, i), at(COL_Q, i), at(COL_VOL, i), g);
    } else {
      throw new RangeError(`instrument ${i}: unknown kind ${kind}`);
    }
    out[OUT_VALUE * n + i] = cs * g.value;
    out[OUT_DELTA * n + i] = cs * g.delta;
    out[OUT_GAMMA * n + i] = cs * g.gamma;
    out[OUT_VEGA * n + i] = cs * g.vega;
    out[OUT_THETA * n + i] = cs * g.theta;
  }
  return out;
}

/**
 * An American option's value and greeks (docs/methods.md §3.6), twin of valueAmerican: the
 * European greeks `european` when it has no early-exercise premium (call q <= 0 and r >= 0, put
 * r <= 0 and q >= 0) or is at expiry; else americanPriceRef and its central differences (S bumped
 * by 1e-4 S, vol by 1e-4 vol, T by 1e-4 T; theta = -dV/dT).
 */
export function americanGreeksRef(call: boolean, S: number, K: number, T: number, r: number, q: number, vol: number, european: Greeks): Greeks {
  if ((call ? q <= 0 && r >= 0 : r <= 0 && q >= 0) || T <= 0) return european;
  const A = (s: number, t: number, v: number) => americanPriceRef(call, s, K, t, r, q, v);
  const v = A(S, T, vol), hS = 1e-4 * S, hV = 1e-4 * vol, hT = 1e-4 * T;
  const up = A(S + hS, T, vol), dn = A(S - hS, T, vol);
  return {
    value: Math.max(v, european.value), delta: (up - dn) / (2 * hS), gamma: (up - 2 * v + dn) / (hS * hS),
    vega: (A(S, T, vol + hV) - A(S, T, vol - hV)) / (2 * hV), theta: (A(S, T - hT, vol) - A(S, T + hT, vol)) / (2 * hT),
  };
}
