// Kernel: implied vols read from a volatility surface for many (K, T, F) lookups (docs/surfaces.md).
// The twin of surfaceVol in src/surface/surface.ts, written with the same operations in the same
// order, so both give the same doubles; the logarithm is not the standard library's Math.log but
// surfaceLn below, the same fdlibm algorithm as the host's, so the result does not depend on which
// libm either side links.
import { STATUS_OK, STATUS_BAD_ARGUMENT, SURFACE_BAD_LOOKUP, SURFACE_AXIS_MONEYNESS, SURFACE_AXIS_STRIKE } from './layout';

const LN2_HI: f64 = 6.93147180369123816490e-01; // 0x3fe62e42fee00000
const LN2_LO: f64 = 1.90821492927058770002e-10; // 0x3dea39ef35793c76
const TWO54: f64 = 1.80143985094819840000e+16;
const LG1: f64 = 6.666666666666735130e-01;
const LG2: f64 = 3.999999999940941908e-01;
const LG3: f64 = 2.857142874366239149e-01;
const LG4: f64 = 2.222219843214978396e-01;
const LG5: f64 = 1.818357216161805012e-01;
const LG6: f64 = 1.531383769920937332e-01;
const LG7: f64 = 1.479819860511658591e-01;

@inline function highWord(x: f64): i32 {
  return <i32>(reinterpret<u64>(x) >>> 32);
}

/** Natural logarithm, fdlibm's e_log.c, operation for operation as surfaceLn in src/surface/surface.ts. */
export function surfaceLn(x: f64): f64 {
  let hx = highWord(x);
  const lx = <u32>reinterpret<u64>(x);
  let k: i32 = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | <i32>lx) == 0) return -Infinity;
    if (hx < 0) return NaN;
    k -= 54; x *= TWO54;
    hx = highWord(x);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i0 = (hx + 0x95f64) & 0x100000;
  x = reinterpret<f64>((<u64><u32>(hx | (i0 ^ 0x3ff00000)) << 32) | (reinterpret<u64>(x) & 0xffffffff));
  k += i0 >> 20;
  const f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) {
    if (f == 0) {
      if (k == 0) return 0;
      const dk = <f64>k;
      return dk * LN2_HI + dk * LN2_LO;
    }
    const R = f * f * (0.5 - 0.33333333333333333 * f);
    if (k == 0) return f - R;
    const dk = <f64>k;
    return dk * LN2_HI - ((R - dk * LN2_LO) - f);
  }
  const s = f / (2.0 + f);
  const dk = <f64>k;
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
    if (k == 0) return f - (hfsq - s * (hfsq + R));
    return dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f);
  }
  if (k == 0) return f - s * (f - R);
  return dk * LN2_HI - ((s * (f - R) - dk * LN2_LO) - f);
}

/** Row `base / nP`'s vol at coordinate y: linear in vol against ln(point), flat beyond the ends. */
export function rowVol(lx: usize, vols: usize, base: i32, nP: i32, y: f64): f64 {
  if (y <= load<f64>(lx)) return load<f64>(vols + (<usize>base << 3));
  const last = nP - 1;
  if (y >= load<f64>(lx + (<usize>last << 3))) return load<f64>(vols + (<usize>(base + last) << 3));
  let lo: i32 = 0, hi: i32 = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (load<f64>(lx + (<usize>mid << 3)) <= y) lo = mid; else hi = mid;
  }
  const v0 = load<f64>(vols + (<usize>(base + lo) << 3));
  const l0 = load<f64>(lx + (<usize>lo << 3));
  if (y == l0) return v0;
  const a = (y - l0) / (load<f64>(lx + (<usize>hi << 3)) - l0);
  return v0 + (load<f64>(vols + (<usize>(base + hi) << 3)) - v0) * a;
}

