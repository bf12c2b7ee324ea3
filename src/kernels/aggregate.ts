/**
 * Host side of the aggregation kernel (assembly/aggregate.ts): sparse positions x P&L cube into
 * P&L rows, out[row * stride + s] = sum of posQty[p] * cube[posInstr[p] * stride + s] over the
 * positions p of the row (docs/methods.md). The wrapper owns the position regions (instrument,
 * quantity and row of each position) and the output rows, grown on demand; the cube is the caller's.
 */
import type { Arena } from '../wasm/arena.js';
import { STATUS_OK } from '../layout.js';
import { KernelError } from './error.js';
import { F64Region, I32Region } from './region.js';

export class AggregateKernel {
  private readonly posInstr: I32Region;
  private readonly posQty: F64Region;
  private readonly posRow: I32Region;
  private readonly out: F64Region;

  constructor(readonly arena: Arena) {
    this.posInstr = new I32Region(arena);
    this.posQty = new F64Region(arena);
    this.posRow = new I32Region(arena);
    this.out = new F64Region(arena);
  }

  /**
   * Aggregates the positions (instrument row of the cube, quantity, output row in [0, nRows)) over
   * the cube at `cube` (rows of `stride` f64, `nScen` of them scenarios). Returns a live view of
   * the nRows x stride output (valid until the next call or allocation). A refused argument (an
   * odd stride, a row out of range) is a KernelError.
   */
  aggregate(cube: number, stride: number, nScen: number, instr: ArrayLike<number>, qty: ArrayLike<number>,
    row: ArrayLike<number>, nRows: number): Float64Array {
    const nPos = instr.length;
    if (qty.length !== nPos || row.length !== nPos) {
      throw KernelError.host('aggregate', `${nPos} instruments, ${qty.length} quantities, ${row.length} rows`);
    }
    const pI = this.posInstr.put(instr);
    const pQ = this.posQty.put(qty);
    const pR = this.posRow.put(row);
    const out = this.out.ensure(Math.max(1, nRows * stride));
    const status = this.arena.kernels.aggregate(cube, stride, nScen, pI, pQ, pR, nPos, out, nRows);
    if (status !== STATUS_OK) throw new KernelError('aggregate', status);
    return this.out.f64(nRows * stride);
  }
}
