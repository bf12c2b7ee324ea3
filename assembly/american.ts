// Kernel: American calls and puts by the Bjerksund-Stensland (2002) approximation, per contract,
// in scalar code (docs/pricing.md section 2). The module exports americanInstruments (the
// kernel), americanPrice (one price, for tests and benchmarks) and bivariateNormal.
//
// Source: P. Bjerksund and G. Stensland, "Closed form valuation of American options", working
// paper, NHH Bergen, 2002, as printed in E. G. Haug, The Complete Guide to Option Pricing
// Formulas, 2nd ed., McGraw-Hill 2007, section 3.3, pp. 104-108 (formula 3.2 and its code); the put
// by the put-call transformation of section 3.4, p. 109: P(S, K, T, r, q, vol) = C(K, S, T, q, r, vol).
//
// Inputs, per option (the instrument table of assembly/layout.ts): S spot (>= 0), K strike (> 0),
// T year fraction to expiry (ACT/365F), r rate and q yield (annual, continuously compounded,
// decimal; the carry is b = r - q), vol annualised lognormal vol (>= 0), CS contract size.
//
// Cases, in this order (every one documented in docs/pricing.md):
// - T <= 0: the intrinsic value at S.
// - No early exercise premium: a call with q <= 0 and r >= 0, and a put with r <= 0 and q >= 0
//   (Merton 1973), are worth the European option, and get bsmPrice (assembly/bsm.ts) bit for bit.
//   (With r < 0 a call with q <= 0 can be worth exercising early: paying K later costs more.)
// - vol = 0: the exact value without uncertainty, the best of exercising now, at T, or at the
//   stationary time of the discounted payoff (americanZeroVol).
// - Outside the approximation's domain, a call with r < 0 or a put with q < 0 (the transformed
//   call's rate; there beta may be complex and B0 = r/q K undefined): the lower bound
//   max(European value, intrinsic value), documented as such in docs/pricing.md.
// - S = 0 (r > 0 for a put): a call is worth 0, a put K (exercised at once).
// - Otherwise the approximation, with two choices where the source is silent:
//   * its trigger prices I = B0 + (Binf - B0)(1 - e^h) are kept in [B0, Binf]: where the source's
//     h is positive (b t + 2 vol sqrt t < 0, a strongly negative carry against a low vol) its I
//     falls below B0 and even below K, and the formula returns S - K < 0 for an out-of-the-money
//     call; clamped, I = B0 there, the strategy "exercise at B0".
//   * the result is floored at the European value and at the intrinsic value. The approximation
//     is the value of one exercise strategy, so a lower bound; the European value (never
//     exercise early) and the intrinsic value (exercise now) are lower bounds too, and the
//     largest of three lower bounds is the closest.
//   Terms alpha S^beta and (I/S)^kappa are formed as exponentials of sums of logarithms, and a
//   factor e^E times a probability that is 0 is 0: with a low vol beta and kappa reach the
//   thousands, where S^beta alone overflows.
// Results that are not finite are reported by the row status, never written.
import { normCdf } from './normal';
import { vexp } from './vmath';
import { bsmPrice } from './bsm';
import {
  KIND_CALL, KIND_PUT, COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS,
  STATUS_OK, STATUS_BAD_ARGUMENT, col, PRICE_OK, PRICE_BAD_INPUT, PRICE_NON_FINITE, STATUS_ROW_ERRORS,
} from './layout';

// ---------------------------------------------------------------------------------------------
// Bivariate normal distribution M(a, b; rho) = P(X <= a, Y <= b), corr(X, Y) = rho, |rho| < 0.925:
// Z. Drezner and G. O. Wesolowsky, "On the computation of the bivariate normal integral", J. Stat.
// Comput. Simul. 35 (1990) 101-107, as modified by A. Genz, "Numerical computation of rectangular
// bivariate and trivariate normal and t probabilities", Stat. Comput. 14 (2004) 251-260 (the
// |rho| < 0.925 branch, 20-point Gauss-Legendre rule): with h = -a, k = -b,
//   M = N(a) N(b) + (1/2pi) int_0^{asin rho} exp(-(h^2 + k^2 - 2hk sin t) / (2 cos^2 t)) dt.
// The approximation only needs rho = +-sqrt(t1/T) = +-0.786.
// ---------------------------------------------------------------------------------------------

