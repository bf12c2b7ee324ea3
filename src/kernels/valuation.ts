/**
 * Host side of the valuation kernel (assembly/valuation.ts): value and sensitivities of one
 * contract of every instrument of a table.
 */
import type { Arena } from '../wasm/arena.js';
import type { ErrorCode } from '../errors.js';
import { NCOLS, NGREEKS, STATUS_NOT_FINITE, STATUS_OK } from '../layout.js';

/** An error carrying the E_INTERNAL code: a kernel refused arguments the host built. */
function internalError(message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(message), { code: 'E_INTERNAL' as const });
}

/**
 * Values one contract of each of the `n` instruments of `table` (NCOLS columns of n f64,
 * src/layout.ts) in WebAssembly. Returns NGREEKS columns of n f64 (OUT_VALUE, OUT_DELTA,
 * OUT_GAMMA, OUT_VEGA, OUT_THETA): value, dV/dS, d2V/dS2, dV/dvol per 1.00 of vol and dV/dt per
 * year of calendar time, each per contract. The arena is returned to its mark before returning.
 * Throws an Error with code E_INTERNAL when the table is too short or the kernel reports a bad
 * status (an unknown instrument kind). A NaN or infinite output is returned as it is (the kernel
 * reports it with STATUS_NOT_FINITE): the caller names it (valueMarket).
 */
export function valueTable(arena: Arena, table: Float64Array, n: number): Float64Array {
  if (!Number.isInteger(n) || n < 0 || table.length < NCOLS * n) {
    throw internalError(`valueTable: table of ${table.length} values cannot hold ${n} instruments`);
  }
  const mark = arena.mark();
  try {
    const tablePtr = arena.putF64(table.subarray(0, NCOLS * n));
    const outPtr = arena.allocF64(NGREEKS * n);
    const status = arena.kernels.valueInstruments(tablePtr, n, outPtr);
    if (status !== STATUS_OK && status !== STATUS_NOT_FINITE) throw internalError(`valueInstruments returned status ${status}`);
    // A fresh view: allocation may have grown (and detached) the memory buffer.
    return arena.f64(outPtr, NGREEKS * n).slice();
  } finally {
    arena.release(mark);
  }
}
