/**
 * Implied-volatility surfaces: validation and lookup (docs/surfaces.md). The WebAssembly kernel
 * assembly/surface.ts evaluates the same lookup, operation for operation, and agrees with
 * `surfaceVol` bit for bit (test/surface.test.ts).
 *
 * JSON form (on an underlying, once the market schema takes it):
 *   { "axis": "moneyness" | "strike", "expiries": [ISO date-times], "points": [x_0, ...],
 *     "vols": [[vol(T_0, x_0), vol(T_0, x_1), ...], ...] }
 * one row of vols per expiry, one column per point; moneyness is m = K / F_T, F_T the
 * underlying's forward to the option's expiry.
 *
 * Resolved form: `T[i]` the year fraction of expiry i, ACT/365F from asOf as the market loader
 * computes it ((expiry ms - asOf ms) / (365 * 86400 * 1000)); `lnPoints[j] = ln(x_j)`, computed
 * with `surfaceLn` below; `vols[i * nPoints + j]` row-major.
 *
 * Lookup `surfaceVol(s, K, T, F)`, for an option of strike K, year fraction T, forward F = F_T:
 * 1. Coordinate: y = ln(K) on a strike axis, y = ln(K / F) on a moneyness axis (the quotient
 *    rounded once, then its log). F is not read on a strike axis.
 * 2. Along the points, in row i: with lx_j = lnPoints[j],
 *    - y <= lx_0: v_i = vols[i][0]; y >= lx_{n-1}: v_i = vols[i][n-1] (flat beyond the ends);
 *    - otherwise j is the index with lx_j <= y < lx_{j+1}; a = (y - lx_j) / (lx_{j+1} - lx_j) and
 *      v_i = vols[i][j] + (vols[i][j+1] - vols[i][j]) * a (exactly vols[i][j] when y == lx_j).
 *    One point: v_i = vols[i][0] at every y.
 * 3. Along time, at the same coordinate y:
 *    - T <= T_0 (T <= 0 included): v_0(y); T >= T_last: v_last(y) (the nearest expiry's vol at the
 *      same coordinate, not its total variance);
 *    - T == T_i exactly: v_i(y);
 *    - T_i < T < T_{i+1}: w_i = v_i^2 T_i, w_{i+1} = v_{i+1}^2 T_{i+1},
 *      w = w_i + (w_{i+1} - w_i) * ((T - T_i) / (T_{i+1} - T_i)), vol = sqrt(w / T)
 *      (v^2 computed as v * v).
 *    One expiry: v_0(y) at every T.
 * 4. K, T or F (on a moneyness axis) not finite, K <= 0 or F <= 0 (moneyness): NaN, never a vol;
 *    callers treat NaN as an input error.
 *
 * Validation (`validateSurface`) rejects, each with an InputError naming the underlying, the
 * expiries and the point concerned: an axis other than "moneyness"/"strike"; 1..MAX_EXPIRIES
 * expiries, strictly increasing and after asOf; 1..MAX_POINTS points, finite, > 0, strictly
 * increasing (and with strictly increasing logs, so no interval has zero width); one row per
 * expiry, each the length of points; vols finite, > 0 and <= MAX_VOL; total variance
 * w = vol^2 T non-decreasing in expiry at every point (no calendar arbitrage). Checking the nodes
 * suffices: v_{i+1}(y) and v_i(y) are the same convex combination of their rows, so
 * v_{i+1,j} >= v_{i,j} sqrt(T_i / T_{i+1}) at both ends of an interval holds in between too, and
 * the time interpolation is linear in w.
 */
import { InputError, show } from '../errors.js';
import { SURFACE_AXIS_MONEYNESS, SURFACE_AXIS_STRIKE, YEAR_SECONDS } from '../layout.js';
import { fieldPath, indexPath, isObject, keysOf, parseUtc } from '../market/validate.js';

export const AXIS_MONEYNESS = SURFACE_AXIS_MONEYNESS;
export const AXIS_STRIKE = SURFACE_AXIS_STRIKE;
export type SurfaceAxis = 'moneyness' | 'strike';

/** Size and value bounds of a surface. */
export const MAX_EXPIRIES = 64;
export const MAX_POINTS = 256;
/** Largest vol accepted (10 = 1000% a year): keeps vol^2 T far from overflow. */
export const MAX_VOL = 10;

