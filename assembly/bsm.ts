// The generalised Black-Scholes-Merton price of a European option and its sensitivities, per
// unit of underlying (docs/methods.md §3, "The value of one contract"). Allocation-free and inline-able,
// in two forms: scalar (bsmPrice, bsmStoreGreeks; the scalar kernels revalueScalar and
// valueInstrumentsScalar) and on two f64 lanes (bsmPrice2, bsmStoreGreeks2; the SIMD kernels
// revalue and valueInstruments, which the host calls). The two forms compute the same formulas in
// the same order; they differ only in the last bits of exp, log and the normal CDF (vector
// versions in assembly/vmath.ts and assembly/normal.ts, within one ulp and 1e-15 relative).
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
import {
  normCdf, normPdf, normCdfGivenExp2, normCdfDiff2, normCdfDiffPair, expHalfSquare2, expHalfSquarePair, codyFirst2, INV_SQRT_2PI,
} from './normal';
import { vexp, vlog, allLanes } from './vmath';
import { OUT_VALUE, OUT_DELTA, OUT_GAMMA, OUT_VEGA, OUT_THETA } from './layout';

/** d1 as docs/methods.md §3.3 writes it; sd = vol sqrt T > 0. */
// @ts-ignore: decorator
@inline function bsmD1(F: f64, K: f64, T: f64, vol: f64, sd: f64): f64 {
  return (Math.log(F / K) + 0.5 * vol * vol * T) / sd;
}

/** The price formula of docs/methods.md §3.3 given the forward, discount factor, d1 and d2. */
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
 * Generalised BSM price of one European option on one unit of underlying (docs/methods.md §3.3).
 * T <= 0: intrinsic value at S. vol <= 0: discounted forward intrinsic. See the file comment.
 */
// @ts-ignore: decorator
@inline export function bsmPrice(isCall: bool, S: f64, K: f64, T: f64, r: f64, q: f64, vol: f64): f64 {
  if (T <= 0.0) return intrinsic(isCall, S, K);
  return bsmPriceRow(isCall, S, K, T, vol, Math.exp(-r * T), Math.exp((r - q) * T), Math.sqrt(T));
}

/**
 * bsmPrice for T > 0 given the factors that depend only on (r, q, T): df = e^{-rT},
 * g = e^{(r-q)T} and sqrtT = sqrt T. A kernel revaluing one option in many scenarios at one T
 * computes them once; the result is bit for bit bsmPrice's.
 */
