// Kernel: value and sensitivities of one contract of every instrument in a table (docs/methods.md
// §3, "The value of one contract"; the numbers of the `value` command), in scalar code. The
// module exports it as `valueInstrumentsScalar`, the baseline of the SIMD kernel
// (assembly/valuation-simd.ts), which the module exports as `valueInstruments` and the host calls.
import {
  KIND_SPOT, KIND_LINEAR, KIND_CALL, KIND_PUT,
  COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_F,
  OUT_VALUE, OUT_DELTA, OUT_GAMMA, OUT_VEGA, OUT_THETA,
  STATUS_OK, STATUS_BAD_ARGUMENT, STATUS_NOT_FINITE, NGREEKS, allFinite, col,
} from './layout';
import { bsmStoreGreeks } from './bsm';

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
 * Returns STATUS_OK; STATUS_NOT_FINITE when every output is written but one is NaN or infinite;
 * or STATUS_BAD_ARGUMENT (writing nothing) when n < 0 or a KIND is not one of
 * KIND_SPOT, KIND_LINEAR, KIND_CALL, KIND_PUT.
 */
export function valueInstruments(table: usize, n: i32, out: usize): i32 {
  if (n < 0) return STATUS_BAD_ARGUMENT;
  const kinds = col(table, COL_KIND, n);
  for (let i = 0; i < n; i++) {
    const k = load<f64>(kinds + (<usize>i << 3));
    if (!(k == <f64>KIND_SPOT || k == <f64>KIND_LINEAR || k == <f64>KIND_CALL || k == <f64>KIND_PUT)) {
      return STATUS_BAD_ARGUMENT;
    }
  }
  const stride = <usize>n << 3;
  const pS = col(table, COL_S, n);
  const pK = col(table, COL_K, n);
  const pT = col(table, COL_T, n);
  const pR = col(table, COL_R, n);
  const pQ = col(table, COL_Q, n);
  const pVol = col(table, COL_VOL, n);
  const pCs = col(table, COL_CS, n);
  const pF = col(table, COL_F, n);
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 3;
    const kind = <i32>load<f64>(kinds + at);
    const S = load<f64>(pS + at);
    const cs = load<f64>(pCs + at);
    const o = out + at;
    if (kind == KIND_CALL || kind == KIND_PUT) {
      bsmStoreGreeks(kind == KIND_CALL, S, load<f64>(pK + at), load<f64>(pT + at), load<f64>(pR + at),
        load<f64>(pQ + at), load<f64>(pVol + at), cs, o, stride);
    } else {
      const spot = kind == KIND_SPOT;
      store<f64>(o + <usize>OUT_VALUE * stride, spot ? cs * S : 0.0);
      store<f64>(o + <usize>OUT_DELTA * stride, spot ? cs : cs * load<f64>(pF + at) / S);
      store<f64>(o + <usize>OUT_GAMMA * stride, 0.0);
      store<f64>(o + <usize>OUT_VEGA * stride, 0.0);
      store<f64>(o + <usize>OUT_THETA * stride, 0.0);
    }
  }
  return allFinite(out, NGREEKS * n) ? STATUS_OK : STATUS_NOT_FINITE;
}
