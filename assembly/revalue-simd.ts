// The scenario revaluation kernel on two f64 lanes (WebAssembly SIMD): builds the instrument P&L
// cube two scenarios at a time. The module exports it as `revalue`, the kernel the host calls;
// assembly/revalue.ts is the same kernel in scalar code (exported as `revalueScalar`).
//
// Work is done in blocks of BLOCK scenarios. Within a block, consecutive options on the same
// underlying share ln(m), the log of the spot multiplier: ln(F'/K) = ln(S g / K) + ln(m) with the
// first term constant along a row. ln(m) of the block is written into the cube row of the first
// option of such a run (its own output cells, used as scratch until that row is priced last), so
// the kernel needs no memory of its own. Rows of other kinds are written directly.
import {
  COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_F, COL_U, col,
  KIND_SPOT, KIND_LINEAR, KIND_CALL, STATUS_OK, STATUS_BAD_ARGUMENT, STATUS_NOT_FINITE, allFinite, rowsOk,
} from './layout';
import { bsmPrice2, bsmPriceCore2, bsmPriceCorePair, discount2, carry2 } from './bsm';
import { vlog } from './vmath';

/** Scenarios per block: 4 KB per array, so a block's multipliers, shocks, logs and output stay in L1. */
const BLOCK: i32 = 512;

// @ts-ignore: decorator
@inline function sp(x: f64): v128 { return f64x2.splat(x); }

/** Elements o and o+8 at p, or element o on both lanes when `single` (the odd last scenario). */
// @ts-ignore: decorator
@inline function ld2(p: usize, o: usize, single: bool): v128 {
  return single ? sp(load<f64>(p + o)) : v128.load(p + o);
}

/** Stores both lanes at p + o, or only lane 0 when `single`. */
// @ts-ignore: decorator
@inline function st2(p: usize, o: usize, v: v128, single: bool): void {
  if (single) store<f64>(p + o, f64x2.extract_lane(v, 0));
  else v128.store(p + o, v);
}

/** True for an option whose revaluation date is before its expiry: its cells need ln(m). */
// @ts-ignore: decorator
@inline function isLiveOption(table: usize, n: i32, at: usize, horizonYears: f64): bool {
  const kind = <i32>load<f64>(col(table, COL_KIND, n) + at);
  return kind != KIND_SPOT && kind != KIND_LINEAR && load<f64>(col(table, COL_T, n) + at) - horizonYears > 0.0;
}

/**
 * Cells [b0, b1) (byte offsets) of the row of a spot, linear instrument or an option at or past
 * expiry; pe <= b1 ends the whole pairs (pe < b1: the odd last cell is at pe).
 */
function simpleRow(table: usize, n: i32, i: i32, m: usize, row: usize, b0: usize, pe: usize, b1: usize): void {
  const at = <usize>i << 3;
  const kind = <i32>load<f64>(col(table, COL_KIND, n) + at);
  const S = load<f64>(col(table, COL_S, n) + at);
  const cs = load<f64>(col(table, COL_CS, n) + at);
  if (kind == KIND_SPOT || kind == KIND_LINEAR) {
    const notional = sp(kind == KIND_SPOT ? cs * S : cs * load<f64>(col(table, COL_F, n) + at));
    for (let o = b0; o < pe; o += 16) v128.store(row + o, f64x2.mul(notional, f64x2.sub(v128.load(m + o), sp(1.0))));
    if (pe < b1) store<f64>(row + pe, f64x2.extract_lane(f64x2.mul(notional, f64x2.sub(sp(load<f64>(m + pe)), sp(1.0))), 0));
    return;
  }
  // An option whose expiry is reached: intrinsic value at S m (bsmPrice2 at T <= 0).
  const call = kind == KIND_CALL ? i64x2.splat(-1) : i64x2.splat(0);
  const sgn = v128.bitselect(sp(1.0), sp(-1.0), call);
  const S2 = sp(S), K = sp(load<f64>(col(table, COL_K, n) + at)), cs2 = sp(cs);
  const v0 = bsmPrice2(call, S2, K, sp(load<f64>(col(table, COL_T, n) + at)), sp(load<f64>(col(table, COL_R, n) + at)),
    sp(load<f64>(col(table, COL_Q, n) + at)), sp(load<f64>(col(table, COL_VOL, n) + at)));
  for (let o = b0; o < b1; o += 16) {
    const single = o == pe;
    const v = f64x2.max(f64x2.mul(sgn, f64x2.sub(f64x2.mul(S2, ld2(m, o, single)), K)), sp(0.0));
    st2(row, o, f64x2.mul(cs2, f64x2.sub(v, v0)), single);
  }
}

