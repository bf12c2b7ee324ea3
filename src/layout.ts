/**
 * Memory layout shared with the WebAssembly kernels (assembly/layout.ts). A test checks that the
 * numbers here equal the ones the module exports.
 *
 * Instrument table: NCOLS columns of f64, each `n` long; column c starts at `table + c * n * 8`.
 */
export const KIND_SPOT = 0;
export const KIND_LINEAR = 1;
export const KIND_CALL = 2;
export const KIND_PUT = 3;

export const COL_KIND = 0;
export const COL_S = 1;
export const COL_K = 2;
export const COL_T = 3;
export const COL_R = 4;
export const COL_Q = 5;
export const COL_VOL = 6;
export const COL_CS = 7;
export const COL_F = 8;
export const COL_U = 9;
export const NCOLS = 10;

export const OUT_VALUE = 0;
export const OUT_DELTA = 1;
export const OUT_GAMMA = 2;
export const OUT_VEGA = 3;
export const OUT_THETA = 4;
export const NGREEKS = 5;

export const STATUS_OK = 0;
export const STATUS_BAD_ARGUMENT = 1;
/** A value a kernel read or computed is NaN or infinite (assembly/layout.ts). */
export const STATUS_NOT_FINITE = 2;
/** Some rows of a per-row kernel carry a row status other than OK (assembly/layout.ts). */
export const STATUS_ROW_ERRORS = 3;

/** Seconds in the ACT/365F year (docs/methods.md §1.5). */
export const YEAR_SECONDS = 365 * 86400;

/** Scenario columns per cube row: nScen rounded up to even, so that f64x2 lanes never straddle rows. */
export function paddedStride(nScen: number): number {
  return nScen + (nScen & 1);
}
