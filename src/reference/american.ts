/**
 * Plain-TypeScript twin of assembly/american.ts: the Bjerksund-Stensland (2002) approximation of
 * American calls and puts on an asset with a continuous yield q, and the bivariate normal
 * distribution function it needs. Written for reading, not for speed; the tests compare the kernel
 * against it. Uses the independent normal functions of ./normal.ts and ./valuation.ts's BSM.
 * The formulas, their source and the choices made where the source is silent are in
 * docs/pricing.md and in the comments of assembly/american.ts.
 */
import { normCdfRef as N } from './normal.js';
import { bsmPriceRef } from './valuation.js';

// ---------------------------------------------------------------------------------------------
// Bivariate normal distribution M(a, b; rho) = P(X <= a, Y <= b), corr(X, Y) = rho, for
// |rho| < 0.925: Drezner and Wesolowsky (1990) as modified by Genz (2004), the branch for
// |rho| < 0.925 with 20-point Gauss-Legendre quadrature of the integral over asin(rho).
// ---------------------------------------------------------------------------------------------

/** 10 of the 20 Gauss-Legendre nodes on [-1, 1] (the others are their negatives) and weights. */
const GL_X = [
  0.9931285991850949, 0.9639719272779138, 0.9122344282513259, 0.8391169718222188, 0.7463319064601508,
  0.6360536807265150, 0.5108670019508271, 0.3737060887154196, 0.2277858511416451, 0.07652652113349733,
];
const GL_W = [
  0.01761400713915212, 0.04060142980038694, 0.06267204833410906, 0.08327674157670475, 0.1019301198172404,
  0.1181945319615184, 0.1316886384491766, 0.1420961093183821, 0.1491729864726037, 0.1527533871307259,
];

/**
 * M(a, b; rho) for |rho| < 0.925 (NaN outside; M(+-Infinity, ...) by its limits):
 * M = N(a) N(b) + (1/2pi) int_0^{asin rho} exp(-(a^2 + b^2 - 2ab sin t) / (2 cos^2 t)) dt.
 */
export function bivariateNormalRef(a: number, b: number, rho: number): number {
  if (Number.isNaN(a) || Number.isNaN(b) || !(Math.abs(rho) < 0.925)) return NaN;
  if (a === -Infinity || b === -Infinity) return 0;
  if (a === Infinity) return N(b);
  if (b === Infinity) return N(a);
  // Genz's upper form P(X > h, Y > k) with h = -a, k = -b equals M(a, b; rho).
  const h = -a, k = -b, hk = h * k, hs = (h * h + k * k) / 2;
  const asr = Math.asin(rho) / 2;
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    for (const x of [1 - GL_X[i]!, 1 + GL_X[i]!]) {
      const sn = Math.sin(asr * x);
      sum += GL_W[i]! * Math.exp((sn * hk - hs) / (1 - sn * sn));
    }
  }
  const m = sum * asr / (2 * Math.PI) + N(-h) * N(-k);
  return Math.max(0, Math.min(1, m));
}

// ---------------------------------------------------------------------------------------------
// Bjerksund-Stensland (2002), Haug (2007) section 3.3: the call; the put by the put-call
// transformation P(S, K, T, r, q, vol) = C(K, S, T, q, r, vol).
// ---------------------------------------------------------------------------------------------

/** n * exp(E) without overflowing to Infinity * 0: 0 when n is 0, else via logarithms past e^700. */
function expTimes(E: number, n: number): number {
  if (n === 0) return 0;
  return E < 700 ? Math.exp(E) * n : Math.exp(E + Math.log(n));
}

/** The carry-dependent constants of one approximation. */
interface Params { r: number; b: number; vol: number; v2: number }

/**
 * phi(S, t, gamma, H, I) of the source, times pre = c S^gamma given as its logarithm lnPre:
 * e^{lambda t + lnPre} [N(-d) - (I/S)^kappa N(-d2)].
 */
function phiTerm(p: Params, S: number, t: number, gamma: number, H: number, I: number, lnPre: number): number {
  const { r, b, vol, v2 } = p;
  const sdt = vol * Math.sqrt(t);
  const lambda = (-r + gamma * b + 0.5 * gamma * (gamma - 1) * v2) * t;
  const kappa = 2 * b / v2 + (2 * gamma - 1);
  const drift = (b + (gamma - 0.5) * v2) * t;
  const d = (Math.log(S / H) + drift) / sdt;
  const d2 = (Math.log(I * I / (S * H)) + drift) / sdt;
  const e = lambda + lnPre;
  return expTimes(e, N(-d)) - expTimes(e + kappa * Math.log(I / S), N(-d2));
}

/** psi(S, T, gamma, H, I2, I1, t1) of the source, times e^{lnPre} = c S^gamma. */
function psiTerm(
  p: Params, S: number, T: number, gamma: number, H: number, I2: number, I1: number, t1: number, lnPre: number,
): number {
  const { r, b, vol, v2 } = p;
  const s1 = vol * Math.sqrt(t1), sT = vol * Math.sqrt(T);
  const rho = Math.sqrt(t1 / T);
  const lambda = -r + gamma * b + 0.5 * gamma * (gamma - 1) * v2;
  const kappa = 2 * b / v2 + (2 * gamma - 1);
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
  return expTimes(e, bivariateNormalRef(-e1, -f1, rho))
    - expTimes(e + kappa * Math.log(I2 / S), bivariateNormalRef(-e2, -f2, rho))
    - expTimes(e + kappa * Math.log(I1 / S), bivariateNormalRef(-e3, -f3, -rho))
    + expTimes(e + kappa * Math.log(I1 / I2), bivariateNormalRef(-e4, -f4, -rho));
}