/** One pair of cells (lane 0 only when `single`) of a live option's row; see optionRow. */
// @ts-ignore: decorator
@inline function optionCells(
  call: v128, S: v128, K: v128, vol: v128, w: v128, cs: v128, v0: v128, T1: v128, df: v128, g: v128, sqrtT: v128,
  sgk: v128, lnSgk: v128, m: usize, dv: usize, lnm: usize, row: usize, o: usize, single: bool,
): void {
  const mm = ld2(m, o, single);
  const vol1 = f64x2.mul(vol, f64x2.add(sp(1.0), f64x2.mul(ld2(dv, o, single), w)));
  const v = bsmPriceCore2(call, f64x2.mul(f64x2.mul(S, mm), g), K, f64x2.mul(sgk, mm), f64x2.add(lnSgk, ld2(lnm, o, single)),
    T1, vol1, f64x2.mul(vol1, sqrtT), df);
  st2(row, o, f64x2.mul(cs, f64x2.sub(v, v0)), single);
}

/** Two pairs of cells, o .. o + 31, of a live option's row; see optionCells. */
// @ts-ignore: decorator
@inline function optionCellsPair(
  call: v128, S: v128, K: v128, vol: v128, w: v128, cs: v128, v0: v128, T1: v128, df: v128, g: v128, sqrtT: v128,
  sgk: v128, lnSgk: v128, m: usize, dv: usize, lnm: usize, row: usize, o: usize,
): void {
  const ma = v128.load(m + o), mb = v128.load(m + o + 16);
  const vola = f64x2.mul(vol, f64x2.add(sp(1.0), f64x2.mul(v128.load(dv + o), w)));
  const volb = f64x2.mul(vol, f64x2.add(sp(1.0), f64x2.mul(v128.load(dv + o + 16), w)));
  const lna = f64x2.add(lnSgk, v128.load(lnm + o)), lnb = f64x2.add(lnSgk, v128.load(lnm + o + 16));
  // The row's own cells o .. o + 31 are the scratch of the pair evaluation (lnm may be this row:
  // its cells are read above, before anything is written).
  bsmPriceCorePair(call, K, T1, df,
    f64x2.mul(f64x2.mul(S, ma), g), f64x2.mul(sgk, ma), lna, vola, f64x2.mul(vola, sqrtT),
    f64x2.mul(f64x2.mul(S, mb), g), f64x2.mul(sgk, mb), lnb, volb, f64x2.mul(volb, sqrtT), row + o);
  v128.store(row + o, f64x2.mul(cs, f64x2.sub(v128.load(row + o), v0)));
  v128.store(row + o + 16, f64x2.mul(cs, f64x2.sub(v128.load(row + o + 16), v0)));
}

/**
 * Cells [b0, b1) of the row of a live option (pe as in simpleRow), reading ln(m) from `lnm` (the
 * same cells of the run's first row, which may be this row itself: each cell is read before it is
 * written).
 */
