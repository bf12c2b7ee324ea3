/**
 * Host side of the cube kernel (assembly/revalue-simd.ts, exported as revalue, and the scalar
 * assembly/revalue.ts, revalueScalar): the P&L of rows first .. first+count-1 of an instrument
 * table under a scenario set, into a cube laid out by the caller (src/cube/cube.ts lays it out).
 * The pointers are the caller's: the cube and its inputs belong to the cube, not to this wrapper.
 */
import { Arena } from '../wasm/arena.js';
import type { KernelExports } from '../wasm/module.js';
import { STATUS_NOT_FINITE, STATUS_OK } from '../layout.js';
import { KernelError } from './error.js';

type RevalueFn = KernelExports['revalue'];
type AmericanFn = KernelExports['revalueAmerican'];

/** Where the kernel reads and writes: byte offsets in the kernels' memory and the counts. */
export interface RevalueArgs {
  /** Instrument table, NCOLS columns of `nInstruments` f64 (src/layout.ts). */
  table: number;
  nInstruments: number;
  /** nUnderlyings rows of `stride` f64. */
  spotMult: number;
  nUnderlyings: number;
  /** nUnderlyings rows of `stride` f64. */
  volShock: number;
  /** nInstruments f64. */
  volWeight: number;
  horizonYears: number;
  nScen: number;
  stride: number;
  /** The cube: nInstruments rows of `stride` f64. */
  cube: number;
}

/**
 * The revalue kernel (or, with `scalar`, revalueScalar). rows() returns true, or false when a
 * cell is NaN or infinite (STATUS_NOT_FINITE, data: the rows are written and the caller names the
 * cell); any other status is a KernelError.
 */
export class RevalueKernel {
  readonly name: 'revalue' | 'revalueScalar';
  private readonly fn: RevalueFn;
  private readonly american: AmericanFn;

  constructor(kernels: KernelExports | Arena, options: { scalar?: boolean } = {}) {
    const k = kernels instanceof Arena ? kernels.kernels : kernels;
    this.name = options.scalar ? 'revalueScalar' : 'revalue';
    const fn = options.scalar ? k.revalueScalar : k.revalue;
    if (typeof fn !== 'function') throw KernelError.host(this.name, 'the WebAssembly module has no such export');
    this.fn = fn as RevalueFn;
    this.american = k.revalueAmerican;
  }

  /** True when the build exports the scalar kernel (it is for tests and benchmarks). */
  static hasScalar(kernels: KernelExports): boolean {
    return typeof kernels.revalueScalar === 'function';
  }

  /**
   * Rows first .. first+count-1 of the cube: the European kernel, then revalueAmerican over the
   * American rows of the table (docs/methods.md §3.6; it leaves every other row as it is).
   */
  rows(a: RevalueArgs, first: number, count: number): boolean {
    const status = this.fn(a.table, a.nInstruments, first, count, a.spotMult, a.nUnderlyings, a.volShock, a.volWeight,
      a.horizonYears, a.nScen, a.stride, a.cube);
    if (status !== STATUS_NOT_FINITE && status !== STATUS_OK) throw new KernelError(this.name, status);
    const am = this.american(a.table, a.nInstruments, first, count, a.spotMult, a.nUnderlyings, a.volShock, a.volWeight, 0,
      a.horizonYears, a.nScen, a.stride, a.cube);
    if (am !== STATUS_NOT_FINITE && am !== STATUS_OK) throw new KernelError('revalueAmerican', am);
    return status === STATUS_OK && am === STATUS_OK;
  }
}
