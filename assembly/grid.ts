// The scenario-grid reduction kernel (docs/methods.md §6).
import { STATUS_OK, STATUS_BAD_ARGUMENT, STATUS_NOT_FINITE, finite } from './layout';

/**
 * Reduces per-underlying scenario P&L to grid requirements.
 *
 * Inputs: `pnl`, nRows rows of `stride` f64, row r the P&L of the portfolio's positions on one
 * underlying in each scenario; `scenPoint[s]` (i32) the grid point of scenario s (in
 * [0, nPoints)); `cover[j]` (f64) the point's cover; `rowGroup[r]` (i32) the row's product group
 * slot in [0, nGroups); `offsets[g]` (f64, in [0, 1]) the group's offset.
 *
 * Output at `out` (f64): `R[nGroups]`, `worst[nGroups]`, `N[nGroups * nPoints]`,
 * `L[nRows * nPoints]`, where
 * - `L[r, j] = cover_j * max over scenarios s of point j of (-pnl[r, s])` (the underlying loss),
 * - `N[g, j] = sum_{r in g} max(L[r,j], 0) - offset_g * sum_{r in g} max(-L[r,j], 0)`,
 * - `R[g] = max(0, max_j N[g, j])` and `worst[g]` the first j attaining `max_j N[g, j]`.
 * A point with no scenario gets `L = 0` (the host never builds one). Returns STATUS_BAD_ARGUMENT
 * for negative counts or an index out of range, and STATUS_NOT_FINITE (outputs unspecified) when a
 * P&L read is NaN or infinite or a sum overflows: a NaN never drops out of a maximum.
 */
export function gridReduce(
  pnl: usize, stride: i32, nRows: i32, rowGroup: usize, nGroups: i32, offsets: usize,
  scenPoint: usize, nScen: i32, cover: usize, nPoints: i32, out: usize,
): i32 {
  if (nRows < 0 || nGroups < 0 || nScen < 0 || nPoints <= 0 || stride < nScen) return STATUS_BAD_ARGUMENT;
  const R = out;
  const worst = R + (<usize>nGroups << 3);
  const N = worst + (<usize>nGroups << 3);
  const L = N + (<usize>(nGroups * nPoints) << 3);
  const pointBytes = <usize>nPoints << 3;
  for (let r = 0; r < nRows; r++) {
    const Lr = L + <usize>r * pointBytes;
    for (let j = 0; j < nPoints; j++) store<f64>(Lr + (<usize>j << 3), -Infinity);
    const row = pnl + (<usize>r * <usize>stride << 3);
    for (let s = 0; s < nScen; s++) {
      const j = load<i32>(scenPoint + (<usize>s << 2));
      if (j < 0 || j >= nPoints) return STATUS_BAD_ARGUMENT;
      const loss = -load<f64>(row + (<usize>s << 3));
      if (!finite(loss)) return STATUS_NOT_FINITE;
      const at = Lr + (<usize>j << 3);
      if (loss > load<f64>(at)) store<f64>(at, loss);
    }
    for (let j = 0; j < nPoints; j++) {
      const at = Lr + (<usize>j << 3);
      const l = load<f64>(at);
      const c = l == -Infinity ? 0.0 : l * load<f64>(cover + (<usize>j << 3));
      if (!finite(c)) return STATUS_NOT_FINITE;
      store<f64>(at, c);
    }
  }
  for (let g = 0; g < nGroups * nPoints; g++) store<f64>(N + (<usize>g << 3), 0.0);
  for (let r = 0; r < nRows; r++) {
    const g = load<i32>(rowGroup + (<usize>r << 2));
    if (g < 0 || g >= nGroups) return STATUS_BAD_ARGUMENT;
    const o = load<f64>(offsets + (<usize>g << 3));
    const Ng = N + <usize>g * pointBytes;
    const Lr = L + <usize>r * pointBytes;
    for (let j = 0; j < nPoints; j++) {
      const l = load<f64>(Lr + (<usize>j << 3));
      const at = Ng + (<usize>j << 3);
      store<f64>(at, load<f64>(at) + (l > 0 ? l : o * l));
    }
  }
  for (let g = 0; g < nGroups; g++) {
    const Ng = N + <usize>g * pointBytes;
    let best = load<f64>(Ng);
    let bestJ = 0;
    if (!finite(best)) return STATUS_NOT_FINITE;
    for (let j = 1; j < nPoints; j++) {
      const v = load<f64>(Ng + (<usize>j << 3));
      if (!finite(v)) return STATUS_NOT_FINITE; // a sum of finite losses that overflowed
      if (v > best) { best = v; bestJ = j; }
    }
    store<f64>(R + (<usize>g << 3), best > 0 ? best : 0.0);
    store<f64>(worst + (<usize>g << 3), <f64>bestJ);
  }
  return STATUS_OK;
}
