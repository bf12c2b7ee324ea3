// American options in the cube and in valuation (docs/methods.md §3.6): the rows of a table whose
// COL_STYLE is STYLE_AMERICAN, priced by Bjerksund-Stensland (2002) (assembly/american.ts,
// americanValue). Both kernels run after their European counterparts (revalue, valueInstruments)
// on the same table and overwrite only the American rows that can be worth exercising early: a
// call with q <= 0 and r >= 0, or a put with r <= 0 and q >= 0, has no early-exercise premium
// (Merton 1973), its American value is the European one, and its row keeps the European kernel's
// numbers bit for bit. Rates and yields do not move in a scenario, so that test holds per row.
import {
  COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_U, COL_STYLE, col, rowsOk,
  KIND_CALL, KIND_PUT, STYLE_AMERICAN, OUT_VALUE, OUT_DELTA, OUT_GAMMA, OUT_VEGA, OUT_THETA,
  STATUS_OK, STATUS_BAD_ARGUMENT, STATUS_NOT_FINITE,
} from './layout';
import { americanValueOf as americanValue } from './american';

/** Relative bump of S for delta and gamma, of vol for vega, of T for theta (central differences). */
const BUMP_S: f64 = 1e-4;
const BUMP_VOL: f64 = 1e-4;
const BUMP_T: f64 = 1e-4;

/** Whether row `at` of `table` is an American option that may be worth exercising early. */
// @ts-ignore: decorator
@inline function earlyExercise(table: usize, n: i32, at: usize): bool {
  if (<i32>load<f64>(col(table, COL_STYLE, n) + at) != STYLE_AMERICAN) return false;
  const kind = <i32>load<f64>(col(table, COL_KIND, n) + at);
  if (kind != KIND_CALL && kind != KIND_PUT) return false;
  const r = load<f64>(col(table, COL_R, n) + at), q = load<f64>(col(table, COL_Q, n) + at);
  return kind == KIND_CALL ? !(q <= 0.0 && r >= 0.0) : !(r <= 0.0 && q >= 0.0);
}

/**
 * Overwrites, for the American rows of `first .. first+count-1` that may be exercised early, the
 * cube cells written by revalue (same arguments): cs (A(S m, K, T - h, r, q, vol') - A(S, K, T,
 * r, q, vol)), A the Bjerksund-Stensland value, vol' = vol (1 + d w) with d = volShock[row u or
 * row i when byRow != 0] (as revalue and revalueVolRows). Other rows are left as they are.
 * Returns STATUS_BAD_ARGUMENT (writing nothing) for a bad range or underlying, STATUS_NOT_FINITE
 * when a cell is not finite (every cell written), STATUS_OK otherwise.
 */
export function revalueAmerican(
  table: usize, n: i32, first: i32, count: i32, spotMult: usize, nU: i32, volShock: usize, volWeight: usize, byRow: i32,
  horizonYears: f64, nScen: i32, stride: i32, cube: usize,
): i32 {
  if (!rowsOk(table, n, first, count, nU, nScen, stride)) return STATUS_BAD_ARGUMENT;
  const rowBytes = <usize>stride << 3;
  let bad = false;
  for (let i = first; i < first + count; i++) {
    const at = <usize>i << 3;
    if (!earlyExercise(table, n, at)) continue;
    const isCall = <i32>load<f64>(col(table, COL_KIND, n) + at) == KIND_CALL;
    const S = load<f64>(col(table, COL_S, n) + at), K = load<f64>(col(table, COL_K, n) + at);
    const T = load<f64>(col(table, COL_T, n) + at), r = load<f64>(col(table, COL_R, n) + at);
    const q = load<f64>(col(table, COL_Q, n) + at), vol = load<f64>(col(table, COL_VOL, n) + at);
    const cs = load<f64>(col(table, COL_CS, n) + at), w = load<f64>(volWeight + at);
    const u = <i32>load<f64>(col(table, COL_U, n) + at);
    const m = spotMult + <usize>u * rowBytes;
    const dv = volShock + <usize>(byRow != 0 ? i : u) * rowBytes;
    const row = cube + <usize>i * rowBytes;
    const v0 = americanValue(isCall, S, K, T, r, q, vol);
    const T1 = T - horizonYears;
    for (let s = 0; s < nScen; s++) {
      const o = <usize>s << 3;
      const vol1 = vol * (1.0 + load<f64>(dv + o) * w);
      const x = cs * (americanValue(isCall, S * load<f64>(m + o), K, T1, r, q, vol1) - v0);
      if (!(x - x == 0.0)) bad = true;
      store<f64>(row + o, x);
    }
  }
  return bad ? STATUS_NOT_FINITE : STATUS_OK;
}

