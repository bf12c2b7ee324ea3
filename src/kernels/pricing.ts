/**
 * Host side of the pricing kernels assembly/black76.ts (European options on a future, Black-76)
 * and assembly/american.ts (American options, Bjerksund-Stensland 2002): small typed functions
 * over an instrument table in kernel layout (src/layout.ts), through an Arena on the instantiated
 * kernels (src/wasm/). Formulas and conventions: docs/pricing.md.
 */
import type { Arena } from '../wasm/arena.js';
import { NCOLS, NGREEKS, STATUS_OK, STATUS_ROW_ERRORS } from '../layout.js';
import { KernelError } from './error.js';
import { F64Region, I32Region, hostError, kernelFunction } from './region.js';

/**
 * Row statuses (assembly/layout.ts): PRICE_OK, the row's numbers are valid; PRICE_BAD_INPUT, an
 * input is outside the kernel's domain, the row's numbers are 0; PRICE_NON_FINITE, the inputs are
 * in the domain but a result is not finite, the row's numbers are 0. STATUS_ROW_ERRORS, the
 * kernel status: some rows are not PRICE_OK, the others are valid.
 */
export { PRICE_OK, PRICE_BAD_INPUT, PRICE_NON_FINITE, STATUS_ROW_ERRORS } from '../layout.js';

type PricingKernel = (table: number, n: number, out: number, rowStatus: number) => number;

/** The result of a pricing kernel: its numbers, and one status per row (PRICE_OK or an error). */
export interface PricedTable {
  /** black76Table: NGREEKS columns of n (OUT_VALUE .. OUT_THETA); americanTable: one column of n values. */
  values: Float64Array;
  /** One status per option: PRICE_OK, PRICE_BAD_INPUT or PRICE_NON_FINITE (whose numbers are 0). */
  rowStatus: Int32Array;
}

/**
 * One table pricing kernel (black76Instruments: NGREEKS outputs a row; americanInstruments: one)
 * with its table, output and row-status regions. The row statuses are data (returned); a kernel
 * status other than STATUS_OK and STATUS_ROW_ERRORS (a kind that is not an option) is a KernelError.
 */
export class TablePricer {
  private readonly table: F64Region;
  private readonly out: F64Region;
  private readonly rows: I32Region;
  private readonly kernel: PricingKernel;

  constructor(readonly arena: Arena, readonly name: 'black76Instruments' | 'americanInstruments') {
    this.kernel = kernelFunction<PricingKernel>(arena, name);
    this.nOut = name === 'black76Instruments' ? NGREEKS : 1;
    this.table = new F64Region(arena);
    this.out = new F64Region(arena);
    this.rows = new I32Region(arena);
  }

  /** Outputs a row: NGREEKS (Black-76) or 1 (American). */
  readonly nOut: number;

  price(table: Float64Array, n: number): PricedTable {
    if (!Number.isInteger(n) || n < 0 || table.length < NCOLS * n) {
      throw hostError(this.name, `table of ${table.length} values cannot hold ${n} instruments`);
    }
    const tablePtr = this.table.put(table.subarray(0, NCOLS * n));
    const outPtr = this.out.ensure(this.nOut * n);
    const statusPtr = this.rows.ensure(n);
    const status = this.kernel(tablePtr, n, outPtr, statusPtr);
    if (status !== STATUS_OK && status !== STATUS_ROW_ERRORS) throw new KernelError(this.name, status);
    return { values: this.out.f64(this.nOut * n).slice(), rowStatus: this.rows.i32(n).slice() };
  }
}

/**
 * The scalar pricing functions of the module, typed (they return a number and have no status):
 * for tests and diagnostics against the plain-TypeScript twins in src/reference/.
 */
export class ScalarPricers {
  /** Black-76 price of one option on a future (assembly/black76.ts); NaN outside the domain. */
  readonly black76Price: (isCall: number, F: number, K: number, T: number, r: number, vol: number) => number;
  /** Bjerksund-Stensland 2002 price of one American option (assembly/american.ts). */
  readonly americanPrice: (isCall: number, S: number, K: number, T: number, r: number, q: number, vol: number) => number;
  /** Generalised BSM price, scalar (assembly/bsm.ts). */
  readonly bsmPriceScalar: (isCall: number, S: number, K: number, T: number, r: number, q: number, vol: number) => number;
  /** Generalised BSM price through the two-lane SIMD path (assembly/bsm.ts, exported as bsmPrice). */
  readonly bsmPriceLane: (isCall: number, S: number, K: number, T: number, r: number, q: number, vol: number) => number;
  /** Bivariate normal CDF (assembly/american.ts). */
  readonly bivariateNormal: (a: number, b: number, rho: number) => number;
  /** Standard normal CDF and density (assembly/normal.ts). */
  readonly normCdf: (x: number) => number;
  readonly normPdf: (x: number) => number;

  constructor(arena: Arena) {
    this.black76Price = kernelFunction(arena, 'black76Price');
    this.americanPrice = kernelFunction(arena, 'americanPrice');
    this.bsmPriceScalar = kernelFunction(arena, 'bsmPriceScalar');
    this.bsmPriceLane = kernelFunction(arena, 'bsmPrice');
    this.bivariateNormal = kernelFunction(arena, 'bivariateNormal');
    this.normCdf = kernelFunction(arena, 'normCdf');
    this.normPdf = kernelFunction(arena, 'normPdf');
  }
}

function run(arena: Arena, name: 'black76Instruments' | 'americanInstruments', table: Float64Array, n: number): PricedTable {
  const mark = arena.mark();
  try {
    return new TablePricer(arena, name).price(table, n);
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
 * Throws a KernelError (code E_INTERNAL) when the table is too short or a kind is not an option.
 */
export function black76Table(arena: Arena, table: Float64Array, n: number): PricedTable {
  return run(arena, 'black76Instruments', table, n);
}

/**
 * Bjerksund-Stensland (2002) value of one contract of each of the `n` American options of
 * `table` (kinds KIND_CALL or KIND_PUT; S, K, T, r, q, vol and CS read). values: one column of n
 * values per contract. Row statuses and errors as black76Table.
 */
export function americanTable(arena: Arena, table: Float64Array, n: number): PricedTable {
  return run(arena, 'americanInstruments', table, n);
}
