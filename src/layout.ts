/**
 * Memory layout shared with the WebAssembly kernels. The numbers (column indices, kinds, output
 * offsets, status codes, row statuses, draw and distribution codes) have one source,
 * assembly/layout.ts, from which scripts/gen-layout.mjs writes src/layout-constants.ts, re-exported
 * here; the host checks the module's globals against them when it instantiates it
 * (src/wasm/module.ts) and test/layout.test.ts checks every name on both sides.
 *
 * Instrument table: NCOLS columns of f64, each `n` long; column c starts at `table + c * n * 8`.
 */
export * from './layout-constants.js';

/** Seconds in the ACT/365F year (docs/methods.md). */
export const YEAR_SECONDS = 365 * 86400;

/** Scenario columns per cube row: nScen rounded up to even, so that f64x2 lanes never straddle rows. */
export function paddedStride(nScen: number): number {
  return nScen + (nScen & 1);
}