function optionRow(
  table: usize, n: i32, i: i32, m: usize, dv: usize, lnm: usize, volWeight: usize, horizonYears: f64,
  row: usize, b0: usize, pe: usize, b1: usize,
): void {
  const at = <usize>i << 3;
  const call = <i32>load<f64>(col(table, COL_KIND, n) + at) == KIND_CALL ? i64x2.splat(-1) : i64x2.splat(0);
  const S = sp(load<f64>(col(table, COL_S, n) + at));
  const K = sp(load<f64>(col(table, COL_K, n) + at));
  const T = load<f64>(col(table, COL_T, n) + at);
  const r = sp(load<f64>(col(table, COL_R, n) + at));
  const q = sp(load<f64>(col(table, COL_Q, n) + at));
  const vol = sp(load<f64>(col(table, COL_VOL, n) + at));
  const cs = sp(load<f64>(col(table, COL_CS, n) + at));
  const w = sp(load<f64>(volWeight + at));
  const v0 = bsmPrice2(call, S, K, sp(T), r, q, vol);
  // The factors of (r, q, T1), once per row: bit for bit what bsmPrice2 computes per lane.
  const T1 = sp(T - horizonYears);
  const df = discount2(r, T1);
  const g = carry2(r, q, T1);
  const sqrtT = f64x2.sqrt(T1);
  const sgk = f64x2.div(f64x2.mul(S, g), K); // F/K at m = 1
  const lnSgk = vlog(sgk);
  let o = b0;
  for (; o + 16 < pe; o += 32) optionCellsPair(call, S, K, vol, w, cs, v0, T1, df, g, sqrtT, sgk, lnSgk, m, dv, lnm, row, o);
  if (o < pe) optionCells(call, S, K, vol, w, cs, v0, T1, df, g, sqrtT, sgk, lnSgk, m, dv, lnm, row, o, false);
  if (pe < b1) optionCells(call, S, K, vol, w, cs, v0, T1, df, g, sqrtT, sgk, lnSgk, m, dv, lnm, row, pe, true);
}

/**
 * Revalues instruments `first .. first+count-1` of `table` (n rows, layout.ts) in `nScen`
 * scenarios and writes the P&L of one contract, in the snapshot's currency, to their rows of
 * `cube` (n rows of `stride` f64; row i is instrument i, column s scenario s; columns
 * nScen..stride-1 are set to 0). Disjoint row ranges can be built by different threads into one
 * shared cube.
 *
 * A scenario s moves the spot of underlying u to `S * spotMult[u * stride + s]` and the implied
 * vol of option i on underlying u to `vol * (1 + volShock[u * stride + s] * volWeight[i])` (both
 * nU rows of `stride` f64); options are revalued at `T - horizonYears`, with unchanged rate and yield:
 * - spot: `cs * S * (m - 1)`;
 * - future/perpetual: `cs * F * (m - 1)` (marked to market, F moves with the spot);
 * - option: `cs * (BSM(S m, K, T - h, r, q, vol') - BSM(S, K, T, r, q, vol))`, at an expiry
 *   reached (`T - h <= 0`) the intrinsic value at `S m`.
 * The price subtracted is bsmPrice2 (assembly/bsm.ts), the module's `bsmPrice`; a cell with
 * m = 1, no vol shock and h = 0 is exactly 0. Every cell, the last one of an odd row included, is
 * computed by the same lane code from its own scenario only, so the cube does not depend on how
 * rows or scenarios are split between calls. Pointers need no alignment; during the call the
 * output rows serve as scratch (see the file comment).
 * The host guarantees `vol' > 0` and `m > 0`. Returns STATUS_BAD_ARGUMENT, writing nothing, when
 * a count is negative, the row range is not inside [0, n), an underlying index is outside [0, nU)
 * or `stride < nScen`; STATUS_NOT_FINITE when every row is written but a cell is NaN or infinite
 * (an input too large: the host finds the cell and reports it); STATUS_OK otherwise.
 */
