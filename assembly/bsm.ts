// The generalised Black-Scholes-Merton price of a European option and its sensitivities, per
// unit of underlying (contract section 2, "Value of one contract"). Scalar, allocation-free and
// inline-able: the valuation and revaluation kernels call these in their loops.
//
// Inputs (every function): S spot (>= 0), K strike (> 0), T year fraction to expiry (ACT/365F),
// r rate and q yield (annual, continuously compounded, decimal), vol annualised lognormal vol.
//
//   F = S e^{(r-q)T},  d1 = (ln(F/K) + vol^2 T/2) / (vol sqrt T),  d2 = d1 - vol sqrt T
//   call = e^{-rT} (F N(d1) - K N(d2)),  put = e^{-rT} (K N(-d2) - F N(-d1))
//
// Degenerate inputs (documented, never a trap):
// - T <= 0: the option has expired; its value is the intrinsic value at S, max(S-K,0) for a call,
//   max(K-S,0) for a put. Its delta is that of the intrinsic: a call 1 above the strike, 0 below,
//   0.5 at S == K (the average of the one-sided derivatives); a put -1, 0 and -0.5. Gamma, vega
//   and theta are 0.
// - vol sqrt T <= 0 with T > 0 (vol <= 0; the market loader rejects it): the limit as vol -> 0,
//   the discounted forward intrinsic e^{-rT} max(F-K,0) (call) or e^{-rT} max(K-F,0) (put); delta
//   e^{-qT} w (call) or -e^{-qT} w (put) with w = 1 in the money, 0 out of it, 0.5 at F == K;
//   theta the time derivative of that intrinsic, with the same weight w; gamma = vega = 0.
// - S == 0: the limit (call 0, put K e^{-rT}, gamma 0). S < 0 or K < 0: NaN. Any NaN input gives NaN.
import { normCdf, normPdf } from './normal';
import { OUT_VALUE, OUT_DELTA, OUT_GAMMA, OUT_VEGA, OUT_THETA } from './layout';

/** d1 as the contract writes it; sd = vol sqrt T > 0. */
// @ts-ignore: decorator
@inline function bsmD1(F: f64, K: f64, T: f64, vol: f64, sd: f64): f64 {
  return (Math.log(F / K) + 0.5 * vol * vol * T) / sd;
}

/** The contract's price formula given the forward, discount factor, d1 and d2. */
// @ts-ignore: decorator
@inline function bsmFromD(isCall: bool, F: f64, K: f64, df: f64, d1: f64, d2: f64): f64 {
  return isCall
    ? df * (F * normCdf(d1) - K * normCdf(d2))
    : df * (K * normCdf(-d2) - F * normCdf(-d1));
}

/** Intrinsic value max(S-K,0) (call) or max(K-S,0) (put). */
// @ts-ignore: decorator
@inline function intrinsic(isCall: bool, S: f64, K: f64): f64 {
  return isCall ? Math.max(S - K, 0.0) : Math.max(K - S, 0.0);
}

/** Weight of the payoff's slope: 1 in the money, 0 out of it, 0.5 at the money. */
// @ts-ignore: decorator
@inline function moneyWeight(isCall: bool, X: f64, K: f64): f64 {
  const itm = isCall ? X > K : X < K;
  return itm ? 1.0 : (X == K ? 0.5 : 0.0);
}

/**
 * Generalised BSM price of one European option on one unit of underlying (contract section 2).
 * T <= 0: intrinsic value at S. vol <= 0: discounted forward intrinsic. See the file comment.
 */
// @ts-ignore: decorator
@inline export function bsmPrice(isCall: bool, S: f64, K: f64, T: f64, r: f64, q: f64, vol: f64): f64 {
  if (T <= 0.0) return intrinsic(isCall, S, K);
  const df = Math.exp(-r * T);
  const F = S * Math.exp((r - q) * T);
  const sd = vol * Math.sqrt(T);
  if (sd <= 0.0) return df * intrinsic(isCall, F, K);
  const d1 = bsmD1(F, K, T, vol, sd);
  return bsmFromD(isCall, F, K, df, d1, d1 - sd);
}

/**
 * Price and sensitivities of one European option, each multiplied by `scale` (the contract size),
 * stored as f64 at `out + k * stride` for k = OUT_VALUE, OUT_DELTA, OUT_GAMMA, OUT_VEGA, OUT_THETA
 * (assembly/layout.ts): value; delta = dV/dS; gamma = d2V/dS2; vega = dV/dvol per 1.00 of vol;
 * theta = dV/dt per year of calendar time passing (= -dV/dT, including the r and q terms).
 * The value is bit-for-bit scale * bsmPrice(...). Degenerate inputs: see the file comment.
 */
// @ts-ignore: decorator
@inline export function bsmStoreGreeks(
  isCall: bool, S: f64, K: f64, T: f64, r: f64, q: f64, vol: f64, scale: f64, out: usize, stride: usize,
): void {
  let value: f64, delta: f64, gamma: f64 = 0.0, vega: f64 = 0.0, theta: f64 = 0.0;
  if (T <= 0.0) {
    value = intrinsic(isCall, S, K);
    const w = moneyWeight(isCall, S, K);
    delta = isCall ? w : 0.0 - w; // 0.0 - x: +0, not -0, out of the money
  } else {
    const df = Math.exp(-r * T);
    const dq = Math.exp(-q * T);
    const F = S * Math.exp((r - q) * T);
    const sqrtT = Math.sqrt(T);
    const sd = vol * sqrtT;
    if (sd <= 0.0) {
      value = df * intrinsic(isCall, F, K);
      const w = moneyWeight(isCall, F, K);
      // -d/dT of max(S e^{-qT} - K e^{-rT}, 0) and of its put twin.
      const carry = q * S * dq - r * K * df;
      delta = isCall ? w * dq : 0.0 - w * dq;
      theta = isCall ? w * carry : 0.0 - w * carry;
    } else {
      const d1 = bsmD1(F, K, T, vol, sd);
      const d2 = d1 - sd;
      value = bsmFromD(isCall, F, K, df, d1, d2);
      const pdf = normPdf(d1);
      const sdqPdf = S * dq * pdf;
      gamma = pdf > 0.0 ? dq * pdf / (S * sd) : 0.0;
      vega = sdqPdf * sqrtT;
      const decay = -sdqPdf * vol / (2.0 * sqrtT);
      if (isCall) {
        const nd1 = normCdf(d1);
        delta = dq * nd1;
        theta = decay - r * K * df * normCdf(d2) + q * S * dq * nd1;
      } else {
        const nmd1 = normCdf(-d1);
        delta = 0.0 - dq * nmd1;
        theta = decay + r * K * df * normCdf(-d2) - q * S * dq * nmd1;
      }
    }
  }
  store<f64>(out + <usize>OUT_VALUE * stride, scale * value);
  store<f64>(out + <usize>OUT_DELTA * stride, scale * delta);
  store<f64>(out + <usize>OUT_GAMMA * stride, scale * gamma);
  store<f64>(out + <usize>OUT_VEGA * stride, scale * vega);
  store<f64>(out + <usize>OUT_THETA * stride, scale * theta);
}