/** Both nodes 1 -+ x of one Gauss-Legendre pair, times their weight w. */
// @ts-ignore: decorator
@inline function glPair(asr: f64, hk: f64, hs: f64, x: f64, w: f64): f64 {
  const s1 = Math.sin(asr * (1.0 - x));
  const s2 = Math.sin(asr * (1.0 + x));
  return w * (Math.exp((s1 * hk - hs) / (1.0 - s1 * s1)) + Math.exp((s2 * hk - hs) / (1.0 - s2 * s2)));
}

/**
 * M(a, b; rho) for |rho| < 0.925, absolute error about 1e-15 (Genz 2004); NaN for a NaN argument
 * or |rho| >= 0.925; the limits at infinite a or b (0, N(a), N(b)).
 */
// @ts-ignore: decorator
@inline export function bivariateNormalCdf(a: f64, b: f64, rho: f64): f64 {
  if (a != a || b != b || !(Math.abs(rho) < 0.925)) return NaN;
  if (a == -Infinity || b == -Infinity) return 0.0;
  if (a == Infinity) return normCdf(b);
  if (b == Infinity) return normCdf(a);
  const h = -a, k = -b;
  const hk = h * k, hs = (h * h + k * k) / 2.0;
  const asr = Math.asin(rho) / 2.0;
  let sum = glPair(asr, hk, hs, 0.9931285991850949, 0.01761400713915212);
  sum += glPair(asr, hk, hs, 0.9639719272779138, 0.04060142980038694);
  sum += glPair(asr, hk, hs, 0.9122344282513259, 0.06267204833410906);
  sum += glPair(asr, hk, hs, 0.8391169718222188, 0.08327674157670475);
  sum += glPair(asr, hk, hs, 0.7463319064601508, 0.1019301198172404);
  sum += glPair(asr, hk, hs, 0.6360536807265150, 0.1181945319615184);
  sum += glPair(asr, hk, hs, 0.5108670019508271, 0.1316886384491766);
  sum += glPair(asr, hk, hs, 0.3737060887154196, 0.1420961093183821);
  sum += glPair(asr, hk, hs, 0.2277858511416451, 0.1491729864726037);
  sum += glPair(asr, hk, hs, 0.07652652113349733, 0.1527533871307259);
  const m = sum * asr / (2.0 * Math.PI) + normCdf(a) * normCdf(b);
  return Math.max(0.0, Math.min(1.0, m));
}

/** One Gauss-Legendre pair of bvnRho0: w (e^{(s1 hk' - hs) c1} + e^{(s2 hk' - hs) c2}), both exponentials on two lanes. */
// @ts-ignore: decorator
@inline function node(w: f64, s: v128, c: v128, sghk: v128, hs: v128): f64 {
  const e = vexp(f64x2.mul(f64x2.sub(f64x2.mul(s, sghk), hs), c));
  return w * (f64x2.extract_lane(e, 0) + f64x2.extract_lane(e, 1));
}

/**
 * M(a, b; sg rho0) for the one correlation the approximation uses, rho0 = sqrt(t1 / T) =
 * sqrt((sqrt 5 - 1) / 2) = 0.78615..., with sg = +1 or -1: bivariateNormalCdf's rule with its
 * nodes' sines sin(asin(rho0) (1 -+ x) / 2) and 1 / (1 - sin^2) written out as constants (computed
 * once in binary64; for -rho0 the sines change sign, sine being odd), each pair's two exponentials
 * on two SIMD lanes (vexp, within one ulp of exp). The same quadrature without 20 sines and 20
 * divisions a call, and half the exponential calls; within 1e-15 of bivariateNormalCdf(a, b, sg rho0).
 */
