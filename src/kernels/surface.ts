/**
 * Host side of the surface kernel (assembly/surface.ts): vols read from one volatility surface
 * for many (K, T, F) lookups in WebAssembly, the same doubles as surfaceVol
 * (src/surface/surface.ts).
 */
import type { Arena } from '../wasm/arena.js';
import type { ErrorCode } from '../errors.js';
import { STATUS_OK } from '../layout.js';
import type { ResolvedSurface } from '../surface/surface.js';

/** Status of surfaceVols: every lookup computed, some with unusable inputs got NaN. */
export const SURFACE_BAD_LOOKUP = 2;

type SurfaceVolsKernel = (
  axis: number, expT: number, nE: number, lnPts: number, nP: number, vols: number,
  K: number, T: number, F: number, n: number, out: number,
) => number;

function internalError(message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(message), { code: 'E_INTERNAL' as const });
}

/** The kernel export, checked (it is not part of KernelExports' fixed list). */
function kernel(arena: Arena): SurfaceVolsKernel {
  const f = arena.kernels.surfaceVols;
  if (typeof f !== 'function') throw internalError('the WebAssembly module has no surfaceVols export');
  return f as SurfaceVolsKernel;
}

/**
 * The surface's vol for each lookup k (strike K[k], year fraction T[k], forward F[k]; F is read
 * on a moneyness axis only and may be shorter, even empty, on a strike axis). Returns n vols;
 * NaN for a lookup with unusable inputs (K or T not finite, K <= 0, or on a moneyness axis F not
 * finite or <= 0), the others unaffected. The arena is returned to its mark before returning.
 * Throws an Error with code E_INTERNAL when the arrays are too short or the kernel refuses the
 * surface.
 */
export function surfaceVolsWasm(
  arena: Arena, s: ResolvedSurface, K: ArrayLike<number>, T: ArrayLike<number>, F: ArrayLike<number>,
): Float64Array {
  const n = K.length;
  const moneyness = s.axis === 'moneyness';
  if (T.length !== n || (moneyness && F.length !== n)) {
    throw internalError(`surfaceVolsWasm: ${n} strikes, ${T.length} year fractions, ${F.length} forwards`);
  }
  const run = kernel(arena);
  const mark = arena.mark();
  try {
    const expT = arena.putF64(s.T);
    const lnPts = arena.putF64(s.lnPoints);
    const vols = arena.putF64(s.vols);
    const pK = arena.putF64(K);
    const pT = arena.putF64(T);
    const pF = moneyness ? arena.putF64(F) : arena.allocF64(n);
    // Results in place, over the forwards.
    const status = run(s.axisCode, expT, s.nExpiries, lnPts, s.nPoints, vols, pK, pT, pF, n, pF);
    if (status !== STATUS_OK && status !== SURFACE_BAD_LOOKUP) throw internalError(`surfaceVols returned status ${status}`);
    return arena.f64(pF, n).slice();
  } finally {
    arena.release(mark);
  }
}