/**
 * Overwrites, for the American rows of the n-row `table` that may be exercised early, the
 * valuation written by valueInstruments at `out` (NGREEKS columns of n f64): the value cs A(S, K,
 * T, r, q, vol) (at least the European value found in `out`) and its greeks by central differences of A (delta and gamma with S bumped by
 * BUMP_S S, vega with vol bumped by BUMP_VOL vol, theta = -dA/dT with T bumped by BUMP_T T; T > 0
 * here, so T - BUMP_T T stays before expiry), each times cs. Rows at or past expiry keep the
 * intrinsic value and payoff slope valueInstruments wrote. Returns
 * STATUS_BAD_ARGUMENT for n < 0, STATUS_NOT_FINITE when a number is not finite, else STATUS_OK.
 */
export function valueAmerican(table: usize, n: i32, out: usize): i32 {
  if (n < 0) return STATUS_BAD_ARGUMENT;
  let bad = false;
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 3;
    if (!earlyExercise(table, n, at)) continue;
    const T = load<f64>(col(table, COL_T, n) + at);
    if (T <= 0.0) continue; // at expiry: the intrinsic value and its slope, as the European kernel writes them
    const isCall = <i32>load<f64>(col(table, COL_KIND, n) + at) == KIND_CALL;
    const S = load<f64>(col(table, COL_S, n) + at), K = load<f64>(col(table, COL_K, n) + at);
    const r = load<f64>(col(table, COL_R, n) + at), q = load<f64>(col(table, COL_Q, n) + at);
    const vol = load<f64>(col(table, COL_VOL, n) + at), cs = load<f64>(col(table, COL_CS, n) + at);
    const v = americanValue(isCall, S, K, T, r, q, vol);
    const hS = BUMP_S * S, hV = BUMP_VOL * vol, hT = BUMP_T * T;
    const up = americanValue(isCall, S + hS, K, T, r, q, vol), dn = americanValue(isCall, S - hS, K, T, r, q, vol);
    const vegaN = americanValue(isCall, S, K, T, r, q, vol + hV) - americanValue(isCall, S, K, T, r, q, vol - hV);
    const thetaN = americanValue(isCall, S, K, T - hT, r, q, vol) - americanValue(isCall, S, K, T + hT, r, q, vol);
    // Never below the European value the European kernel wrote (the two kernels round differently).
    const value = Math.max(cs * v, load<f64>(col(out, OUT_VALUE, n) + at)), delta = cs * (up - dn) / (2.0 * hS), gamma = cs * (up - 2.0 * v + dn) / (hS * hS);
    const vega = cs * vegaN / (2.0 * hV), theta = cs * thetaN / (2.0 * hT);
    if (!(value - value == 0.0 && delta - delta == 0.0 && gamma - gamma == 0.0 && vega - vega == 0.0 && theta - theta == 0.0)) bad = true;
    store<f64>(col(out, OUT_VALUE, n) + at, value);
    store<f64>(col(out, OUT_DELTA, n) + at, delta);
    store<f64>(col(out, OUT_GAMMA, n) + at, gamma);
    store<f64>(col(out, OUT_VEGA, n) + at, vega);
    store<f64>(col(out, OUT_THETA, n) + at, theta);
  }
  return bad ? STATUS_NOT_FINITE : STATUS_OK;
}