const MS_PER_YEAR = YEAR_SECONDS * 1000;
const SURFACE_KEYS = ['axis', 'expiries', 'points', 'vols'] as const;

export interface ResolvedSurface {
  readonly underlying: string;
  readonly axis: SurfaceAxis;
  /** AXIS_MONEYNESS or AXIS_STRIKE, the kernel's code. */
  readonly axisCode: number;
  /** The expiries as given (for messages). */
  readonly expiries: readonly string[];
  /** Year fractions of the expiries, ACT/365F from asOf, strictly increasing and > 0. */
  readonly T: Float64Array;
  /** The points x_j (moneyness K/F or strike), strictly increasing and > 0. */
  readonly points: Float64Array;
  /** ln(x_j) by surfaceLn, strictly increasing. */
  readonly lnPoints: Float64Array;
  /** vols[i * nPoints + j]: expiry i, point j. */
  readonly vols: Float64Array;
  readonly nExpiries: number;
  readonly nPoints: number;
}

// ---------------------------------------------------------------------------------------------
// Logarithm

const words = new Float64Array(1);
const halves = new Uint32Array(words.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

const LN2_HI = 6.93147180369123816490e-01; // 0x3fe62e42fee00000
const LN2_LO = 1.90821492927058770002e-10; // 0x3dea39ef35793c76
const TWO54 = 1.80143985094819840000e+16;
const LG1 = 6.666666666666735130e-01;
const LG2 = 3.999999999940941908e-01;
const LG3 = 2.857142874366239149e-01;
const LG4 = 2.222219843214978396e-01;
const LG5 = 1.818357216161805012e-01;
const LG6 = 1.531383769920937332e-01;
const LG7 = 1.479819860511658591e-01;

/**
 * Natural logarithm: fdlibm's e_log.c (Sun Microsystems, 1993), the algorithm of V8's Math.log,
 * in plain double arithmetic, written out again operation for operation in assembly/surface.ts
 * so that both sides of the lookup take the same logarithm whatever the platform's libm.
 * x = 2^k (1 + f), sqrt(2)/2 < 1 + f < sqrt(2); s = f / (2 + f); log(1 + f) = f - s (f - R(s^2))
 * with R a degree-14 minimax polynomial (error < 2^-58.45); log x = k ln2_hi + (... + k ln2_lo).
 * Error < 1 ulp. log(0) = -Infinity, log(x < 0) = NaN, log(+Infinity) = +Infinity, NaN -> NaN.
 */
export function surfaceLn(x: number): number {
  words[0] = x;
  let hx = halves[HI] | 0;
  const lx = halves[LO];
  let k = 0;
  if (hx < 0x00100000) { // x < 2^-1022
    if (((hx & 0x7fffffff) | lx) === 0) return -Infinity;
    if (hx < 0) return NaN;
    k -= 54; x *= TWO54; // subnormal: scale up
    words[0] = x;
    hx = halves[HI] | 0;
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i0 = (hx + 0x95f64) & 0x100000;
  halves[HI] = hx | (i0 ^ 0x3ff00000); // normalise x or x/2
  x = words[0];
  k += i0 >> 20;
  const f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) { // -2^-20 <= f < 2^-20
    if (f === 0) {
      if (k === 0) return 0;
      const dk = k;
      return dk * LN2_HI + dk * LN2_LO;
    }
    const R = f * f * (0.5 - 0.33333333333333333 * f);
    if (k === 0) return f - R;
    const dk = k;
    return dk * LN2_HI - ((R - dk * LN2_LO) - f);
  }
  const s = f / (2.0 + f);
  const dk = k;
  const z = s * s;
  let i = hx - 0x6147a;
  const w = z * z;
  const j = 0x6b851 - hx;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  i |= j;
  const R = t2 + t1;
  if (i > 0) {
    const hfsq = 0.5 * f * f;
    if (k === 0) return f - (hfsq - s * (hfsq + R));
    return dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f);
  }
  if (k === 0) return f - s * (f - R);
  return dk * LN2_HI - ((s * (f - R) - dk * LN2_LO) - f);
}

// ---------------------------------------------------------------------------------------------
// Validation

function surfaceFail(source: string, path: string, underlying: string, detail: string): never {
  const where = path === '' ? source : `${source}: ${path}`;
  throw new InputError(`${where}: surface of ${show(underlying)}: ${detail}`, {
    file: source, path: path === '' ? undefined : path,
  });
}

