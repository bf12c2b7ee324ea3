// Kernel: Black (1976) value and sensitivities of European options on a future, per contract, in
// scalar code (docs/pricing.md section 1). The module exports black76Instruments (the kernel),
// black76Price (one price, for tests) and the row status codes the pricing kernels share.
//
// Inputs, per option (the instrument table of assembly/layout.ts): F the future's price (column
// COL_F, >= 0), K strike (> 0), T year fraction to the option's expiry (ACT/365F), r the rate that
// discounts the premium (annual, continuously compounded, decimal), vol the future's annualised
// lognormal vol (>= 0), CS the contract size. COL_S and COL_Q are not read.
//
//   d1 = (ln(F/K) + vol^2 T/2) / (vol sqrt T),  d2 = d1 - vol sqrt T
//   call = e^{-rT} (F N(d1) - K N(d2)),  put = e^{-rT} (K N(-d2) - F N(-d1))
//
// Sensitivities, with the units and signs of assembly/bsm.ts but with respect to the future's
// price: delta = dV/dF, gamma = d2V/dF2, vega = dV/dvol per 1.00 of vol, theta = dV/dt per year of
// calendar time passing with F held fixed (= -dV/dT = rV - e^{-rT} F phi(d1) vol / (2 sqrt T)).
// This is generalised BSM with S = F and q = r, term for term.
//
// Degenerate inputs (documented, never a trap):
// - T <= 0: expired; the intrinsic value at F, max(F-K,0) or max(K-F,0), undiscounted; delta
//   that of the intrinsic (1, 0, 0.5 at F == K for a call; -1, 0, -0.5 for a put); gamma, vega,
//   theta 0.
// - vol = 0 with T > 0: the discounted intrinsic e^{-rT} max(F-K,0) (put: max(K-F,0)); delta
//   +-e^{-rT} w (w = 1 in the money, 0 out of it, 0.5 at F == K); theta = r V; gamma = vega = 0.
// - F = 0: the limit (call 0, put K e^{-rT}, delta 0 and -e^{-rT}, gamma 0).
import { normCdf, normPdf } from './normal';
import {
  KIND_CALL, KIND_PUT, COL_KIND, COL_K, COL_T, COL_R, COL_VOL, COL_CS, COL_F,
  OUT_VALUE, OUT_DELTA, OUT_GAMMA, OUT_VEGA, OUT_THETA, STATUS_OK, STATUS_BAD_ARGUMENT, col,
  STATUS_ROW_ERRORS, PRICE_OK, PRICE_BAD_INPUT, PRICE_NON_FINITE,
} from './layout';

/** Weight of the payoff's slope: 1 in the money, 0 out of it, 0.5 at the money. */
// @ts-ignore: decorator
@inline function moneyWeight(isCall: bool, X: f64, K: f64): f64 {
  const itm = isCall ? X > K : X < K;
  return itm ? 1.0 : (X == K ? 0.5 : 0.0);
}

/** Whether (F, K, T, r, vol) is in the domain: all finite, F >= 0, K > 0, vol >= 0. */
// @ts-ignore: decorator
@inline export function black76InDomain(F: f64, K: f64, T: f64, r: f64, vol: f64): bool {
  return isFinite<f64>(F) && isFinite<f64>(K) && isFinite<f64>(T) && isFinite<f64>(r) && isFinite<f64>(vol)
    && F >= 0.0 && K > 0.0 && vol >= 0.0;
}

/**
 * Black-76 value and sensitivities per unit of the future, times `scale`, stored as f64 at
 * `out + k * stride` for k = OUT_VALUE .. OUT_THETA. Inputs in the domain (black76InDomain).
 * Returns false, writing nothing, when a result is not finite.
 */
// @ts-ignore: decorator
@inline function black76Store(
  isCall: bool, F: f64, K: f64, T: f64, r: f64, vol: f64, scale: f64, out: usize, stride: usize,
): bool {
  let value: f64, delta: f64, gamma: f64 = 0.0, vega: f64 = 0.0, theta: f64 = 0.0;
  if (T <= 0.0) {
    value = isCall ? Math.max(F - K, 0.0) : Math.max(K - F, 0.0);
    const w = moneyWeight(isCall, F, K);
    delta = isCall ? w : 0.0 - w;
  } else {
    const df = Math.exp(-r * T);
    const sqrtT = Math.sqrt(T);
    const sd = vol * sqrtT;
    if (sd <= 0.0) {
      value = df * (isCall ? Math.max(F - K, 0.0) : Math.max(K - F, 0.0));
      const w = moneyWeight(isCall, F, K);
      delta = isCall ? w * df : 0.0 - w * df;
      theta = r * value;
    } else {
      const d1 = (Math.log(F / K) + 0.5 * vol * vol * T) / sd;
      const d2 = d1 - sd;
      const pdf = normPdf(d1);
      gamma = pdf > 0.0 ? df * pdf / (F * sd) : 0.0;
      const dfFPdf = df * F * pdf;
      vega = dfFPdf * sqrtT;
      const decay = -dfFPdf * vol / (2.0 * sqrtT);
      if (isCall) {
        const nd1 = normCdf(d1);
        value = df * (F * nd1 - K * normCdf(d2));
        delta = df * nd1;
      } else {
        const nmd1 = normCdf(-d1);
        value = df * (K * normCdf(-d2) - F * nmd1);
        delta = 0.0 - df * nmd1;
      }
      theta = decay + r * value;
    }
  }
  value *= scale; delta *= scale; gamma *= scale; vega *= scale; theta *= scale;
  if (!(isFinite<f64>(value) && isFinite<f64>(delta) && isFinite<f64>(gamma) && isFinite<f64>(vega) && isFinite<f64>(theta))) {
    return false;
  }
  store<f64>(out + <usize>OUT_VALUE * stride, value);
  store<f64>(out + <usize>OUT_DELTA * stride, delta);
  store<f64>(out + <usize>OUT_GAMMA * stride, gamma);
  store<f64>(out + <usize>OUT_VEGA * stride, vega);
  store<f64>(out + <usize>OUT_THETA * stride, theta);
  return true;
}

