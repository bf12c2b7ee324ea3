// Kernel: applies one of the vector elementary functions (assembly/vmath.ts, assembly/normal.ts)
// or its scalar counterpart to an array, for tests and benchmarks of those functions.
import { vexp, vlog } from './vmath';
import { normCdf, normPdf, normCdf2, normPdf2 } from './normal';
import { STATUS_OK, STATUS_BAD_ARGUMENT, VMATH_EXP, VMATH_LOG, VMATH_NORM_CDF, VMATH_SCALAR } from './layout';

// @ts-ignore: decorator
@inline function apply2(op: i32, x: v128): v128 {
  if (op == VMATH_EXP) return vexp(x);
  if (op == VMATH_LOG) return vlog(x);
  if (op == VMATH_NORM_CDF) return normCdf2(x);
  return normPdf2(x);
}

// @ts-ignore: decorator
@inline function apply1(op: i32, x: f64): f64 {
  if (op == VMATH_EXP) return Math.exp(x);
  if (op == VMATH_LOG) return Math.log(x);
  if (op == VMATH_NORM_CDF) return normCdf(x);
  return normPdf(x);
}

/**
 * out[i] = f(x[i]) for i < n, f chosen by `op`: VMATH_EXP, VMATH_LOG, VMATH_NORM_CDF or
 * VMATH_NORM_PDF on two lanes at a time (the last element of an odd count alone on both lanes), or
 * op + VMATH_SCALAR for the scalar function. x and out: n f64 each (they may be the same array).
 * Returns STATUS_BAD_ARGUMENT for n < 0 or an unknown op, else STATUS_OK.
 */
export function vmathMap(op: i32, x: usize, n: i32, out: usize): i32 {
  if (n < 0 || op < 0 || op >= 2 * VMATH_SCALAR) return STATUS_BAD_ARGUMENT;
  if (op >= VMATH_SCALAR) {
    const f = op - VMATH_SCALAR;
    for (let i = 0; i < n; i++) store<f64>(out + (<usize>i << 3), apply1(f, load<f64>(x + (<usize>i << 3))));
    return STATUS_OK;
  }
  const pairs = <usize>(n & ~1) << 3;
  for (let o: usize = 0; o < pairs; o += 16) v128.store(out + o, apply2(op, v128.load(x + o)));
  if ((n & 1) != 0) {
    const last = <usize>(n - 1) << 3;
    store<f64>(out + last, f64x2.extract_lane(apply2(op, f64x2.splat(load<f64>(x + last))), 0));
  }
  return STATUS_OK;
}