/**
 * Validates a surface's JSON value and resolves it. `asOf` is the market's asOf, an ISO-8601 UTC
 * date-time or milliseconds since the epoch; `source` and `path` (the JSON path of the surface,
 * e.g. `underlyings.BTC.surface`) name it in messages. Throws an InputError, one line naming the
 * underlying and the expiries and point concerned, at the first violation.
 */
export function validateSurface(
  json: unknown, underlying: string, asOf: string | number, source = 'market', path = 'surface',
): ResolvedSurface {
  const bad = (p: string, detail: string): never => surfaceFail(source, p, underlying, detail);
  const asOfMs = typeof asOf === 'number' ? asOf : parseUtc(asOf);
  if (!Number.isFinite(asOfMs)) bad(path, `asOf ${show(asOf)} is not a UTC date-time`);
  if (!isObject(json)) bad(path, `expected a JSON object, got ${show(json)}`);
  const o = json as Record<string, unknown>;
  for (const k of keysOf(o)) {
    if (!(SURFACE_KEYS as readonly string[]).includes(k)) {
      bad(fieldPath(path, k), `unknown field ${show(k)} (expected ${SURFACE_KEYS.join(', ')})`);
    }
  }
  for (const k of SURFACE_KEYS) if (!Object.prototype.hasOwnProperty.call(o, k)) bad(fieldPath(path, k), 'missing');

  const axis = o.axis;
  if (axis !== 'moneyness' && axis !== 'strike') {
    bad(fieldPath(path, 'axis'), `expected "moneyness" or "strike", got ${show(axis)}`);
  }

  // Expiries
  const ePath = fieldPath(path, 'expiries');
  const ex = o.expiries;
  if (!Array.isArray(ex) || ex.length < 1 || ex.length > MAX_EXPIRIES) {
    bad(ePath, `expected a list of 1 to ${MAX_EXPIRIES} expiries, got ${Array.isArray(ex) ? `${ex.length}` : show(ex)}`);
  }
  const expiries = ex as unknown[];
  const nE = expiries.length;
  const T = new Float64Array(nE);
  const ms: number[] = [];
  for (let i = 0; i < nE; i++) {
    const v = expiries[i];
    const at = indexPath(ePath, i);
    const t = typeof v === 'string' ? parseUtc(v) : NaN;
    if (Number.isNaN(t)) bad(at, `expected an ISO-8601 UTC date-time such as "2026-12-26T08:00:00Z", got ${show(v)}`);
    if (!(t > asOfMs)) bad(at, `expiry ${show(v)} is not after asOf`);
    if (i > 0 && !(t > ms[i - 1])) {
      bad(at, `expiries must be strictly increasing: ${show(v)} is not after ${show(expiries[i - 1])}`);
    }
    ms.push(t);
    T[i] = (t - asOfMs) / MS_PER_YEAR;
  }

  // Points
  const pPath = fieldPath(path, 'points');
  const px = o.points;
  if (!Array.isArray(px) || px.length < 1 || px.length > MAX_POINTS) {
    bad(pPath, `expected a list of 1 to ${MAX_POINTS} points, got ${Array.isArray(px) ? `${px.length}` : show(px)}`);
  }
  const pts = px as unknown[];
  const nP = pts.length;
  const points = new Float64Array(nP), lnPoints = new Float64Array(nP);
  for (let j = 0; j < nP; j++) {
    const v = pts[j];
    const at = indexPath(pPath, j);
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) bad(at, `expected a finite number > 0, got ${show(v)}`);
    const x = v as number;
    points[j] = x;
    lnPoints[j] = surfaceLn(x);
    if (j > 0 && !(x > points[j - 1])) bad(at, `points must be strictly increasing: ${x} is not above ${points[j - 1]}`);
    if (j > 0 && !(lnPoints[j] > lnPoints[j - 1])) {
      bad(at, `points ${points[j - 1]} and ${x} are too close: their logarithms are equal`);
    }
  }

  // Vols
  const vPath = fieldPath(path, 'vols');
  const rows = o.vols;
  if (!Array.isArray(rows) || rows.length !== nE) {
    bad(vPath, `expected one row per expiry (${nE}), got ${Array.isArray(rows) ? `${rows.length} rows` : show(rows)}`);
  }
  const vols = new Float64Array(nE * nP);
  for (let i = 0; i < nE; i++) {
    const row = (rows as unknown[])[i];
    const rPath = indexPath(vPath, i);
    if (!Array.isArray(row) || row.length !== nP) {
      bad(rPath, `row of expiry ${show(expiries[i])}: expected ${nP} vols (one per point), got ${Array.isArray(row) ? row.length : show(row)}`);
    }
    for (let j = 0; j < nP; j++) {
      const v = (row as unknown[])[j];
      if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0) || v > MAX_VOL) {
        bad(indexPath(rPath, j), `vol at expiry ${show(expiries[i])}, point ${points[j]}: expected a finite number > 0 and <= ${MAX_VOL}, got ${show(v)}`);
      }
      vols[i * nP + j] = v as number;
    }
  }

  // Calendar arbitrage: w = vol^2 T non-decreasing in expiry at every point.
  for (let i = 1; i < nE; i++) {
    for (let j = 0; j < nP; j++) {
      const a = vols[(i - 1) * nP + j], b = vols[i * nP + j];
      const wa = a * a * T[i - 1], wb = b * b * T[i];
      if (wb < wa) {
        bad(indexPath(indexPath(vPath, i), j),
          `calendar arbitrage at point ${points[j]}: total variance vol^2 T falls from ${wa} at expiry ${show(expiries[i - 1])} (vol ${a}) to ${wb} at expiry ${show(expiries[i])} (vol ${b})`);
      }
    }
  }

  return {
    underlying, axis: axis as SurfaceAxis, axisCode: axis === 'moneyness' ? AXIS_MONEYNESS : AXIS_STRIKE,
    expiries: expiries as string[], T, points, lnPoints, vols, nExpiries: nE, nPoints: nP,
  };
}

