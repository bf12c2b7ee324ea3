// The scenario revaluation kernel in scalar code: builds the instrument P&L cube one cell at a time.
// The module exports it as `revalueScalar`, the baseline of the SIMD kernel (assembly/revalue-simd.ts),
// which the module exports as `revalue` and the host calls.
import {
  COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_F, COL_U, col,
  KIND_SPOT, KIND_LINEAR, KIND_CALL, STATUS_OK, STATUS_BAD_ARGUMENT, STATUS_NOT_FINITE, allFinite,
} from './layout';
import { bsmPrice, bsmPriceRow } from './bsm';

/**
 * Revalues instruments `first .. first+count-1` of `table` (n rows, layout.ts) in `nScen`
 * scenarios and writes the P&L of one contract, in the snapshot's currency, to their rows of
 * `cube` (n rows of `stride` f64; row i is instrument i, column s scenario s; columns
 * nScen..stride-1 are set to 0). Disjoint row ranges can be built by different threads into one
 * shared cube.
 *
 * A scenario s moves the spot of underlying u to `S * spotMult[u * stride + s]` and the implied
 * vol of option i on underlying u to `vol * (1 + volShock[u * stride + s] * volWeight[i])` (both
 * nU rows of `stride` f64);
 * options are revalued at `T - horizonYears`, with unchanged rate and yield:
 * - spot: `cs * S * (m - 1)`;
 * - future/perpetual: `cs * F * (m - 1)` (marked to market, F moves with the spot);
 * - option: `cs * (BSM(S m, K, T - h, r, q, vol') - BSM(S, K, T, r, q, vol))`, at an expiry
 *   reached (`T - h <= 0`) the intrinsic value at `S m`.
 * The host guarantees `vol' > 0` and `m > 0`. Returns STATUS_BAD_ARGUMENT when a count is
 * negative, the row range is not inside [0, n), an underlying index is outside [0, nU) or
 * `stride < nScen`; STATUS_NOT_FINITE when every row is written but a cell is NaN or infinite (an
 * input too large: the host finds the cell and reports it); STATUS_OK otherwise.
 */
export function revalue(
  table: usize, n: i32, first: i32, count: i32, spotMult: usize, nU: i32, volShock: usize, volWeight: usize,
  horizonYears: f64, nScen: i32, stride: i32, cube: usize,
): i32 {
  return revalueAll(table, n, first, count, spotMult, nU, volShock, volWeight, horizonYears, nScen, stride, cube, false);
}

/** revalue with a vol move per cell (row i of volRows for instrument i), as revalueVolRowsSimd. */
export function revalueVolRows(
  table: usize, n: i32, first: i32, count: i32, spotMult: usize, nU: i32, volRows: usize, volWeight: usize,
  horizonYears: f64, nScen: i32, stride: i32, cube: usize,
): i32 {
  return revalueAll(table, n, first, count, spotMult, nU, volRows, volWeight, horizonYears, nScen, stride, cube, true);
}

function revalueAll(
  table: usize, n: i32, first: i32, count: i32, spotMult: usize, nU: i32, volShock: usize, volWeight: usize,
  horizonYears: f64, nScen: i32, stride: i32, cube: usize, byRow: bool,
): i32 {
  if (n < 0 || first < 0 || count < 0 || first + count > n || nU < 0 || nScen < 0 || stride < nScen) return STATUS_BAD_ARGUMENT;
  const rowBytes = <usize>stride << 3;
  for (let i = first; i < first + count; i++) {
    const at = <usize>i << 3;
    const kind = <i32>load<f64>(col(table, COL_KIND, n) + at);
    const S = load<f64>(col(table, COL_S, n) + at);
    const cs = load<f64>(col(table, COL_CS, n) + at);
    const u = <i32>load<f64>(col(table, COL_U, n) + at);
    if (u < 0 || u >= nU) return STATUS_BAD_ARGUMENT;
    const m = spotMult + <usize>u * rowBytes;
    const dv = volShock + <usize>(byRow ? i : u) * rowBytes;
    const row = cube + <usize>i * rowBytes;
    if (kind == KIND_SPOT || kind == KIND_LINEAR) {
      const notional = kind == KIND_SPOT ? cs * S : cs * load<f64>(col(table, COL_F, n) + at);
      for (let s = 0; s < nScen; s++) {
        const o = <usize>s << 3;
        store<f64>(row + o, notional * (load<f64>(m + o) - 1.0));
      }
    } else {
      const isCall = kind == KIND_CALL;
      const K = load<f64>(col(table, COL_K, n) + at);
      const T = load<f64>(col(table, COL_T, n) + at);
      const r = load<f64>(col(table, COL_R, n) + at);
      const q = load<f64>(col(table, COL_Q, n) + at);
      const vol = load<f64>(col(table, COL_VOL, n) + at);
      const w = load<f64>(volWeight + at);
      const v0 = bsmPrice(isCall, S, K, T, r, q, vol);
      const T1 = T - horizonYears;
      if (T1 <= 0.0) {
        for (let s = 0; s < nScen; s++) {
          const o = <usize>s << 3;
          const vol1 = vol * (1.0 + load<f64>(dv + o) * w);
          store<f64>(row + o, cs * (bsmPrice(isCall, S * load<f64>(m + o), K, T1, r, q, vol1) - v0));
        }
      } else {
        // The factors of (r, q, T1), once per row: the cells are bit for bit bsmPrice's.
        const df = Math.exp(-r * T1);
        const g = Math.exp((r - q) * T1);
        const sqrtT = Math.sqrt(T1);
        for (let s = 0; s < nScen; s++) {
          const o = <usize>s << 3;
          const vol1 = vol * (1.0 + load<f64>(dv + o) * w);
          store<f64>(row + o, cs * (bsmPriceRow(isCall, S * load<f64>(m + o), K, T1, vol1, df, g, sqrtT) - v0));
        }
      }
    }
    for (let s = nScen; s < stride; s++) store<f64>(row + (<usize>s << 3), 0.0);
  }
  if (count > 0 && !allFinite(cube + <usize>first * rowBytes, count * stride)) return STATUS_NOT_FINITE;
  return STATUS_OK;
}
