// Basis and calendar risk in the cube (docs/methods.md §6.10): after revalue (and revalueAmerican)
// wrote every cell as if forwards moved with their spot, this kernel rewrites the cells of the
// scenarios that shift the basis, for the rows that have one: futures and perpetuals, and options
// written on a future. A row of underlying u with amount a (a = b max(tau, t0), from the host) in
// a scenario with shift g = shift[u, s] != 0 (a grid's -1 or +1, a stress scenario's basis move)
// moves its forward to F' = F m e^(g a) (e^a and e^-a computed once a row):
//   future, perpetual:   cs F (m e^(g a) - 1)
//   option on a future:  cs (V(S m e^(g a), K, T - h, r, q, vol') - V(S, K, T, r, q, vol))
// where S is the future's price (the option's table row has S = F, q = r), vol' = vol (1 + d w) as
// in revalue, and V is the European price (assembly/bsm.ts, bsmPrice) or, for an American row
// that may be exercised early, americanValueOf (assembly/american.ts). Rows with amount 0 and
// scenarios with sign 0 are left as they are, so a basis move of 0 changes no cell.
import {
  COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_F, COL_U, COL_STYLE, col, rowsOk,
  KIND_CALL, KIND_PUT, KIND_LINEAR, STYLE_AMERICAN, STATUS_OK, STATUS_BAD_ARGUMENT, STATUS_NOT_FINITE,
} from './layout';
import { bsmPrice } from './bsm';
import { americanValueOf } from './american';

/** e^(g a): e^a and e^-a for the grid's shifts +1 and -1, else computed. */
// @ts-ignore: decorator
@inline function factor(g: f64, a: f64, up: f64, dn: f64): f64 {
  return g == 1.0 ? up : g == -1.0 ? dn : Math.exp(g * a);
}

/**
 * Rewrites the basis-shifted cells of rows first .. first+count-1 (see the file comment). shift:
 * nU rows of stride f64; amount: n f64 (the row's b max(tau, t0), 0 for none);
 * spotMult, volShock (nU rows of stride, or n rows with byRow != 0), volWeight (n f64) as revalue.
 * Returns STATUS_BAD_ARGUMENT (writing nothing) for a bad range or underlying, STATUS_NOT_FINITE
 * when a rewritten cell is not finite, else STATUS_OK.
 */
export function basisCells(
  table: usize, n: i32, first: i32, count: i32, spotMult: usize, nU: i32, shift: usize, amount: usize,
  volShock: usize, volWeight: usize, byRow: i32, horizonYears: f64, nScen: i32, stride: i32, cube: usize,
): i32 {
  if (!rowsOk(table, n, first, count, nU, nScen, stride)) return STATUS_BAD_ARGUMENT;
  const rowBytes = <usize>stride << 3;
  let bad = false;
  for (let i = first; i < first + count; i++) {
    const at = <usize>i << 3;
    const a = load<f64>(amount + at);
    if (a == 0.0) continue;
    const up = Math.exp(a), dn = Math.exp(-a);
    const kind = <i32>load<f64>(col(table, COL_KIND, n) + at);
    const u = <i32>load<f64>(col(table, COL_U, n) + at);
    const m = spotMult + <usize>u * rowBytes;
    const sign = shift + <usize>u * rowBytes;
    const row = cube + <usize>i * rowBytes;
    const cs = load<f64>(col(table, COL_CS, n) + at);
    if (kind == KIND_LINEAR) {
      const notional = cs * load<f64>(col(table, COL_F, n) + at);
      for (let s = 0; s < nScen; s++) {
        const g = load<f64>(sign + (<usize>s << 3));
        if (g == 0.0) continue;
        const x = notional * (load<f64>(m + (<usize>s << 3)) * factor(g, a, up, dn) - 1.0);
        if (!(x - x == 0.0)) bad = true;
        store<f64>(row + (<usize>s << 3), x);
      }
      continue;
    }
    if (kind != KIND_CALL && kind != KIND_PUT) continue;
    const isCall = kind == KIND_CALL;
    const S = load<f64>(col(table, COL_S, n) + at), K = load<f64>(col(table, COL_K, n) + at);
    const T = load<f64>(col(table, COL_T, n) + at), r = load<f64>(col(table, COL_R, n) + at);
    const q = load<f64>(col(table, COL_Q, n) + at), vol = load<f64>(col(table, COL_VOL, n) + at);
    const w = load<f64>(volWeight + at);
    const american = <i32>load<f64>(col(table, COL_STYLE, n) + at) == STYLE_AMERICAN
      && (isCall ? !(q <= 0.0 && r >= 0.0) : !(r <= 0.0 && q >= 0.0));
    const dv = volShock + <usize>(byRow != 0 ? i : u) * rowBytes;
    const v0 = american ? americanValueOf(isCall, S, K, T, r, q, vol) : bsmPrice(isCall, S, K, T, r, q, vol);
    const T1 = T - horizonYears;
    for (let s = 0; s < nScen; s++) {
      const o = <usize>s << 3;
      const g = load<f64>(sign + o);
      if (g == 0.0) continue;
      const S1 = S * load<f64>(m + o) * factor(g, a, up, dn);
      const vol1 = vol * (1.0 + load<f64>(dv + o) * w);
      const v = american ? americanValueOf(isCall, S1, K, T1, r, q, vol1) : bsmPrice(isCall, S1, K, T1, r, q, vol1);
      const x = cs * (v - v0);
      if (!(x - x == 0.0)) bad = true;
      store<f64>(row + o, x);
    }
  }
  return bad ? STATUS_NOT_FINITE : STATUS_OK;
}