export function revalueSimd(
  table: usize, n: i32, first: i32, count: i32, spotMult: usize, nU: i32, volShock: usize, volWeight: usize,
  horizonYears: f64, nScen: i32, stride: i32, cube: usize,
): i32 {
  return revalueAll(table, n, first, count, spotMult, nU, volShock, volWeight, horizonYears, nScen, stride, cube, false);
}

/**
 * revalueSimd with a vol move per cell: option i's vol in scenario s is `vol * (1 + volRows[i *
 * stride + s] * volWeight[i])` (n rows of `stride` f64, row i for instrument i of `table`), the
 * rows written by volMoves (assembly/vol-dynamics.ts) for scenario sets with vol dynamics.
 */
export function revalueVolRowsSimd(
  table: usize, n: i32, first: i32, count: i32, spotMult: usize, nU: i32, volRows: usize, volWeight: usize,
  horizonYears: f64, nScen: i32, stride: i32, cube: usize,
): i32 {
  return revalueAll(table, n, first, count, spotMult, nU, volRows, volWeight, horizonYears, nScen, stride, cube, true);
}

function revalueAll(
  table: usize, n: i32, first: i32, count: i32, spotMult: usize, nU: i32, volShock: usize, volWeight: usize,
  horizonYears: f64, nScen: i32, stride: i32, cube: usize, byRow: bool,
): i32 {
  if (!rowsOk(table, n, first, count, nU, nScen, stride)) return STATUS_BAD_ARGUMENT;
  const end = first + count;
  const pU = col(table, COL_U, n);
  const rowBytes = <usize>stride << 3;
  for (let s0 = 0; s0 < nScen; s0 += BLOCK) {
    const b0 = <usize>s0 << 3;
    const s1 = s0 + BLOCK < nScen ? s0 + BLOCK : nScen;
    const b1 = <usize>s1 << 3;
    const pe = <usize>(s1 & ~1) << 3; // end of the whole pairs; an odd last cell sits at pe
    let host = -1; // the row holding ln(m) of underlying hostU for this block, priced last
    let hostU = -1;
    for (let i = first; i < end; i++) {
      const at = <usize>i << 3;
      const u = <i32>load<f64>(pU + at);
      const m = spotMult + <usize>u * rowBytes;
      const row = cube + <usize>i * rowBytes;
      if (!isLiveOption(table, n, at, horizonYears)) {
        simpleRow(table, n, i, m, row, b0, pe, b1);
        continue;
      }
      if (host >= 0 && hostU == u) {
        const hostRow = cube + <usize>host * rowBytes;
        optionRow(table, n, i, m, volShock + <usize>(byRow ? i : u) * rowBytes, hostRow, volWeight, horizonYears, row, b0, pe, b1);
        continue;
      }
      if (host >= 0) {
        const hostRow = cube + <usize>host * rowBytes;
        const hm = spotMult + <usize>hostU * rowBytes;
        optionRow(table, n, host, hm, volShock + <usize>(byRow ? host : hostU) * rowBytes, hostRow, volWeight, horizonYears, hostRow, b0, pe, b1);
      }
      host = i;
      hostU = u;
      for (let o = b0; o < pe; o += 16) v128.store(row + o, vlog(v128.load(m + o)));
      if (pe < b1) store<f64>(row + pe, f64x2.extract_lane(vlog(sp(load<f64>(m + pe))), 0));
    }
    if (host >= 0) {
      const hostRow = cube + <usize>host * rowBytes;
      const hm = spotMult + <usize>hostU * rowBytes;
      optionRow(table, n, host, hm, volShock + <usize>(byRow ? host : hostU) * rowBytes, hostRow, volWeight, horizonYears, hostRow, b0, pe, b1);
    }
  }
  for (let i = first; i < end; i++) {
    const row = cube + <usize>i * rowBytes;
    for (let s = nScen; s < stride; s++) store<f64>(row + (<usize>s << 3), 0.0);
  }
  if (count > 0 && !allFinite(cube + <usize>first * rowBytes, count * stride)) return STATUS_NOT_FINITE;
  return STATUS_OK;
}