// @ts-ignore: decorator
@inline function bvnRho0(a: f64, b: f64, sg: f64): f64 {
  if (a != a || b != b) return NaN;
  if (a == -Infinity || b == -Infinity) return 0.0;
  if (a == Infinity) return normCdf(b);
  if (b == Infinity) return normCdf(a);
  const h = -a, k = -b;
  const hk = h * k, hs = (h * h + k * k) / 2.0;
  const sghk = f64x2.splat(sg * hk), hs2 = f64x2.splat(hs);
  let sum: f64 = 0.0;
  sum += node(0.01761400713915212, f64x2(0.003107781487646321, 0.7842268667140874), f64x2(1.0000096583990588, 2.5974820633263627), sghk, hs2);
  sum += node(0.04060142980038694, f64x2(0.01629399970409196, 0.7759767657954504), f64x2(1.0002655649323664, 2.5134465687510725), sghk, hs2);
  sum += node(0.06267204833410905, f64x2(0.03968405321502542, 0.7610060150932523), f64x2(1.0015773080622903, 2.376031478376106), sghk, hs2);
  sum += node(0.08327674157670475, f64x2(0.07269973397325001, 0.7391402150748851), f64x2(1.0053133336233264, 2.204236910546083), sghk, hs2);
  sum += node(0.1019301198172404, f64x2(0.11447708818931852, 0.7102323996436618), f64x2(1.0132790253975419, 2.017878653079867), sghk, hs2);
  sum += node(0.1181945319615184, f64x2(0.16386275803491718, 0.6742523300826023), f64x2(1.0275918729470779, 1.8335711630496416), sghk, hs2);
  sum += node(0.1316886384491766, f64x2(0.21942426297223605, 0.6313808519591779), f64x2(1.0505823982738265, 1.662902355216826), sghk, hs2);
  sum += node(0.1420961093183821, f64x2(0.2794864832820228, 0.5820908058233092), f64x2(1.0847312831596108, 1.5124696457382547), sghk, hs2);
  sum += node(0.1491729864726037, f64x2(0.34219864653391824, 0.5271991628012386), f64x2(1.1326309913265575, 1.3849244604071005), sghk, hs2);
  sum += node(0.1527533871307259, f64x2(0.4056292468234631, 0.4678793345622409), f64x2(1.1969383550374393, 1.2802639543102605), sghk, hs2);
  const m = sum * (sg * 0.4522784471511907) / (2.0 * Math.PI) + normCdf(a) * normCdf(b);
  return Math.max(0.0, Math.min(1.0, m));
}

/** The exported bivariateNormalCdf (for tests). */
export function bivariateNormal(a: f64, b: f64, rho: f64): f64 {
  return bivariateNormalCdf(a, b, rho);
}

// ---------------------------------------------------------------------------------------------
// The call approximation (Haug 2007, formula 3.2).
// ---------------------------------------------------------------------------------------------

/** n e^E, without Infinity * 0: 0 when n is 0, through logarithms when e^E would overflow. */
// @ts-ignore: decorator
@inline function expTimes(E: f64, n: f64): f64 {
  if (n == 0.0) return 0.0;
  return E < 700.0 ? Math.exp(E) * n : Math.exp(E + Math.log(n));
}

/**
 * phi(S, t, gamma, H, I) of the source times c S^gamma = e^{lnPre}:
 * e^{lambda t + lnPre} [N(-d) - (I/S)^kappa N(-d2)], lambda = -r + gamma b + gamma(gamma-1) vol^2/2,
 * kappa = 2b/vol^2 + 2 gamma - 1, d = (ln(S/H) + (b + (gamma - 1/2) vol^2) t) / (vol sqrt t),
 * d2 = (ln(I^2/(S H)) + (b + (gamma - 1/2) vol^2) t) / (vol sqrt t).
 */
