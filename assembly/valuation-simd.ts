// Kernel: value and sensitivities of one contract of every instrument in a table, two options at
// a time (WebAssembly SIMD). The module exports it as `valueInstruments`, the kernel the host
// calls; assembly/valuation.ts is the same kernel in scalar code (exported as
// `valueInstrumentsScalar`).
import {
  KIND_SPOT, KIND_LINEAR, KIND_CALL, KIND_PUT,
  COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_F,
  OUT_VALUE, OUT_DELTA, OUT_GAMMA, OUT_VEGA, OUT_THETA,
  STATUS_OK, STATUS_BAD_ARGUMENT, STATUS_NOT_FINITE, NGREEKS, allFinite, col,
} from './layout';
import { bsmStoreGreeks2 } from './bsm';

/** The lanes of rows i and i+1 of table column c (row i on both lanes when `single`). */
// @ts-ignore: decorator
@inline function lanes(table: usize, c: i32, n: i32, i: i32, single: bool): v128 {
  const p = col(table, c, n) + (<usize>i << 3);
  return single ? f64x2.splat(load<f64>(p)) : v128.load(p);
}

// @ts-ignore: decorator
@inline function isOption(kind: f64): bool {
  return kind == <f64>KIND_CALL || kind == <f64>KIND_PUT;
}

/** Options i and i+1 (or option i alone when `single`). */
// @ts-ignore: decorator
@inline function options(table: usize, n: i32, i: i32, single: bool, out: usize, stride: usize): void {
  bsmStoreGreeks2(f64x2.eq(lanes(table, COL_KIND, n, i, single), f64x2.splat(<f64>KIND_CALL)),
    lanes(table, COL_S, n, i, single), lanes(table, COL_K, n, i, single), lanes(table, COL_T, n, i, single),
    lanes(table, COL_R, n, i, single), lanes(table, COL_Q, n, i, single), lanes(table, COL_VOL, n, i, single),
    lanes(table, COL_CS, n, i, single), out + (<usize>i << 3), stride, single);
}

/** Instrument i alone, of any kind. */
// @ts-ignore: decorator
@inline function one(table: usize, n: i32, i: i32, out: usize, stride: usize): void {
  const at = <usize>i << 3;
  const kind = load<f64>(col(table, COL_KIND, n) + at);
  if (isOption(kind)) {
    options(table, n, i, true, out, stride);
    return;
  }
  const S = load<f64>(col(table, COL_S, n) + at);
  const cs = load<f64>(col(table, COL_CS, n) + at);
  const o = out + at;
  const spot = kind == <f64>KIND_SPOT;
  store<f64>(o + <usize>OUT_VALUE * stride, spot ? cs * S : 0.0);
  store<f64>(o + <usize>OUT_DELTA * stride, spot ? cs : cs * load<f64>(col(table, COL_F, n) + at) / S);
  store<f64>(o + <usize>OUT_GAMMA * stride, 0.0);
  store<f64>(o + <usize>OUT_VEGA * stride, 0.0);
  store<f64>(o + <usize>OUT_THETA * stride, 0.0);
}

/**
 * Values one contract of each of the `n` instruments of the table at `table` (NCOLS columns of n
 * f64, assembly/layout.ts; money in the market's currency, times in years, rates, yields and vols
 * decimal). Writes NGREEKS columns of n f64 at `out`, per contract (times contractSize CS):
 * - OUT_VALUE: spot CS*S; future/perpetual (KIND_LINEAR) 0, marked to market; option CS*BSM.
 *   A linear instrument reads only S, CS and its resolved reference price F (column COL_F).
 * - OUT_DELTA = dV/dS: spot CS; linear CS*F/S (its P&L is CS*F*(S'/S - 1)); option CS*BSM delta.
 * - OUT_GAMMA = d2V/dS2, OUT_VEGA = dV/dvol per 1.00 of vol, OUT_THETA = dV/dt per year of
 *   calendar time passing: 0 for spot and linear; CS times the BSM sensitivity for an option.
 * Options with T <= 0 are worth their intrinsic value at S; other degenerate option inputs are
 * described in assembly/bsm.ts. A linear instrument with S == 0 has an infinite or NaN delta.
 * Options are valued two at a time by bsmStoreGreeks2 (an option's numbers do not depend on its
 * neighbour); its value is bit for bit CS times the module's `bsmPrice` and the price the `revalue`
 * kernel subtracts. Pointers need no alignment.
 * Returns STATUS_OK; STATUS_NOT_FINITE when every output is written but one is NaN or infinite;
 * or STATUS_BAD_ARGUMENT (writing nothing) when n < 0 or a KIND is not one of
 * KIND_SPOT, KIND_LINEAR, KIND_CALL, KIND_PUT.
 */
export function valueInstrumentsSimd(table: usize, n: i32, out: usize): i32 {
  if (n < 0) return STATUS_BAD_ARGUMENT;
  const kinds = col(table, COL_KIND, n);
  for (let i = 0; i < n; i++) {
    const k = load<f64>(kinds + (<usize>i << 3));
    if (!(k == <f64>KIND_SPOT || k == <f64>KIND_LINEAR || isOption(k))) return STATUS_BAD_ARGUMENT;
  }
  const stride = <usize>n << 3;
  let i = 0;
  while (i < n) {
    if (i + 1 < n && isOption(load<f64>(kinds + (<usize>i << 3))) && isOption(load<f64>(kinds + (<usize>(i + 1) << 3)))) {
      options(table, n, i, false, out, stride);
      i += 2;
    } else {
      one(table, n, i, out, stride);
      i += 1;
    }
  }
  return allFinite(out, NGREEKS * n) ? STATUS_OK : STATUS_NOT_FINITE;
}
