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
/**
 * A number the kernel read or computed is NaN or infinite (an input too large, or an overflow):
 * the kernel finished its work (outputs written) and reports it; it never turns the value into a
 * number. The host finds the value and reports it as an input error.
 */
export const STATUS_NOT_FINITE: i32 = 2;
/** Some rows of a per-row kernel (the pricing kernels) carry a row status other than OK; the others are valid. */
export const STATUS_ROW_ERRORS: i32 = 3;

/** True when x is neither NaN nor infinite. */
// @ts-ignore: decorator
@inline export function finite(x: f64): bool { return x - x == 0.0; }

/**
 * True when the `count` f64 at `p` are all finite (neither NaN nor infinite): (x - x) is 0 for a
 * finite x and NaN otherwise, so the sum of those terms is 0 exactly when every value is finite.
 * Reads only; no alignment needed.
 */
export function allFinite(p: usize, count: i32): bool {
  let acc = f64x2.splat(0.0);
  let i = 0;
  for (; i + 2 <= count; i += 2) {
    const v = v128.load(p + (<usize>i << 3));
    acc = f64x2.add(acc, f64x2.sub(v, v));
  }
  let a = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (i < count) { const x = load<f64>(p + (<usize>i << 3)); a += x - x; }
  return a == 0.0;
}

/** Address of column `c` of a table of `n` rows. */
// @ts-ignore: decorator
@inline export function col(table: usize, c: i32, n: i32): usize {
  return table + ((<usize>c * <usize>n) << 3);
}
