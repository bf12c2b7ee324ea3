// Kernel: the implied vol of every option of a row range in every scenario, under the vol
// dynamics of a scenario set (docs/methods.md §5.7), written as the relative vol move each cell's
// revaluation applies (revalueVolRows: vol' = vol (1 + d)). A cell of option i on underlying u in
// scenario s, with w = volWeight[i], m = spotMult[u, s], l = ln m (lnMult[u, s]):
//   base  = vol                                  (sticky strike, or an option not priced off a surface)
//         = surface_u at y0[i] - l, T[i]          (sticky moneyness: the surface read at the option's
//                                                  moneyness after the move, K / F', F' = F m)
//   vol'  = max(base (1 + dv[u, s] w) + abs[u, s] w + skew[u, s] w lnKF[i], floor[u, s])
//                                                 (the max only where floor > 0: no minimum otherwise)
//                                                 (lnKF = ln(K / F), F today's forward to the expiry)
//   d     = dv[u, s] w                           when base == vol and abs, skew are 0 and the floor
//                                                  does not bind (bit for bit the sticky-strike cell)
//         = vol' / vol - 1                       otherwise.
// A cell whose vol' is not in (0, maxVol] (or not finite) gets NaN and the kernel returns
// STATUS_NOT_FINITE after writing every row: the host names the cell.
// The surface lookup is the one of assembly/surface.ts (rowVol; linear in total variance between
// the two expiries bracketing T, the nearest expiry's vol outside), with the coordinate y0 - l
// instead of ln(K / F'), so that at m = 1 the lookup is exactly today's.
import { COL_KIND, COL_T, COL_VOL, COL_U, col, rowsOk, KIND_SPOT, KIND_LINEAR, STATUS_OK, STATUS_BAD_ARGUMENT, STATUS_NOT_FINITE } from './layout';
import { rowVol } from './surface';

/** Fields of a surface descriptor (SURF_FIELDS f64 per underlying; axis < 0: no surface). */
const SURF_NE: i32 = 1, SURF_NP: i32 = 2, SURF_EXPT: i32 = 3, SURF_LNPTS: i32 = 4, SURF_VOLS: i32 = 5;
const SURF_FIELDS: i32 = 6;

/** The vol of a surface at coordinate y and year fraction T (assembly/surface.ts surfaceVols, time part). */
// @ts-ignore: decorator
@inline function lookup(expT: usize, nE: i32, lnPts: usize, nP: i32, vols: usize, y: f64, T: f64, lo: i32, hi: i32): f64 {
  if (lo == hi) return rowVol(lnPts, vols, lo * nP, nP, y);
  const v0 = rowVol(lnPts, vols, lo * nP, nP, y);
  const v1 = rowVol(lnPts, vols, hi * nP, nP, y);
  const T0 = load<f64>(expT + (<usize>lo << 3)), T1 = load<f64>(expT + (<usize>hi << 3));
  const w0 = v0 * v0 * T0, w1 = v1 * v1 * T1;
  const w = w0 + (w1 - w0) * ((T - T0) / (T1 - T0));
  return Math.sqrt(w / T);
}

/**
 * Writes, for rows first .. first+count-1 of `table` (n rows), the relative vol move of every
 * scenario to out[i * stride + s] (see the file comment; non-options get 0). Inputs: spotMult,
 * lnMult, volShock, volAbs, volSkew, volFloor (nU rows of `stride` f64 each), volWeight, y0,
 * lnKF, sticky (n f64 each: sticky != 0 reads the option's base vol from its underlying's surface),
 * surfaces (nU descriptors of SURF_FIELDS f64: axis, nE, nP and the byte offsets of the expiries'
 * year fractions, the points' logs and the vols). Returns STATUS_BAD_ARGUMENT (writing nothing)
 * for a bad count or range, an underlying outside [0, nU), or a sticky row on an underlying
 * without a surface; STATUS_NOT_FINITE when some cell's vol' is not in (0, maxVol]; else STATUS_OK.
 */
