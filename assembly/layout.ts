// Memory layout shared by every kernel. The host (src/layout.ts) mirrors these numbers and a
// test checks that both sides agree.
//
// Instrument table: NCOLS columns of f64, each `n` long, column c at `table + c * n * 8`.
// Kinds: a code per instrument.

/** Spot: value contractSize * S. */
export const KIND_SPOT: i32 = 0;
/** Future or perpetual: value 0, P&L contractSize * F * (S'/S - 1). */
export const KIND_LINEAR: i32 = 1;
/** European call (generalised Black-Scholes-Merton). */
export const KIND_CALL: i32 = 2;
/** European put (generalised Black-Scholes-Merton). */
export const KIND_PUT: i32 = 3;

export const COL_KIND: i32 = 0;
export const COL_S: i32 = 1;
export const COL_K: i32 = 2;
export const COL_T: i32 = 3;
export const COL_R: i32 = 4;
export const COL_Q: i32 = 5;
export const COL_VOL: i32 = 6;
export const COL_CS: i32 = 7;
export const COL_F: i32 = 8;
export const COL_U: i32 = 9;
export const NCOLS: i32 = 10;

/** Valuation output: NGREEKS columns of f64, each `n` long. */
export const OUT_VALUE: i32 = 0;
export const OUT_DELTA: i32 = 1;
export const OUT_GAMMA: i32 = 2;
export const OUT_VEGA: i32 = 3;
export const OUT_THETA: i32 = 4;
export const NGREEKS: i32 = 5;

/** Status codes every kernel returns. Kernels never throw. */
export const STATUS_OK: i32 = 0;
export const STATUS_BAD_ARGUMENT: i32 = 1;

/** Address of column `c` of a table of `n` rows. */
// @ts-ignore: decorator
@inline export function col(table: usize, c: i32, n: i32): usize {
  return table + ((<usize>c * <usize>n) << 3);
}