/**
 * The Bjerksund-Stensland (2002) American call for S > 0, K > 0, T > 0, vol > 0, r >= 0 and a
 * carry b = r - q < r (q > 0; with q <= 0 the American call is the European one, not called).
 */
export function bs2002CallRef(S: number, K: number, T: number, r: number, q: number, vol: number): number {
  const b = r - q;
  const v2 = vol * vol;
  const p: Params = { r, b, vol, v2 };
  const t1 = 0.5 * (Math.sqrt(5) - 1) * T;
  const beta = (0.5 - b / v2) + Math.sqrt((b / v2 - 0.5) ** 2 + 2 * r / v2);
  const bInf = beta / (beta - 1) * K;
  const b0 = Math.max(K, r / (r - b) * K);
  const scale = K * K / ((bInf - b0) * b0);
  const h1 = -(b * t1 + 2 * vol * Math.sqrt(t1)) * scale;
  const h2 = -(b * T + 2 * vol * Math.sqrt(T)) * scale;
  const I1 = b0 + (bInf - b0) * Math.max(0, -Math.expm1(h1));
  const I2 = b0 + (bInf - b0) * Math.max(0, -Math.expm1(h2));
  if (S >= I2) return S - K;
  const lnS = Math.log(S), lnK = Math.log(K);
  // alpha_i S^beta = (I_i - K) (S / I_i)^beta, kept as a factor (I_i - K) and a logarithm.
  const la1 = beta * Math.log(S / I1), la2 = beta * Math.log(S / I2);
  const a1 = I1 - K, a2 = I2 - K;
  return a2 * Math.exp(la2)
    - a2 * phiTerm(p, S, t1, beta, I2, I2, la2)
    + phiTerm(p, S, t1, 1, I2, I2, lnS)
    - phiTerm(p, S, t1, 1, I1, I2, lnS)
    - phiTerm(p, S, t1, 0, I2, I2, lnK)
    + phiTerm(p, S, t1, 0, I1, I2, lnK)
    + a1 * phiTerm(p, S, t1, beta, I1, I2, la1)
    - a1 * psiTerm(p, S, T, beta, I1, I2, I1, t1, la1)
    + psiTerm(p, S, T, 1, I1, I2, I1, t1, lnS)
    - psiTerm(p, S, T, 1, K, I2, I1, t1, lnS)
    - psiTerm(p, S, T, 0, I1, I2, I1, t1, lnK)
    + psiTerm(p, S, T, 0, K, I2, I1, t1, lnK);
}

/** Whether (S, K, T, r, q, vol) is in the kernel's domain: all finite, S >= 0, K > 0, vol >= 0. */
export function americanInDomain(S: number, K: number, T: number, r: number, q: number, vol: number): boolean {
  return [S, K, T, r, q, vol].every(Number.isFinite) && S >= 0 && K > 0 && vol >= 0;
}

/**
 * The American option with zero volatility: the best of exercising at t = 0, at T and at the
 * stationary time of the discounted payoff w (S e^{-qt} - K e^{-rt}), floored at 0.
 */
export function americanZeroVolRef(isCall: boolean, S: number, K: number, T: number, r: number, q: number): number {
  const w = isCall ? 1 : -1;
  const h = (t: number): number => w * (S * Math.exp(-q * t) - K * Math.exp(-r * t));
  let best = Math.max(0, h(0), h(T));
  const ratio = (q * S) / (r * K);
  if (q !== r && ratio > 0 && Number.isFinite(ratio)) {
    const ts = Math.log(ratio) / (q - r);
    if (ts > 0 && ts < T) best = Math.max(best, h(ts));
  }
  return best;
}

/**
 * American option value per unit of underlying (inputs in the domain), with the kernel's order of
 * cases: T <= 0 intrinsic; no early exercise premium (call q <= 0 and r >= 0, put r <= 0 and
 * q >= 0) the European BSM price; vol = 0 americanZeroVolRef; outside the approximation's domain
 * (call r < 0, put q < 0) max(European, intrinsic); S = 0 (call 0, put K); else
 * Bjerksund-Stensland (2002), floored at the European value and the intrinsic value.
 */
export function americanPriceRef(isCall: boolean, S: number, K: number, T: number, r: number, q: number, vol: number): number {
  const intrinsic = isCall ? Math.max(S - K, 0) : Math.max(K - S, 0);
  if (T <= 0) return intrinsic;
  if (isCall ? q <= 0 && r >= 0 : r <= 0 && q >= 0) return bsmPriceRef(isCall, S, K, T, r, q, vol);
  if (vol * Math.sqrt(T) <= 0) return americanZeroVolRef(isCall, S, K, T, r, q);
  if (isCall ? r < 0 : q < 0) return Math.max(bsmPriceRef(isCall, S, K, T, r, q, vol), intrinsic);
  if (S === 0) return isCall ? 0 : K;
  const raw = isCall ? bs2002CallRef(S, K, T, r, q, vol) : bs2002CallRef(K, S, T, q, r, vol);
  return americanFloor(raw, isCall, S, K, T, r, q, vol);
}

/** The approximation floored at the European value and the intrinsic value (both lower bounds). */
export function americanFloor(raw: number, isCall: boolean, S: number, K: number, T: number, r: number, q: number, vol: number): number {
  const intrinsic = isCall ? Math.max(S - K, 0) : Math.max(K - S, 0);
  return Math.max(raw, bsmPriceRef(isCall, S, K, T, r, q, vol), intrinsic);
}