// @ts-ignore: decorator
@inline export function bsmPriceRow(isCall: bool, S: f64, K: f64, T: f64, vol: f64, df: f64, g: f64, sqrtT: f64): f64 {
  const F = S * g;
  const sd = vol * sqrtT;
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

// ---------------------------------------------------------------------------------------------
// Two lanes at once (f64x2). `call` is a lane mask (all ones: call, zero: put). Each lane's result
// depends only on that lane's inputs. Degenerate lanes (T <= 0, vol sqrt T <= 0) get the values of
// the file comment, exactly as the scalar functions give them.
//
// One exponential serves both normal CDFs: with d2 = d1 - vol sqrt T, exp(-d2^2/2) =
// exp(-d1^2/2) * exp(d1 sd - sd^2/2) = exp(-d1^2/2) * F/K. The identity is used where
// exp(-d1^2/2) is a normal number (|d1| < 37); its rounding differs from computing exp(-d2^2/2)
// from the rounded d2 by a few units of d1 * sd * 2^-53, the same order as the rounding of d2
// itself.
// ---------------------------------------------------------------------------------------------

/** Below this |d1| the tail factor of N(d2) comes from that of N(d1) (see above). */
const IDENTITY_LIMIT: f64 = 37.0;

// @ts-ignore: decorator
@inline function sp(x: f64): v128 { return f64x2.splat(x); }

/** +1 on call lanes, -1 on put lanes. */
// @ts-ignore: decorator
@inline function callSign(call: v128): v128 { return v128.bitselect(sp(1.0), sp(-1.0), call); }

/** Discount factor e^{-rT} on two lanes (the same rounding as the scalar Math.exp(-r * T) argument). */
// @ts-ignore: decorator
@inline export function discount2(r: v128, T: v128): v128 {
  return vexp(f64x2.mul(f64x2.neg(r), T));
}

/** Carry factor e^{(r-q)T} on two lanes. */
// @ts-ignore: decorator
@inline export function carry2(r: v128, q: v128, T: v128): v128 {
  return vexp(f64x2.mul(f64x2.sub(r, q), T));
}

/** Intrinsic value max(X-K,0) (call lanes) or max(K-X,0) (put lanes). */
// @ts-ignore: decorator
@inline function intrinsic2(call: v128, X: v128, K: v128): v128 {
  return f64x2.max(f64x2.mul(callSign(call), f64x2.sub(X, K)), sp(0.0));
}

/** Weight of the payoff's slope: 1 in the money, 0 out of it, 0.5 at the money. */
// @ts-ignore: decorator
@inline function moneyWeight2(call: v128, X: v128, K: v128): v128 {
  const itm = v128.bitselect(f64x2.gt(X, K), f64x2.lt(X, K), call);
  return v128.bitselect(sp(1.0), v128.and(f64x2.eq(X, K), sp(0.5)), itm);
}

/** d1 = (ln(F/K) + vol^2 T / 2) / sd on two lanes, from lnfk = ln(F/K). */
// @ts-ignore: decorator
@inline function d1of(lnfk: v128, T: v128, vol: v128, sd: v128): v128 {
  return f64x2.div(f64x2.add(lnfk, f64x2.mul(f64x2.mul(f64x2.mul(sp(0.5), vol), vol), T)), sd);
}

/** exp(-d2^2/2) from e1 = exp(-d1^2/2) and fk = F/K (see the section comment). */
// @ts-ignore: decorator
@inline function tailOfD2(e1: v128, fk: v128, d1: v128, d2: v128): v128 {
  const e2 = f64x2.mul(e1, fk);
  const direct = f64x2.ge(f64x2.abs(d1), sp(IDENTITY_LIMIT));
  if (!v128.any_true(direct)) return e2;
  return v128.bitselect(expHalfSquare2(f64x2.abs(d2)), e2, direct);
}

/**
 * The BSM price for T > 0 on two lanes from the forward F, the strike K, fk = F/K, lnfk =
 * ln(F/K), the vol, sd = vol sqrt T and the discount factor df; lanes with sd <= 0 get the
 * discounted forward intrinsic. (A kernel that knows ln(F/K) as a sum of logarithms passes it.)
 */
// @ts-ignore: decorator
@inline export function bsmPriceCore2(
  call: v128, F: v128, K: v128, fk: v128, lnfk: v128, T: v128, vol: v128, sd: v128, df: v128,
): v128 {
  const d1 = d1of(lnfk, T, vol, sd);
  const d2 = f64x2.sub(d1, sd);
  // Call F N(d1) - K N(d2); put K N(-d2) - F N(-d1) = -(F N(-d1) - K N(-d2)): one expression with sign s.
  const sgn = callSign(call);
  let e1 = sp(0.0), e2 = sp(0.0);
  if (!allLanes(v128.and(codyFirst2(d1), codyFirst2(d2)))) {
    e1 = expHalfSquare2(f64x2.abs(d1));
    e2 = tailOfD2(e1, fk, d1, d2);
  }
  const price = f64x2.mul(df, f64x2.mul(sgn, normCdfDiff2(F, f64x2.mul(sgn, d1), e1, K, f64x2.mul(sgn, d2), e2)));
  const flat = f64x2.le(sd, sp(0.0));
  if (!v128.any_true(flat)) return price;
  return v128.bitselect(f64x2.mul(df, intrinsic2(call, F, K)), price, flat);
}

/**
 * bsmPriceCore2 of two vectors of scenarios of one option (shared K, T and df; a and b their own F,
 * fk, lnfk, vol and sd), stored at out and out + 16: bit for bit bsmPriceCore2's numbers, computed
 * side by side (the SIMD revaluation kernel's inner loop). `out` is scratch the caller owns.
 */
// @ts-ignore: decorator
@inline export function bsmPriceCorePair(
  call: v128, K: v128, T: v128, df: v128,
  Fa: v128, fka: v128, lnfka: v128, vola: v128, sda: v128,
  Fb: v128, fkb: v128, lnfkb: v128, volb: v128, sdb: v128, out: usize,
): void {
  const d1a = d1of(lnfka, T, vola, sda);
  const d1b = d1of(lnfkb, T, volb, sdb);
  const d2a = f64x2.sub(d1a, sda);
  const d2b = f64x2.sub(d1b, sdb);
  const sgn = callSign(call);
  let e1a = sp(0.0), e2a = sp(0.0), e1b = sp(0.0), e2b = sp(0.0);
  if (!allLanes(v128.and(v128.and(codyFirst2(d1a), codyFirst2(d2a)), v128.and(codyFirst2(d1b), codyFirst2(d2b))))) {
    expHalfSquarePair(f64x2.abs(d1a), f64x2.abs(d1b), out);
    e1a = v128.load(out);
    e1b = v128.load(out + 16);
    e2a = tailOfD2(e1a, fka, d1a, d2a);
    e2b = tailOfD2(e1b, fkb, d1b, d2b);
  }
  normCdfDiffPair(Fa, f64x2.mul(sgn, d1a), e1a, K, f64x2.mul(sgn, d2a), e2a,
    Fb, f64x2.mul(sgn, d1b), e1b, K, f64x2.mul(sgn, d2b), e2b, out);
  let pa = f64x2.mul(df, f64x2.mul(sgn, v128.load(out)));
  let pb = f64x2.mul(df, f64x2.mul(sgn, v128.load(out + 16)));
  const flata = f64x2.le(sda, sp(0.0)), flatb = f64x2.le(sdb, sp(0.0));
  if (v128.any_true(v128.or(flata, flatb))) {
    pa = v128.bitselect(f64x2.mul(df, intrinsic2(call, Fa, K)), pa, flata);
    pb = v128.bitselect(f64x2.mul(df, intrinsic2(call, Fb, K)), pb, flatb);
  }
  v128.store(out, pa);
  v128.store(out + 16, pb);
}

/**
 * bsmPriceRow on two lanes: price for T > 0 on every lane given df = e^{-rT}, g = e^{(r-q)T}
 * and sqrtT (discount2, carry2, f64x2.sqrt); lanes with vol sqrt T <= 0 get the discounted
 * forward intrinsic.
 */
// @ts-ignore: decorator
@inline export function bsmPriceRow2(call: v128, S: v128, K: v128, T: v128, vol: v128, df: v128, g: v128, sqrtT: v128): v128 {
  const F = f64x2.mul(S, g);
  const fk = f64x2.div(F, K);
  return bsmPriceCore2(call, F, K, fk, vlog(fk), T, vol, f64x2.mul(vol, sqrtT), df);
}

/** bsmPrice on two lanes (T <= 0 lanes: intrinsic value at S). */
// @ts-ignore: decorator
@inline export function bsmPrice2(call: v128, S: v128, K: v128, T: v128, r: v128, q: v128, vol: v128): v128 {
  const price = bsmPriceRow2(call, S, K, T, vol, discount2(r, T), carry2(r, q, T), f64x2.sqrt(T));
  const expired = f64x2.le(T, sp(0.0));
  if (!v128.any_true(expired)) return price;
  return v128.bitselect(intrinsic2(call, S, K), price, expired);
}

/**
 * The price of one option, computed by the vector code on one lane: the number the SIMD kernels
 * (revalue, valueInstruments) use, bit for bit. Exported as the module's `bsmPrice`.
 */
export function bsmPriceLane(isCall: bool, S: f64, K: f64, T: f64, r: f64, q: f64, vol: f64): f64 {
  const call = isCall ? i64x2.splat(-1) : i64x2.splat(0);
  return f64x2.extract_lane(bsmPrice2(call, sp(S), sp(K), sp(T), sp(r), sp(q), sp(vol)), 0);
}

/** The scalar bsmPrice, exported for comparisons (tests and benchmarks). */
export function bsmPriceScalar(isCall: bool, S: f64, K: f64, T: f64, r: f64, q: f64, vol: f64): f64 {
  return bsmPrice(isCall, S, K, T, r, q, vol);
}

/** Stores both lanes of v at p, or only lane 0 when `single`. */
// @ts-ignore: decorator
@inline function store2(p: usize, v: v128, single: bool): void {
  if (single) store<f64>(p, f64x2.extract_lane(v, 0));
  else v128.store(p, v);
}

/**
 * bsmStoreGreeks on two lanes: value, delta, gamma, vega and theta of two options, times `scale`,
 * stored as two f64 at `out + k * stride` for k = OUT_VALUE .. OUT_THETA (only lane 0, one f64,
 * when `single`). The value is bit for bit scale * bsmPrice2(...).
 */
// @ts-ignore: decorator
@inline export function bsmStoreGreeks2(
  call: v128, S: v128, K: v128, T: v128, r: v128, q: v128, vol: v128, scale: v128, out: usize, stride: usize,
  single: bool,
): void {
  const sgn = callSign(call);
  const df = discount2(r, T);
  const dq = vexp(f64x2.mul(f64x2.neg(q), T));
  const F = f64x2.mul(S, carry2(r, q, T));
  const fk = f64x2.div(F, K);
  const sqrtT = f64x2.sqrt(T);
  const sd = f64x2.mul(vol, sqrtT);
  const d1 = d1of(vlog(fk), T, vol, sd);
  const d2 = f64x2.sub(d1, sd);
  const e1 = expHalfSquare2(f64x2.abs(d1));
  const n1 = normCdfGivenExp2(f64x2.mul(sgn, d1), e1);
  const n2 = normCdfGivenExp2(f64x2.mul(sgn, d2), tailOfD2(e1, fk, d1, d2));
  let value = f64x2.mul(df, f64x2.mul(sgn, f64x2.sub(f64x2.mul(F, n1), f64x2.mul(K, n2))));
  const pdf = f64x2.mul(sp(INV_SQRT_2PI), e1);
  const sdqPdf = f64x2.mul(f64x2.mul(S, dq), pdf);
  let gamma = v128.and(f64x2.div(f64x2.mul(dq, pdf), f64x2.mul(S, sd)), f64x2.gt(pdf, sp(0.0)));
  let vega = f64x2.mul(sdqPdf, sqrtT);
  const decay = f64x2.div(f64x2.mul(f64x2.neg(sdqPdf), vol), f64x2.mul(sp(2.0), sqrtT));
  const dqn1 = f64x2.mul(dq, n1);
  let delta = v128.bitselect(dqn1, f64x2.sub(sp(0.0), dqn1), call);
  // theta: call decay - r K df N(d2) + q S dq N(d1); put decay + r K df N(-d2) - q S dq N(-d1).
  const a = f64x2.mul(f64x2.mul(f64x2.mul(r, K), df), n2);
  const b = f64x2.mul(f64x2.mul(f64x2.mul(q, S), dq), n1);
  let theta = f64x2.add(f64x2.sub(decay, f64x2.mul(sgn, a)), f64x2.mul(sgn, b));
  const flat = f64x2.le(sd, sp(0.0));
  if (v128.any_true(flat)) {
    // vol sqrt T <= 0: discounted forward intrinsic, -d/dT of max(S e^{-qT} - K e^{-rT}, 0) or its put twin.
    const w = moneyWeight2(call, F, K);
    const carry = f64x2.sub(f64x2.mul(f64x2.mul(q, S), dq), f64x2.mul(f64x2.mul(r, K), df));
    const wdq = f64x2.mul(w, dq), wc = f64x2.mul(w, carry);
    value = v128.bitselect(f64x2.mul(df, intrinsic2(call, F, K)), value, flat);
    delta = v128.bitselect(v128.bitselect(wdq, f64x2.sub(sp(0.0), wdq), call), delta, flat);
    theta = v128.bitselect(v128.bitselect(wc, f64x2.sub(sp(0.0), wc), call), theta, flat);
    gamma = v128.andnot(gamma, flat);
    vega = v128.andnot(vega, flat);
  }
  const expired = f64x2.le(T, sp(0.0));
  if (v128.any_true(expired)) {
    const w = moneyWeight2(call, S, K);
    value = v128.bitselect(intrinsic2(call, S, K), value, expired);
    delta = v128.bitselect(v128.bitselect(w, f64x2.sub(sp(0.0), w), call), delta, expired);
    gamma = v128.andnot(gamma, expired);
    vega = v128.andnot(vega, expired);
    theta = v128.andnot(theta, expired);
  }
  store2(out + <usize>OUT_VALUE * stride, f64x2.mul(scale, value), single);
  store2(out + <usize>OUT_DELTA * stride, f64x2.mul(scale, delta), single);
  store2(out + <usize>OUT_GAMMA * stride, f64x2.mul(scale, gamma), single);
  store2(out + <usize>OUT_VEGA * stride, f64x2.mul(scale, vega), single);
  store2(out + <usize>OUT_THETA * stride, f64x2.mul(scale, theta), single);
}