export function volMoves(
  table: usize, n: i32, first: i32, count: i32, nU: i32, spotMult: usize, lnMult: usize, volShock: usize, volAbs: usize,
  volSkew: usize, volFloor: usize, volWeight: usize, y0: usize, lnKF: usize, sticky: usize, surfaces: usize,
  maxVol: f64, nScen: i32, stride: i32, out: usize,
): i32 {
  if (!rowsOk(table, n, first, count, nU, nScen, stride)) return STATUS_BAD_ARGUMENT;
  for (let i = first; i < first + count; i++) {
    const at = <usize>i << 3;
    const u = <i32>load<f64>(col(table, COL_U, n) + at);
    if (load<f64>(sticky + at) != 0.0 && load<f64>(surfaces + (<usize>(u * SURF_FIELDS) << 3)) < 0.0) return STATUS_BAD_ARGUMENT;
  }
  const rowBytes = <usize>stride << 3;
  let bad = false;
  for (let i = first; i < first + count; i++) {
    const at = <usize>i << 3;
    const row = out + <usize>i * rowBytes;
    const kind = <i32>load<f64>(col(table, COL_KIND, n) + at);
    if (kind == KIND_SPOT || kind == KIND_LINEAR) {
      for (let s = 0; s < stride; s++) store<f64>(row + (<usize>s << 3), 0.0);
      continue;
    }
    const u = <i32>load<f64>(col(table, COL_U, n) + at);
    const ro = <usize>u * rowBytes;
    const vol = load<f64>(col(table, COL_VOL, n) + at);
    const w = load<f64>(volWeight + at);
    const kf = load<f64>(lnKF + at);
    const isSticky = load<f64>(sticky + at) != 0.0;
    // The surface and the expiries bracketing T, once per row.
    const sd = surfaces + (<usize>(u * SURF_FIELDS) << 3);
    const nE = <i32>load<f64>(sd + (<usize>SURF_NE << 3)), nP = <i32>load<f64>(sd + (<usize>SURF_NP << 3));
    const expT = <usize>load<f64>(sd + (<usize>SURF_EXPT << 3));
    const lnPts = <usize>load<f64>(sd + (<usize>SURF_LNPTS << 3)), vols = <usize>load<f64>(sd + (<usize>SURF_VOLS << 3));
    const T = load<f64>(col(table, COL_T, n) + at);
    const y = load<f64>(y0 + at);
    let lo: i32 = 0, hi: i32 = 0;
    if (isSticky) {
      const last = nE - 1;
      if (T <= load<f64>(expT)) { lo = 0; hi = 0; } else if (T >= load<f64>(expT + (<usize>last << 3))) { lo = last; hi = last; } else {
        hi = last;
        while (hi - lo > 1) {
          const mid = (lo + hi) >> 1;
          if (load<f64>(expT + (<usize>mid << 3)) <= T) lo = mid; else hi = mid;
        }
        if (T == load<f64>(expT + (<usize>lo << 3))) hi = lo;
      }
    }
    for (let s = 0; s < nScen; s++) {
      const o = <usize>s << 3;
      const l = load<f64>(lnMult + ro + o);
      const base = isSticky ? lookup(expT, nE, lnPts, nP, vols, y - l, T, lo, hi) : vol;
      const dv = load<f64>(volShock + ro + o) * w;
      const a = load<f64>(volAbs + ro + o), k = load<f64>(volSkew + ro + o), fl = load<f64>(volFloor + ro + o);
      let vol1 = base * (1.0 + dv) + a * w + k * w * kf;
      if (fl > 0.0 && vol1 < fl) vol1 = fl; // no minimum (0): a vol driven to 0 or below stays so, and is reported
      let d: f64;
      if (base == vol && a == 0.0 && k == 0.0 && vol1 == base * (1.0 + dv)) d = dv;
      else d = vol1 / vol - 1.0;
      if (!(vol1 > 0.0 && vol1 <= maxVol) || !(d - d == 0.0)) { d = NaN; bad = true; }
      store<f64>(row + o, d);
    }
    for (let s = nScen; s < stride; s++) store<f64>(row + (<usize>s << 3), 0.0);
  }
  return bad ? STATUS_NOT_FINITE : STATUS_OK;
}
