/**
 * Host side of vmathMap (assembly/vmath-map.ts): one of the vector elementary functions (exp, log,
 * the normal CDF and density) or, with VMATH_SCALAR added to the code, its scalar counterpart,
 * applied to an array: for tests and benchmarks of those functions.
 */
import type { Arena } from '../wasm/arena.js';
import { STATUS_OK } from '../layout.js';
import { KernelError } from './error.js';
import { F64Region, kernelFunction } from './region.js';

export { VMATH_EXP, VMATH_LOG, VMATH_NORM_CDF, VMATH_NORM_PDF, VMATH_SCALAR } from '../layout.js';

type VmathFn = (op: number, x: number, n: number, out: number) => number;

export class VmathKernel {
  private readonly x: F64Region;
  private readonly out: F64Region;
  private readonly fn: VmathFn;

  constructor(readonly arena: Arena) {
    this.fn = kernelFunction<VmathFn>(arena, 'vmathMap');
    this.x = new F64Region(arena);
    this.out = new F64Region(arena);
  }

  /** op(x) for every value (a copy). A refused operation code is a KernelError. */
  map(op: number, xs: ArrayLike<number>): Float64Array {
    const n = xs.length;
    const px = this.x.put(xs);
    const po = this.out.ensure(n);
    const status = this.fn(op, px, n, po);
    if (status !== STATUS_OK) throw new KernelError('vmathMap', status);
    return this.out.f64(n).slice();
  }
}