/**
 * Reads `n` vols from one surface (docs/surfaces.md; the formulas are stated in
 * src/surface/surface.ts). The surface, laid out by the host:
 * - `axis`: SURFACE_AXIS_MONEYNESS (coordinate ln(K / F)) or SURFACE_AXIS_STRIKE (ln K);
 * - `expT`: nE f64, the expiries' year fractions, strictly increasing;
 * - `lnPts`: nP f64, ln of the points (by surfaceLn), strictly increasing;
 * - `vols`: nE * nP f64, row-major (expiry i, point j at i * nP + j).
 * Lookups: `K`, `T`, `F` (F read on a moneyness axis only), n f64 each; the vol of lookup k is
 * written to `out[k]`. `out` may be any of K, T, F (each lookup reads its inputs before writing).
 * A lookup whose K or T is not finite, K <= 0, or (moneyness) F not finite or <= 0 gets NaN; the
 * others are unaffected. Returns STATUS_OK; SURFACE_BAD_LOOKUP when some lookup got NaN; or
 * STATUS_BAD_ARGUMENT (writing nothing) when axis is unknown, nE < 1, nP < 1 or n < 0.
 * Never allocates.
 */
export function surfaceVols(
  axis: i32, expT: usize, nE: i32, lnPts: usize, nP: i32, vols: usize,
  pK: usize, pT: usize, pF: usize, n: i32, out: usize,
): i32 {
  if ((axis != SURFACE_AXIS_MONEYNESS && axis != SURFACE_AXIS_STRIKE) || nE < 1 || nP < 1 || n < 0) {
    return STATUS_BAD_ARGUMENT;
  }
  const moneyness = axis == SURFACE_AXIS_MONEYNESS;
  const last = nE - 1;
  const Tfirst = load<f64>(expT);
  const Tlast = load<f64>(expT + (<usize>last << 3));
  let bad: i32 = 0;
  for (let k = 0; k < n; k++) {
    const at = <usize>k << 3;
    const K = load<f64>(pK + at);
    const T = load<f64>(pT + at);
    const F = load<f64>(pF + at);
    let vol: f64;
    if (!isFinite<f64>(K) || !(K > 0) || !isFinite<f64>(T) || (moneyness && (!isFinite<f64>(F) || !(F > 0)))) {
      vol = NaN;
      bad++;
    } else {
      const y = surfaceLn(moneyness ? K / F : K);
      if (T <= Tfirst) {
        vol = rowVol(lnPts, vols, 0, nP, y);
      } else if (T >= Tlast) {
        vol = rowVol(lnPts, vols, last * nP, nP, y);
      } else {
        let lo: i32 = 0, hi: i32 = last;
        while (hi - lo > 1) {
          const mid = (lo + hi) >> 1;
          if (load<f64>(expT + (<usize>mid << 3)) <= T) lo = mid; else hi = mid;
        }
        const v0 = rowVol(lnPts, vols, lo * nP, nP, y);
        const T0 = load<f64>(expT + (<usize>lo << 3));
        if (T == T0) {
          vol = v0;
        } else {
          const v1 = rowVol(lnPts, vols, hi * nP, nP, y);
          const T1 = load<f64>(expT + (<usize>hi << 3));
          const w0 = v0 * v0 * T0, w1 = v1 * v1 * T1;
          const w = w0 + (w1 - w0) * ((T - T0) / (T1 - T0));
          vol = Math.sqrt(w / T);
        }
      }
    }
    store<f64>(out + at, vol);
  }
  return bad == 0 ? STATUS_OK : SURFACE_BAD_LOOKUP;
}

/** ln of `n` f64 at `xs` into `out` by surfaceLn (for tests of the logarithm). Never allocates. */
export function surfaceLnMap(xs: usize, n: i32, out: usize): i32 {
  if (n < 0) return STATUS_BAD_ARGUMENT;
  for (let k = 0; k < n; k++) {
    const at = <usize>k << 3;
    store<f64>(out + at, surfaceLn(load<f64>(xs + at)));
  }
  return STATUS_OK;
}