/** Stores 0 in the NGREEKS outputs of one row. */
// @ts-ignore: decorator
@inline function storeZeros(out: usize, stride: usize): void {
  store<f64>(out + <usize>OUT_VALUE * stride, 0.0);
  store<f64>(out + <usize>OUT_DELTA * stride, 0.0);
  store<f64>(out + <usize>OUT_GAMMA * stride, 0.0);
  store<f64>(out + <usize>OUT_VEGA * stride, 0.0);
  store<f64>(out + <usize>OUT_THETA * stride, 0.0);
}

/**
 * Values one contract of each of the `n` options of the table at `table` (NCOLS columns of n f64,
 * assembly/layout.ts) by Black-76 on the future's price in column COL_F (see the file comment).
 * Writes NGREEKS columns of n f64 at `out` (OUT_VALUE, OUT_DELTA = dV/dF, OUT_GAMMA = d2V/dF2,
 * OUT_VEGA, OUT_THETA, each times CS) and one i32 row status per option at `rowStatus`:
 * PRICE_OK; PRICE_BAD_INPUT when an input is outside the domain (F, K, T, r, vol or CS not finite,
 * F < 0, K <= 0, vol < 0); PRICE_NON_FINITE when a result overflows. Rows that are not PRICE_OK
 * get 0 in every output: a non-finite number is never written.
 * Returns STATUS_OK when every row is PRICE_OK, STATUS_ROW_ERRORS when some row is not, and
 * STATUS_BAD_ARGUMENT, writing nothing, when n < 0 or a kind is neither KIND_CALL nor KIND_PUT.
 */
export function black76Instruments(table: usize, n: i32, out: usize, rowStatus: usize): i32 {
  if (n < 0) return STATUS_BAD_ARGUMENT;
  const kinds = col(table, COL_KIND, n);
  for (let i = 0; i < n; i++) {
    const k = load<f64>(kinds + (<usize>i << 3));
    if (!(k == <f64>KIND_CALL || k == <f64>KIND_PUT)) return STATUS_BAD_ARGUMENT;
  }
  const stride = <usize>n << 3;
  const pF = col(table, COL_F, n);
  const pK = col(table, COL_K, n);
  const pT = col(table, COL_T, n);
  const pR = col(table, COL_R, n);
  const pVol = col(table, COL_VOL, n);
  const pCs = col(table, COL_CS, n);
  let status = STATUS_OK;
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 3;
    const isCall = <i32>load<f64>(kinds + at) == KIND_CALL;
    const F = load<f64>(pF + at);
    const K = load<f64>(pK + at);
    const T = load<f64>(pT + at);
    const r = load<f64>(pR + at);
    const vol = load<f64>(pVol + at);
    const cs = load<f64>(pCs + at);
    const o = out + at;
    let row = PRICE_OK;
    if (!(black76InDomain(F, K, T, r, vol) && isFinite<f64>(cs))) row = PRICE_BAD_INPUT;
    else if (!black76Store(isCall, F, K, T, r, vol, cs, o, stride)) row = PRICE_NON_FINITE;
    if (row != PRICE_OK) {
      storeZeros(o, stride);
      status = STATUS_ROW_ERRORS;
    }
    store<i32>(rowStatus + (<usize>i << 2), row);
  }
  return status;
}

/**
 * The Black-76 price of one option per unit of the future (for tests and benchmarks): the same
 * operations as the kernel's OUT_VALUE with CS = 1, so bit for bit its number; NaN for inputs
 * outside the domain (a non-finite result is returned as it is, for the caller to see).
 */
export function black76Price(isCall: bool, F: f64, K: f64, T: f64, r: f64, vol: f64): f64 {
  if (!black76InDomain(F, K, T, r, vol)) return NaN;
  if (T <= 0.0) return isCall ? Math.max(F - K, 0.0) : Math.max(K - F, 0.0);
  const df = Math.exp(-r * T);
  const sd = vol * Math.sqrt(T);
  if (sd <= 0.0) return df * (isCall ? Math.max(F - K, 0.0) : Math.max(K - F, 0.0));
  const d1 = (Math.log(F / K) + 0.5 * vol * vol * T) / sd;
  const d2 = d1 - sd;
  return isCall ? df * (F * normCdf(d1) - K * normCdf(d2)) : df * (K * normCdf(-d2) - F * normCdf(-d1));
}
