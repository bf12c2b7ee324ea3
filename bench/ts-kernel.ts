/**
 * The revaluation kernel written in plain TypeScript, line for line the algorithm of the scalar
 * WebAssembly kernel (assembly/revalue.ts): Cody's normal CDF, the generalised BSM price with the
 * scenario-invariant factors of a row (discount factor, carry factor, sqrt T) computed once per
 * instrument, the same loops over the same flat layout. It is the fair plain-TypeScript baseline
 * of the kernel benchmarks: the same work, compiled by V8's optimising JIT instead of to
 * WebAssembly. (src/reference/cube.ts, the test twin, is written for obviousness, not speed: it
 * recomputes every factor and its normal CDF sums a continued fraction; the suite reports it too.)
 */
import {
  COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_F, COL_U,
  KIND_SPOT, KIND_LINEAR, KIND_CALL,
} from '../src/layout.js';

const INV_SQRT_2PI = 0.398942280401432677939946059934;
const THRESHOLD = 0.66291;
const SQRT_32 = 5.656854249492380195206754896838;
const SATURATE = 40.0;

function expHalfSquare(y: number): number {
  const ys = Math.floor(y * 16.0) / 16.0;
  const del = (y - ys) * (y + ys);
  return Math.exp(-ys * ys * 0.5) * Math.exp(-del * 0.5);
}

/** Cody's normal CDF, as assembly/normal.ts. */
export function normCdfTs(x: number): number {
  if (x !== x) return x;
  const y = Math.abs(x);
  let lower: number;
  if (y <= THRESHOLD) {
    const z = y * y;
    const num = (((0.065682337918207449113 * z + 2.2352520354606839287) * z
      + 161.02823106855587881) * z + 1067.6894854603709582) * z + 18154.981253343561249;
    const den = (((z + 47.20258190468824187) * z + 976.09855173777669322) * z
      + 10260.932208618978205) * z + 45507.789335026729956;
    return 0.5 + x * (num / den);
  } else if (y <= SQRT_32) {
    const num = (((((((1.0765576773720192317e-8 * y + 0.39894151208813466764) * y
      + 8.8831497943883759412) * y + 93.506656132177855979) * y + 597.27027639480026226) * y
      + 2494.5375852903726711) * y + 6848.1904505362823326) * y + 11602.651437647350124) * y
      + 9842.7148383839780218;
    const den = (((((((y + 22.266688044328115691) * y + 235.38790178262499861) * y
      + 1519.377599407554805) * y + 6485.558298266760755) * y + 18615.571640885098091) * y
      + 34900.952721145977266) * y + 38912.003286093271411) * y + 19685.429676859990727;
    lower = expHalfSquare(y) * (num / den);
  } else if (y < SATURATE) {
    const z = 1.0 / (y * y);
    const num = ((((0.02307344176494017303 * z + 0.21589853405795699) * z
      + 0.1274011611602473639) * z + 0.022235277870649807) * z + 0.001421619193227893466) * z
      + 2.9112874951168792e-5;
    const den = ((((z + 1.28426009614491121) * z + 0.468238212480865118) * z
      + 0.0659881378689285515) * z + 0.00378239633202758244) * z + 7.29751555083966205e-5;
    lower = expHalfSquare(y) * ((INV_SQRT_2PI - z * (num / den)) / y);
  } else {
    lower = 0.0;
  }
  return x > 0.0 ? 1.0 - lower : lower;
}

/** BSM price given the row's discount factor df, carry factor g = e^{(r-q)T} and sqrt T. */
function bsmPriceRow(isCall: boolean, S: number, K: number, T: number, vol: number, df: number, g: number, sqrtT: number): number {
  const F = S * g;
  const sd = vol * sqrtT;
  if (sd <= 0.0) return df * (isCall ? Math.max(F - K, 0.0) : Math.max(K - F, 0.0));
  const d1 = (Math.log(F / K) + 0.5 * vol * vol * T) / sd;
  const d2 = d1 - sd;
  return isCall
    ? df * (F * normCdfTs(d1) - K * normCdfTs(d2))
    : df * (K * normCdfTs(-d2) - F * normCdfTs(-d1));
}

export function bsmPriceTs(isCall: boolean, S: number, K: number, T: number, r: number, q: number, vol: number): number {
  if (T <= 0.0) return isCall ? Math.max(S - K, 0.0) : Math.max(K - S, 0.0);
  return bsmPriceRow(isCall, S, K, T, vol, Math.exp(-r * T), Math.exp((r - q) * T), Math.sqrt(T));
}

/**
 * Same contract as the `revalue` kernel (rows first..first+count-1 of an n-row table; nU rows of
 * `stride` spot multipliers and vol shocks; one vol weight per instrument; padding set to 0),
 * writing into `cube` (n x stride). Returns 0, or 1 for the kernel's bad arguments.
 */