// @ts-ignore: decorator
@inline function phiTerm(r: f64, b: f64, vol: f64, v2: f64, S: f64, t: f64, gamma: f64, H: f64, I: f64, lnPre: f64): f64 {
  const sdt = vol * Math.sqrt(t);
  const lambda = (-r + gamma * b + 0.5 * gamma * (gamma - 1.0) * v2) * t;
  const kappa = 2.0 * b / v2 + (2.0 * gamma - 1.0);
  const drift = (b + (gamma - 0.5) * v2) * t;
  const d = (Math.log(S / H) + drift) / sdt;
  const d2 = (Math.log(I * I / (S * H)) + drift) / sdt;
  const e = lambda + lnPre;
  return expTimes(e, normCdf(-d)) - expTimes(e + kappa * Math.log(I / S), normCdf(-d2));
}

/**
 * psi(S, T, gamma, H, I2, I1, t1) of the source times c S^gamma = e^{lnPre}:
 * e^{lambda T + lnPre} [M(-e1,-f1; rho) - (I2/S)^kappa M(-e2,-f2; rho) - (I1/S)^kappa M(-e3,-f3; -rho)
 * + (I1/I2)^kappa M(-e4,-f4; -rho)], rho = sqrt(t1/T), e_i and f_i as in Haug (2007) p. 106.
 */
// @ts-ignore: decorator
@inline function psiTerm(
  r: f64, b: f64, vol: f64, v2: f64, S: f64, T: f64, gamma: f64, H: f64, I2: f64, I1: f64, t1: f64, lnPre: f64,
): f64 {
  const s1 = vol * Math.sqrt(t1), sT = vol * Math.sqrt(T);
  const lambda = -r + gamma * b + 0.5 * gamma * (gamma - 1.0) * v2;
  const kappa = 2.0 * b / v2 + (2.0 * gamma - 1.0);
  const mu = b + (gamma - 0.5) * v2;
  const e1 = (Math.log(S / I1) + mu * t1) / s1;
  const e2 = (Math.log(I2 * I2 / (S * I1)) + mu * t1) / s1;
  const e3 = (Math.log(S / I1) - mu * t1) / s1;
  const e4 = (Math.log(I2 * I2 / (S * I1)) - mu * t1) / s1;
  const f1 = (Math.log(S / H) + mu * T) / sT;
  const f2 = (Math.log(I2 * I2 / (S * H)) + mu * T) / sT;
  const f3 = (Math.log(I1 * I1 / (S * H)) + mu * T) / sT;
  const f4 = (Math.log(S * I1 * I1 / (H * I2 * I2)) + mu * T) / sT;
  const e = lambda * T + lnPre;
  // rho = sqrt(t1 / T) is rho0 whatever T (t1 = (sqrt 5 - 1) T / 2): bvnRho0.
  return expTimes(e, bvnRho0(-e1, -f1, 1.0))
    - expTimes(e + kappa * Math.log(I2 / S), bvnRho0(-e2, -f2, 1.0))
    - expTimes(e + kappa * Math.log(I1 / S), bvnRho0(-e3, -f3, -1.0))
    + expTimes(e + kappa * Math.log(I1 / I2), bvnRho0(-e4, -f4, -1.0));
}

/**
 * The Bjerksund-Stensland (2002) American call for S > 0, K > 0, T > 0, vol > 0, r >= 0 and
 * q > 0 (carry b = r - q < r), its triggers clamped to [B0, Binf] (see the file comment). Not floored.
 */
