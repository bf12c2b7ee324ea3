// Memory layout and codes shared by every kernel and the host: the one source of these numbers.
// Every `export const` below is re-exported by assembly/index.ts (so the module carries it as a
// global) and copied into src/layout-constants.ts by scripts/gen-layout.mjs (run by
// `npm run build:wasm`); test/layout.test.ts checks that the three agree, name by name, and the
// host checks the module's globals when it instantiates it (src/wasm/module.ts).
// Only `export const NAME: i32|f64 = literal;` lines, each after its doc comment, belong here.
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
/** An option's exercise style: STYLE_EUROPEAN or STYLE_AMERICAN; STYLE_EUROPEAN for other instruments. */
export const COL_STYLE: i32 = 10;
export const NCOLS: i32 = 11;

/** European exercise (generalised Black-Scholes-Merton, Black-76 for an option on a future). */
export const STYLE_EUROPEAN: i32 = 0;
/** American exercise (Bjerksund-Stensland 2002, assembly/american.ts). */
export const STYLE_AMERICAN: i32 = 1;

/** Valuation output: NGREEKS columns of f64, each `n` long. */
export const OUT_VALUE: i32 = 0;
export const OUT_DELTA: i32 = 1;
export const OUT_GAMMA: i32 = 2;
export const OUT_VEGA: i32 = 3;
export const OUT_THETA: i32 = 4;
export const NGREEKS: i32 = 5;

/** Status codes every kernel returns. Kernels never throw. STATUS_OK: the kernel did its work. */
export const STATUS_OK: i32 = 0;
/** The arguments are outside what the kernel accepts (a host bug); nothing, or not everything, was written. */
export const STATUS_BAD_ARGUMENT: i32 = 1;
/**
 * A number the kernel read or computed is NaN or infinite (an input too large, or an overflow):
 * the kernel finished its work (outputs written) and reports it; it never turns the value into a
 * number. The host finds the value and reports it as an input error.
 */
export const STATUS_NOT_FINITE: i32 = 2;
/** Some rows of a per-row kernel (the pricing kernels) carry a row status other than OK; the others are valid. */
export const STATUS_ROW_ERRORS: i32 = 3;

/** Row status of the pricing kernels (black76Instruments, americanInstruments): the row's results are written. */
export const PRICE_OK: i32 = 0;
/** Row status: an input is outside the documented domain (NaN, an infinity, a negative price...); zeros written. */
export const PRICE_BAD_INPUT: i32 = 1;
/** Row status: the inputs are in the domain but a result is not finite (overflow); zeros written. */
export const PRICE_NON_FINITE: i32 = 2;

/** Axis code of a volatility surface (surfaceVols): log-moneyness ln(K / F). */
export const SURFACE_AXIS_MONEYNESS: i32 = 0;
/** Axis code of a volatility surface: log-strike ln(K). */
export const SURFACE_AXIS_STRIKE: i32 = 1;
/** Status of surfaceVols: every lookup was computed, but at least one had unusable inputs and got NaN. */
export const SURFACE_BAD_LOOKUP: i32 = 2;

/** Draw kind of rngSample: the uniforms of stream 0, in (0, 1). */
export const RNG_UNIFORM: i32 = 0;
/** Draw kind of rngSample: the standard normals of stream 0 (the y of the shock kernel). */
export const RNG_NORMAL: i32 = 1;
/** Draw kind of rngSample: the scenario's chi-squared variate (nPer 1). */
export const RNG_CHI_SQUARED: i32 = 2;
/** Largest seed + 1: seeds are integers in [0, 2^53). */
export const SEED_LIMIT: f64 = 9007199254740992.0;

/** Distribution code of esShocks: normal. */
export const SHOCK_NORMAL: i32 = 0;
/** Distribution code of esShocks: Student-t of unit variance. */
export const SHOCK_STUDENT_T: i32 = 1;

/** Output of esTail and esTailIndex: TAIL_NOUT f64, VaR at TAIL_VAR, ES at TAIL_ES, k at TAIL_K, m at TAIL_M. */
export const TAIL_VAR: i32 = 0;
export const TAIL_ES: i32 = 1;
export const TAIL_K: i32 = 2;
export const TAIL_M: i32 = 3;
export const TAIL_NOUT: i32 = 4;

/** Operation code of vmathMap: exp. */
export const VMATH_EXP: i32 = 0;
/** Operation code of vmathMap: log. */
export const VMATH_LOG: i32 = 1;
/** Operation code of vmathMap: the standard normal CDF. */
export const VMATH_NORM_CDF: i32 = 2;
/** Operation code of vmathMap: the standard normal density. */
export const VMATH_NORM_PDF: i32 = 3;
/** Add to an operation code for the scalar function (Math.exp, Math.log, normCdf, normPdf). */
export const VMATH_SCALAR: i32 = 4;

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

/**
 * The cube kernels' argument check: rows first .. first+count-1 lie in [0, n), the counts are not
 * negative, stride >= nScen, and every row's underlying (COL_U) is in [0, nU).
 */
// @ts-ignore: decorator
@inline export function rowsOk(table: usize, n: i32, first: i32, count: i32, nU: i32, nScen: i32, stride: i32): bool {
  if (n < 0 || first < 0 || count < 0 || first + count > n || nU < 0 || nScen < 0 || stride < nScen) return false;
  const pU = col(table, COL_U, n);
  for (let i = first; i < first + count; i++) {
    const u = <i32>load<f64>(pU + (<usize>i << 3));
    if (u < 0 || u >= nU) return false;
  }
  return true;
}
