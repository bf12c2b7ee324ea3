/**
 * Host side of the pricing kernels assembly/black76.ts (European options on a future, Black-76)
 * and assembly/american.ts (American options, Bjerksund-Stensland 2002): small typed functions
 * over an instrument table in kernel layout (src/layout.ts), through an Arena on the instantiated
 * kernels (src/wasm/). Formulas and conventions: docs/pricing.md.
 */
import type { Arena } from '../wasm/arena.js';
import type { ErrorCode } from '../errors.js';
import { NCOLS, NGREEKS, STATUS_OK, STATUS_ROW_ERRORS } from '../layout.js';

/** Row status: the row's numbers are valid. Mirrors the module's PRICE_OK (a test checks). */
export const PRICE_OK = 0;
/** Row status: an input is outside the kernel's domain; the row's numbers are 0. */
export const PRICE_BAD_INPUT = 1;
/** Row status: the inputs are in the domain but a result is not finite; the row's numbers are 0. */
export const PRICE_NON_FINITE = 2;
/** Kernel status: some rows are not PRICE_OK, the others are valid (src/layout.ts). */
export { STATUS_ROW_ERRORS } from '../layout.js';

type PricingKernel = (table: number, n: number, out: number, rowStatus: number) => number;

/** The result of a pricing kernel: its numbers, and one status per row (PRICE_OK or an error). */
export interface PricedTable {
  /** black76Table: NGREEKS columns of n (OUT_VALUE .. OUT_THETA); americanTable: one column of n values. */
  values: Float64Array;
  /** One status per option: PRICE_OK, PRICE_BAD_INPUT or PRICE_NON_FINITE (whose numbers are 0). */
  rowStatus: Int32Array;
}

/** An error carrying the E_INTERNAL code: a kernel refused arguments the host built. */
function internalError(message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(message), { code: 'E_INTERNAL' as const });
}

function run(arena: Arena, name: string, table: Float64Array, n: number, nOut: number): PricedTable {
  if (!Number.isInteger(n) || n < 0 || table.length < NCOLS * n) {
    throw internalError(`${name}: table of ${table.length} values cannot hold ${n} instruments`);
  }
  const kernel = arena.kernels[name] as PricingKernel;
  const mark = arena.mark();
  try {
    const tablePtr = arena.putF64(table.subarray(0, NCOLS * n));
    const outPtr = arena.allocF64(nOut * n);
    const statusPtr = arena.allocI32(n);
    const status = kernel(tablePtr, n, outPtr, statusPtr);
    if (status !== STATUS_OK && status !== STATUS_ROW_ERRORS) throw internalError(`${name} returned status ${status}`);
    // Fresh views: allocation may have grown (and detached) the memory buffer.
    return { values: arena.f64(outPtr, nOut * n).slice(), rowStatus: arena.i32(statusPtr, n).slice() };
  } finally {
    arena.release(mark);
  }
}

/**
 * Black-76 value and sensitivities of one contract of each of the `n` European options of
 * `table` (kinds KIND_CALL or KIND_PUT; the future's price in COL_F, K, T, r, vol and CS read;
 * COL_S and COL_Q ignored). values: NGREEKS columns of n, value, dV/dF, d2V/dF2, dV/dvol per 1.00
 * of vol and dV/dt per year with F fixed, each per contract. Rows with a bad input or a
 * non-finite result have their status set and 0 in their numbers; the other rows are unaffected.
 * Throws an Error with code E_INTERNAL when the table is too short or a kind is not an option.
 */
export function black76Table(arena: Arena, table: Float64Array, n: number): PricedTable {
  return run(arena, 'black76Instruments', table, n, NGREEKS);
}

/**
 * Bjerksund-Stensland (2002) value of one contract of each of the `n` American options of
 * `table` (kinds KIND_CALL or KIND_PUT; S, K, T, r, q, vol and CS read). values: one column of n
 * values per contract. Row statuses and errors as black76Table.
 */
export function americanTable(arena: Arena, table: Float64Array, n: number): PricedTable {
  return run(arena, 'americanInstruments', table, n, 1);
}
