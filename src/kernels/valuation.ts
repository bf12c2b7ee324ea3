/**
 * Host side of the valuation kernels (assembly/valuation-simd.ts, exported as valueInstruments,
 * and the scalar assembly/valuation.ts, valueInstrumentsScalar): value and sensitivities of one
 * contract of every instrument of a table.
 */
import type { Arena } from '../wasm/arena.js';
import { NCOLS, NGREEKS, STATUS_NOT_FINITE, STATUS_OK } from '../layout.js';
import { KernelError } from './error.js';
import { F64Region, hostError, kernelFunction } from './region.js';

type ValueKernel = (table: number, n: number, out: number) => number;

/** What a valuation computed: NGREEKS columns of n f64, and whether one of them is NaN or infinite. */
export interface ValuationOutcome {
  /** A copy: OUT_VALUE .. OUT_THETA columns of n values each. */
  values: Float64Array;
  /** STATUS_NOT_FINITE: a value is NaN or infinite (data: the caller names the instrument). */
  notFinite: boolean;
}

/**
 * The valuation kernel with its table and output regions. `scalar` picks valueInstrumentsScalar
 * (the same numbers; for tests and benchmarks). A status other than STATUS_OK and
 * STATUS_NOT_FINITE (an unknown instrument kind) is a KernelError.
 */
export class ValuationKernel {
  private readonly table: F64Region;
  private readonly out: F64Region;
  private readonly kernel: ValueKernel;
  readonly name: string;

  constructor(readonly arena: Arena, options: { scalar?: boolean } = {}) {
    this.name = options.scalar ? 'valueInstrumentsScalar' : 'valueInstruments';
    this.kernel = options.scalar ? kernelFunction<ValueKernel>(arena, this.name) : arena.kernels.valueInstruments;
    this.table = new F64Region(arena);
    this.out = new F64Region(arena);
  }

  /** Values the `n` instruments of `table` (NCOLS columns of n f64, src/layout.ts). */
  value(table: Float64Array, n: number): ValuationOutcome {
    if (!Number.isInteger(n) || n < 0 || table.length < NCOLS * n) {
      throw hostError('valueTable', `table of ${table.length} values cannot hold ${n} instruments`);
    }
    const tablePtr = this.table.put(table.subarray(0, NCOLS * n));
    const outPtr = this.out.ensure(NGREEKS * n);
    const status = this.run(tablePtr, n, outPtr);
    return { values: this.out.f64(NGREEKS * n).slice(), notFinite: status === STATUS_NOT_FINITE };
  }

  /**
   * The kernel on a table already in memory, into `outPtr` (NGREEKS x n f64): returns STATUS_OK
   * or STATUS_NOT_FINITE, throws a KernelError for any other status.
   */
  run(tablePtr: number, n: number, outPtr: number): number {
    const status = this.kernel(tablePtr, n, outPtr);
    if (status !== STATUS_OK && status !== STATUS_NOT_FINITE) throw new KernelError(this.name, status);
    // American rows (docs/methods.md §3.6) over the European numbers.
    const am = this.arena.kernels.valueAmerican(tablePtr, n, outPtr);
    if (am !== STATUS_OK && am !== STATUS_NOT_FINITE) throw new KernelError('valueAmerican', am);
    return status === STATUS_OK ? am : status;
  }
}

/**
 * Values one contract of each of the `n` instruments of `table` (NCOLS columns of n f64,
 * src/layout.ts) in WebAssembly. Returns NGREEKS columns of n f64 (OUT_VALUE, OUT_DELTA,
 * OUT_GAMMA, OUT_VEGA, OUT_THETA): value, dV/dS, d2V/dS2, dV/dvol per 1.00 of vol and dV/dt per
 * year of calendar time, each per contract. The arena is returned to its mark before returning.
 * Throws a KernelError (code E_INTERNAL) when the table is too short or the kernel reports a bad
 * status (an unknown instrument kind). A NaN or infinite output is returned as it is (the kernel
 * reports it with STATUS_NOT_FINITE): the caller names it (valueMarket).
 */
export function valueTable(arena: Arena, table: Float64Array, n: number): Float64Array {
  const mark = arena.mark();
  try {
    return new ValuationKernel(arena).value(table, n).values;
  } finally {
    arena.release(mark);
  }
}
