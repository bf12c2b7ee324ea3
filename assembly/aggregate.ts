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
  }
  // Positions are taken four (then two, then one) at a time while they share a row: each pass
  // loads and stores the output row once for up to four cube rows. Every lane still adds the
  // positions' terms one at a time in position order, so the sums are those of one pass per
  // position, bit for bit.
  let p = 0;
  while (p < nPos) {
    const row = load<i32>(posRow + (<usize>p << 2));
    let b = 1;
    while (b < 4 && p + b < nPos && load<i32>(posRow + (<usize>(p + b) << 2)) == row) b++;
    if (b == 3) b = 2;
    const dst = out + <usize>row * rowBytes;
    const s0 = cube + <usize>load<i32>(posInstr + (<usize>p << 2)) * rowBytes;
    const q0 = f64x2.splat(load<f64>(posQty + (<usize>p << 3)));
    if (b == 4) {
      const s1 = cube + <usize>load<i32>(posInstr + (<usize>(p + 1) << 2)) * rowBytes;
      const s2 = cube + <usize>load<i32>(posInstr + (<usize>(p + 2) << 2)) * rowBytes;
      const s3 = cube + <usize>load<i32>(posInstr + (<usize>(p + 3) << 2)) * rowBytes;
      const q1 = f64x2.splat(load<f64>(posQty + (<usize>(p + 1) << 3)));
      const q2 = f64x2.splat(load<f64>(posQty + (<usize>(p + 2) << 3)));
      const q3 = f64x2.splat(load<f64>(posQty + (<usize>(p + 3) << 3)));
      for (let o: usize = 0; o < rowBytes; o += 16) {
        let acc = f64x2.add(v128.load(dst + o), f64x2.mul(q0, v128.load(s0 + o)));
        acc = f64x2.add(acc, f64x2.mul(q1, v128.load(s1 + o)));
        acc = f64x2.add(acc, f64x2.mul(q2, v128.load(s2 + o)));
        v128.store(dst + o, f64x2.add(acc, f64x2.mul(q3, v128.load(s3 + o))));
      }
    } else if (b == 2) {
      const s1 = cube + <usize>load<i32>(posInstr + (<usize>(p + 1) << 2)) * rowBytes;
      const q1 = f64x2.splat(load<f64>(posQty + (<usize>(p + 1) << 3)));
      for (let o: usize = 0; o < rowBytes; o += 16) {
        const acc = f64x2.add(v128.load(dst + o), f64x2.mul(q0, v128.load(s0 + o)));
        v128.store(dst + o, f64x2.add(acc, f64x2.mul(q1, v128.load(s1 + o))));
      }
    } else {
      for (let o: usize = 0; o < rowBytes; o += 16) {
        v128.store(dst + o, f64x2.add(v128.load(dst + o), f64x2.mul(q0, v128.load(s0 + o))));
      }
    }
    p += b;
  }
  return STATUS_OK;
}
