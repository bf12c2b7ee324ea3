// The aggregation kernel: sparse positions x P&L cube.
import { STATUS_OK, STATUS_BAD_ARGUMENT } from './layout';

/**
 * Sums positions into P&L rows: `out[row * stride + s] = sum over positions p with posRow[p] ==
 * row of posQty[p] * cube[posInstr[p] * stride + s]`, for s in 0..stride-1 (the whole padded
 * row: the cube's padding is 0, so the output's is too). `out` holds nRows rows and is
 * overwritten. `stride` must be even and every pointer 16-byte aligned (f64x2 lanes).
 * With every posRow 0 it is the portfolio's P&L vector; with one row per underlying it is the
 * per-underlying P&L of the grid method. Returns STATUS_BAD_ARGUMENT for a negative count, an
 * odd stride or a row index outside [0, nRows); the instrument indices are trusted (the host
 * resolved them). Allocates nothing.
 */
export function aggregate(
  cube: usize, stride: i32, nScen: i32, posInstr: usize, posQty: usize, posRow: usize,
  nPos: i32, out: usize, nRows: i32,
): i32 {
  if (stride < nScen || nScen < 0 || nPos < 0 || nRows < 0 || (stride & 1) != 0) return STATUS_BAD_ARGUMENT;
  const rowBytes = <usize>stride << 3;
  const total = <usize>nRows * rowBytes;
  const zero = f64x2.splat(0.0);
  for (let o: usize = 0; o < total; o += 16) v128.store(out + o, zero);
  for (let p = 0; p < nPos; p++) {
    const row = load<i32>(posRow + (<usize>p << 2));
    if (row < 0 || row >= nRows) return STATUS_BAD_ARGUMENT;
    const src = cube + <usize>load<i32>(posInstr + (<usize>p << 2)) * rowBytes;
    const dst = out + <usize>row * rowBytes;
    const q = f64x2.splat(load<f64>(posQty + (<usize>p << 3)));
    for (let o: usize = 0; o < rowBytes; o += 16) {
      v128.store(dst + o, f64x2.add(v128.load(dst + o), f64x2.mul(q, v128.load(src + o))));
    }
  }
  return STATUS_OK;
}