// ---------------------------------------------------------------------------------------------
// Lookup

/** Row i's vol at coordinate y (step 2 of the module comment). */
function rowVol(lx: Float64Array, vols: Float64Array, base: number, nP: number, y: number): number {
  if (y <= lx[0]) return vols[base];
  const last = nP - 1;
  if (y >= lx[last]) return vols[base + last];
  // lx[lo] <= y < lx[hi], hi = lo + 1 at the end.
  let lo = 0, hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (lx[mid] <= y) lo = mid; else hi = mid;
  }
  const v0 = vols[base + lo];
  if (y === lx[lo]) return v0;
  const a = (y - lx[lo]) / (lx[hi] - lx[lo]);
  return v0 + (vols[base + hi] - v0) * a;
}

/**
 * The surface's vol for an option of strike K and year fraction T, F the underlying's forward to
 * T (read on a moneyness axis only). The formulas and edge cases are in the module comment; NaN
 * when K, T or F is unusable.
 */
export function surfaceVol(s: ResolvedSurface, K: number, T: number, F: number): number {
  const moneyness = s.axisCode === AXIS_MONEYNESS;
  if (!Number.isFinite(K) || !(K > 0) || !Number.isFinite(T)) return NaN;
  if (moneyness && (!Number.isFinite(F) || !(F > 0))) return NaN;
  return surfaceVolAt(s, surfaceLn(moneyness ? K / F : K), T);
}

/**
 * The surface's vol at coordinate y (ln K on a strike axis, ln(K / F) on a moneyness axis) and
 * year fraction T: steps 2 and 3 of the module comment. What sticky-moneyness scenarios read
 * (docs/methods.md §5.7), with y moved by the log of the spot move.
 */
export function surfaceVolAt(s: ResolvedSurface, y: number, T: number): number {
  const nE = s.nExpiries, nP = s.nPoints, Ts = s.T, lx = s.lnPoints, vols = s.vols;
  if (T <= Ts[0]) return rowVol(lx, vols, 0, nP, y);
  const last = nE - 1;
  if (T >= Ts[last]) return rowVol(lx, vols, last * nP, nP, y);
  // Ts[lo] <= T < Ts[hi]
  let lo = 0, hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (Ts[mid] <= T) lo = mid; else hi = mid;
  }
  const v0 = rowVol(lx, vols, lo * nP, nP, y);
  const T0 = Ts[lo];
  if (T === T0) return v0;
  const v1 = rowVol(lx, vols, hi * nP, nP, y);
  const T1 = Ts[hi];
  const w0 = v0 * v0 * T0, w1 = v1 * v1 * T1;
  const w = w0 + (w1 - w0) * ((T - T0) / (T1 - T0));
  return Math.sqrt(w / T);
}