// @ts-ignore: decorator
@inline function bs2002Call(S: f64, K: f64, T: f64, r: f64, q: f64, vol: f64): f64 {
  const b = r - q;
  const v2 = vol * vol;
  const t1 = 0.5 * (Math.sqrt(5.0) - 1.0) * T;
  const bv = b / v2 - 0.5;
  const beta = (0.5 - b / v2) + Math.sqrt(bv * bv + 2.0 * r / v2);
  const bInf = beta / (beta - 1.0) * K;
  const b0 = Math.max(K, r / (r - b) * K);
  const scale = K * K / ((bInf - b0) * b0);
  const h1 = -(b * t1 + 2.0 * vol * Math.sqrt(t1)) * scale;
  const h2 = -(b * T + 2.0 * vol * Math.sqrt(T)) * scale;
  const I1 = b0 + (bInf - b0) * Math.max(0.0, -Math.expm1(h1));
  const I2 = b0 + (bInf - b0) * Math.max(0.0, -Math.expm1(h2));
  if (S >= I2) return S - K;
  const lnS = Math.log(S), lnK = Math.log(K);
  // alpha_i S^beta = (I_i - K) (S / I_i)^beta: a factor (I_i - K) and a logarithm.
  const la1 = beta * Math.log(S / I1), la2 = beta * Math.log(S / I2);
  const a1 = I1 - K, a2 = I2 - K;
  return a2 * Math.exp(la2)
    - a2 * phiTerm(r, b, vol, v2, S, t1, beta, I2, I2, la2)
    + phiTerm(r, b, vol, v2, S, t1, 1.0, I2, I2, lnS)
    - phiTerm(r, b, vol, v2, S, t1, 1.0, I1, I2, lnS)
    - phiTerm(r, b, vol, v2, S, t1, 0.0, I2, I2, lnK)
    + phiTerm(r, b, vol, v2, S, t1, 0.0, I1, I2, lnK)
    + a1 * phiTerm(r, b, vol, v2, S, t1, beta, I1, I2, la1)
    - a1 * psiTerm(r, b, vol, v2, S, T, beta, I1, I2, I1, t1, la1)
    + psiTerm(r, b, vol, v2, S, T, 1.0, I1, I2, I1, t1, lnS)
    - psiTerm(r, b, vol, v2, S, T, 1.0, K, I2, I1, t1, lnS)
    - psiTerm(r, b, vol, v2, S, T, 0.0, I1, I2, I1, t1, lnK)
    + psiTerm(r, b, vol, v2, S, T, 0.0, K, I2, I1, t1, lnK);
}

/**
 * An American option without volatility (T > 0): the payoff path is known, and the value is the
 * largest of 0 and the discounted payoff w (S e^{-qt} - K e^{-rt}) (w = +1 call, -1 put) at
 * t = 0, t = T and its stationary time t* = ln(qS/(rK)) / (q - r) when 0 < t* < T.
 */
// @ts-ignore: decorator
@inline function americanZeroVol(isCall: bool, S: f64, K: f64, T: f64, r: f64, q: f64): f64 {
  const w: f64 = isCall ? 1.0 : -1.0;
  let best = Math.max(0.0, Math.max(w * (S - K), w * (S * Math.exp(-q * T) - K * Math.exp(-r * T))));
  const ratio = (q * S) / (r * K);
  if (q != r && ratio > 0.0 && isFinite<f64>(ratio)) {
    const ts = Math.log(ratio) / (q - r);
    if (ts > 0.0 && ts < T) best = Math.max(best, w * (S * Math.exp(-q * ts) - K * Math.exp(-r * ts)));
  }
  return best;
}

/** Whether (S, K, T, r, q, vol) is in the domain: all finite, S >= 0, K > 0, vol >= 0. */
// @ts-ignore: decorator
@inline function americanInDomain(S: f64, K: f64, T: f64, r: f64, q: f64, vol: f64): bool {
  return isFinite<f64>(S) && isFinite<f64>(K) && isFinite<f64>(T) && isFinite<f64>(r) && isFinite<f64>(q)
    && isFinite<f64>(vol) && S >= 0.0 && K > 0.0 && vol >= 0.0;
}

/**
 * American option value per unit of underlying, inputs in the domain, by the cases of the file
 * comment. May return a non-finite number (the kernel turns it into a row status).
 */
// @ts-ignore: decorator
@inline function americanValue(isCall: bool, S: f64, K: f64, T: f64, r: f64, q: f64, vol: f64): f64 {
  const intrinsic = isCall ? Math.max(S - K, 0.0) : Math.max(K - S, 0.0);
  if (T <= 0.0) return intrinsic;
  if (isCall ? (q <= 0.0 && r >= 0.0) : (r <= 0.0 && q >= 0.0)) return bsmPrice(isCall, S, K, T, r, q, vol);
  if (vol * Math.sqrt(T) <= 0.0) return americanZeroVol(isCall, S, K, T, r, q);
  if (isCall ? r < 0.0 : q < 0.0) return Math.max(bsmPrice(isCall, S, K, T, r, q, vol), intrinsic);
  if (S == 0.0) return isCall ? 0.0 : K;
  const raw = isCall ? bs2002Call(S, K, T, r, q, vol) : bs2002Call(K, S, T, q, r, vol);
  if (raw != raw) return raw; // NaN stays NaN (Math.max would keep it too; explicit for the reader)
  return Math.max(raw, Math.max(bsmPrice(isCall, S, K, T, r, q, vol), intrinsic));
}