export function revalueTs(
  table: Float64Array, n: number, first: number, count: number, spotMult: Float64Array, nU: number,
  volShock: Float64Array, volWeight: Float64Array, horizonYears: number, nScen: number, stride: number, cube: Float64Array,
): number {
  if (n < 0 || first < 0 || count < 0 || first + count > n || nU < 0 || nScen < 0 || stride < nScen) return 1;
  for (let i = first; i < first + count; i++) {
    const kind = table[COL_KIND * n + i];
    const S = table[COL_S * n + i];
    const cs = table[COL_CS * n + i];
    const u = table[COL_U * n + i];
    if (u < 0 || u >= nU) return 1;
    const m = u * stride;
    const row = i * stride;
    if (kind === KIND_SPOT || kind === KIND_LINEAR) {
      const notional = kind === KIND_SPOT ? cs * S : cs * table[COL_F * n + i];
      for (let s = 0; s < nScen; s++) cube[row + s] = notional * (spotMult[m + s] - 1.0);
    } else {
      const isCall = kind === KIND_CALL;
      const K = table[COL_K * n + i];
      const T = table[COL_T * n + i];
      const r = table[COL_R * n + i];
      const q = table[COL_Q * n + i];
      const vol = table[COL_VOL * n + i];
      const w = volWeight[i];
      const v0 = bsmPriceTs(isCall, S, K, T, r, q, vol);
      const T1 = T - horizonYears;
      if (T1 <= 0.0) {
        for (let s = 0; s < nScen; s++) {
          const S1 = S * spotMult[m + s];
          cube[row + s] = cs * ((isCall ? Math.max(S1 - K, 0.0) : Math.max(K - S1, 0.0)) - v0);
        }
      } else {
        const df = Math.exp(-r * T1);
        const g = Math.exp((r - q) * T1);
        const sqrtT = Math.sqrt(T1);
        for (let s = 0; s < nScen; s++) {
          const vol1 = vol * (1.0 + volShock[m + s] * w);
          cube[row + s] = cs * (bsmPriceRow(isCall, S * spotMult[m + s], K, T1, vol1, df, g, sqrtT) - v0);
        }
      }
    }
    for (let s = nScen; s < stride; s++) cube[row + s] = 0.0;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The algorithm of the SIMD kernel (assembly/revalue-simd.ts, assembly/bsm.ts), in plain scalar
// TypeScript: the same arithmetic savings, without the two lanes. Per cell, one exponential serves
// both normal CDFs (exp(-d2^2/2) = exp(-d1^2/2) F/K), and ln(F/K) = ln(S g / K) + ln(m) with ln(m)
// computed once per run of consecutive options on the same underlying. Comparing the SIMD kernel
// with this port measures what WebAssembly and SIMD add; comparing it with revalueTs above shows
// what the algorithm adds.
// ---------------------------------------------------------------------------------------------

/** Dekker's splitter 2^27 + 1: c - (c - y) keeps the 26 leading bits of y. */
const SPLITTER = 134217729;
const IDENTITY_LIMIT = 37.0;

/** exp(-y^2/2) for y >= 0 with y^2 split exactly: exp(-ys^2/2) exp(lo), exp(lo) by its series (|lo| < 3e-5). */
function expHalfSquareSplit(y: number): number {
  if (!(y < SATURATE)) return y === y ? 0 : y;
  const c = SPLITTER * y;
  const ys = c - (c - y);
  const lo = -0.5 * ((y - ys) * (y + ys));
  return Math.exp(-0.5 * ys * ys) * (1 + lo * (1 + lo * 0.5 * (1 + lo / 3)));
}

/** Cody's N(x) given e = exp(-x^2/2) (read only when |x| > THRESHOLD), one division. */
function normCdfGivenExp(x: number, e: number): number {
  const y = Math.abs(x);
  if (y <= THRESHOLD) {
    const z = y * y;
    const num = (((0.065682337918207449113 * z + 2.2352520354606839287) * z
      + 161.02823106855587881) * z + 1067.6894854603709582) * z + 18154.981253343561249;
    const den = (((z + 47.20258190468824187) * z + 976.09855173777669322) * z
      + 10260.932208618978205) * z + 45507.789335026729956;
    return 0.5 + x * (num / den);
  }
  let q: number;
  if (y <= SQRT_32) {
    const num = (((((((1.0765576773720192317e-8 * y + 0.39894151208813466764) * y
      + 8.8831497943883759412) * y + 93.506656132177855979) * y + 597.27027639480026226) * y
      + 2494.5375852903726711) * y + 6848.1904505362823326) * y + 11602.651437647350124) * y
      + 9842.7148383839780218;
    const den = (((((((y + 22.266688044328115691) * y + 235.38790178262499861) * y
      + 1519.377599407554805) * y + 6485.558298266760755) * y + 18615.571640885098091) * y
      + 34900.952721145977266) * y + 38912.003286093271411) * y + 19685.429676859990727;
    q = num / den;
  } else {
    const z = 1.0 / (y * y);
    const num = ((((0.02307344176494017303 * z + 0.21589853405795699) * z
      + 0.1274011611602473639) * z + 0.022235277870649807) * z + 0.001421619193227893466) * z
      + 2.9112874951168792e-5;
    const d = ((((z + 1.28426009614491121) * z + 0.468238212480865118) * z
      + 0.0659881378689285515) * z + 0.00378239633202758244) * z + 7.29751555083966205e-5;
    q = (INV_SQRT_2PI * d - z * num) / (d * y);
  }
  const lower = e * q;
  return x > 0.0 ? 1.0 - lower : lower;
}

/** The price of the SIMD kernel's core from F, K, F/K, ln(F/K), T, vol, sd, df. */
function bsmPriceCore(isCall: boolean, F: number, K: number, fk: number, lnfk: number, T: number, vol: number, sd: number, df: number): number {
  if (sd <= 0.0) return df * (isCall ? Math.max(F - K, 0.0) : Math.max(K - F, 0.0));
  const d1 = (lnfk + 0.5 * vol * vol * T) / sd;
  const d2 = d1 - sd;
  let e1 = 0, e2 = 0;
  const y1 = Math.abs(d1);
  if (y1 > THRESHOLD || Math.abs(d2) > THRESHOLD) {
    e1 = expHalfSquareSplit(y1);
    e2 = y1 < IDENTITY_LIMIT ? e1 * fk : expHalfSquareSplit(Math.abs(d2));
  }
  const sgn = isCall ? 1 : -1;
  return df * (sgn * (F * normCdfGivenExp(sgn * d1, e1) - K * normCdfGivenExp(sgn * d2, e2)));
}

/**
 * The SIMD kernel's algorithm in scalar TypeScript, same contract as revalueTs. `scratch` holds
 * nScen values (ln m of the current run of options on one underlying).
 */
export function revalueTsShared(
  table: Float64Array, n: number, first: number, count: number, spotMult: Float64Array, nU: number,
  volShock: Float64Array, volWeight: Float64Array, horizonYears: number, nScen: number, stride: number, cube: Float64Array,
  scratch: Float64Array,
): number {
  if (n < 0 || first < 0 || count < 0 || first + count > n || nU < 0 || nScen < 0 || stride < nScen) return 1;
  let runU = -1;
  for (let i = first; i < first + count; i++) {
    const kind = table[COL_KIND * n + i];
    const S = table[COL_S * n + i];
    const cs = table[COL_CS * n + i];
    const u = table[COL_U * n + i];
    if (u < 0 || u >= nU) return 1;
    const m = u * stride;
    const row = i * stride;
    const T = table[COL_T * n + i];
    const T1 = T - horizonYears;
    if (kind === KIND_SPOT || kind === KIND_LINEAR) {
      const notional = kind === KIND_SPOT ? cs * S : cs * table[COL_F * n + i];
      for (let s = 0; s < nScen; s++) cube[row + s] = notional * (spotMult[m + s] - 1.0);
    } else {
      const isCall = kind === KIND_CALL;
      const K = table[COL_K * n + i];
      const r = table[COL_R * n + i];
      const q = table[COL_Q * n + i];
      const vol = table[COL_VOL * n + i];
      const w = volWeight[i];
      const v0 = bsmPriceTs(isCall, S, K, T, r, q, vol);
      if (T1 <= 0.0) {
        for (let s = 0; s < nScen; s++) {
          const S1 = S * spotMult[m + s];
          cube[row + s] = cs * ((isCall ? Math.max(S1 - K, 0.0) : Math.max(K - S1, 0.0)) - v0);
        }
      } else {
        if (u !== runU) {
          for (let s = 0; s < nScen; s++) scratch[s] = Math.log(spotMult[m + s]);
          runU = u;
        }
        const df = Math.exp(-r * T1);
        const g = Math.exp((r - q) * T1);
        const sqrtT = Math.sqrt(T1);
        const sgk = (S * g) / K;
        const lnSgk = Math.log(sgk);
        for (let s = 0; s < nScen; s++) {
          const mm = spotMult[m + s];
          const vol1 = vol * (1.0 + volShock[m + s] * w);
          cube[row + s] = cs * (bsmPriceCore(isCall, S * mm * g, K, sgk * mm, lnSgk + scratch[s], T1, vol1, vol1 * sqrtT, df) - v0);
        }
      }
    }
  }
  for (let i = first; i < first + count; i++) for (let s = nScen; s < stride; s++) cube[i * stride + s] = 0.0;
  return 0;
}