/**
 * Values one contract of each of the `n` American options of the table at `table` (NCOLS columns
 * of n f64, assembly/layout.ts; reads COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL,
 * COL_CS). Writes one column of n f64 at `out`, CS times the value per unit of underlying, and
 * one i32 row status per option at `rowStatus`: PRICE_OK; PRICE_BAD_INPUT when an input is
 * outside the domain (S, K, T, r, q, vol or CS not finite, S < 0, K <= 0, vol < 0);
 * PRICE_NON_FINITE when the value is not finite. Rows that are not PRICE_OK get 0.
 * Returns STATUS_OK when every row is PRICE_OK, STATUS_ROW_ERRORS when some row is not, and
 * STATUS_BAD_ARGUMENT, writing nothing, when n < 0 or a kind is neither KIND_CALL nor KIND_PUT.
 */
export function americanInstruments(table: usize, n: i32, out: usize, rowStatus: usize): i32 {
  if (n < 0) return STATUS_BAD_ARGUMENT;
  const kinds = col(table, COL_KIND, n);
  for (let i = 0; i < n; i++) {
    const k = load<f64>(kinds + (<usize>i << 3));
    if (!(k == <f64>KIND_CALL || k == <f64>KIND_PUT)) return STATUS_BAD_ARGUMENT;
  }
  const pS = col(table, COL_S, n);
  const pK = col(table, COL_K, n);
  const pT = col(table, COL_T, n);
  const pR = col(table, COL_R, n);
  const pQ = col(table, COL_Q, n);
  const pVol = col(table, COL_VOL, n);
  const pCs = col(table, COL_CS, n);
  let status = STATUS_OK;
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 3;
    const isCall = <i32>load<f64>(kinds + at) == KIND_CALL;
    const S = load<f64>(pS + at);
    const K = load<f64>(pK + at);
    const T = load<f64>(pT + at);
    const r = load<f64>(pR + at);
    const q = load<f64>(pQ + at);
    const vol = load<f64>(pVol + at);
    const cs = load<f64>(pCs + at);
    let row = PRICE_OK;
    let v: f64 = 0.0;
    if (!(americanInDomain(S, K, T, r, q, vol) && isFinite<f64>(cs))) {
      row = PRICE_BAD_INPUT;
    } else {
      v = cs * americanValue(isCall, S, K, T, r, q, vol);
      if (!isFinite<f64>(v)) row = PRICE_NON_FINITE;
    }
    if (row != PRICE_OK) {
      v = 0.0;
      status = STATUS_ROW_ERRORS;
    }
    store<f64>(out + at, v);
    store<i32>(rowStatus + (<usize>i << 2), row);
  }
  return status;
}

/**
 * The American price of one option per unit of underlying (for tests and benchmarks): the
 * kernel's value with CS = 1, bit for bit; NaN for inputs outside the domain.
 */
export function americanPrice(isCall: bool, S: f64, K: f64, T: f64, r: f64, q: f64, vol: f64): f64 {
  if (!americanInDomain(S, K, T, r, q, vol)) return NaN;
  return americanValue(isCall, S, K, T, r, q, vol);
}

/**
 * americanValue, not inlined: the one copy the cube and valuation kernels of
 * assembly/american-cube.ts call (inlining the approximation at every call site only grows the module).
 */
export function americanValueOf(isCall: bool, S: f64, K: f64, T: f64, r: f64, q: f64, vol: f64): f64 {
  return americanValue(isCall, S, K, T, r, q, vol);
}
