/**
 * Host side of the surface kernels (assembly/surface.ts): vols read from one volatility surface
 * for many (K, T, F) lookups in WebAssembly, the same doubles as surfaceVol
 * (src/surface/surface.ts), and the surface's own logarithm (surfaceLnMap).
 */
import type { Arena } from '../wasm/arena.js';
import { STATUS_OK, SURFACE_BAD_LOOKUP } from '../layout.js';
import type { ResolvedSurface } from '../surface/surface.js';
import { KernelError } from './error.js';
import { F64Region, hostError, kernelFunction } from './region.js';

/** Status of surfaceVols: every lookup computed, some with unusable inputs got NaN (assembly/layout.ts). */
export { SURFACE_BAD_LOOKUP };

type SurfaceVolsKernel = (
  axis: number, expT: number, nE: number, lnPts: number, nP: number, vols: number,
  K: number, T: number, F: number, n: number, out: number,
) => number;
type LnMapKernel = (xs: number, n: number, out: number) => number;

/** What a surface lookup computed: the vols, and whether some lookup got NaN (SURFACE_BAD_LOOKUP). */
export interface SurfaceOutcome {
  vols: Float64Array;
  badLookup: boolean;
}

/**
 * surfaceVols and surfaceLnMap with the regions they read and write (the surface's expiries,
 * points and vols, the lookups, the results). SURFACE_BAD_LOOKUP is data (returned); any other
 * status than STATUS_OK is a KernelError.
 */
export class SurfaceKernel {
  private readonly expT: F64Region;
  private readonly lnPts: F64Region;
  private readonly vols: F64Region;
  private readonly K: F64Region;
  private readonly T: F64Region;
  private readonly F: F64Region;
  private readonly volsKernel: SurfaceVolsKernel;
  private readonly lnKernel: LnMapKernel;

  constructor(readonly arena: Arena) {
    this.volsKernel = kernelFunction<SurfaceVolsKernel>(arena, 'surfaceVols');
    this.lnKernel = kernelFunction<LnMapKernel>(arena, 'surfaceLnMap');
    this.expT = new F64Region(arena);
    this.lnPts = new F64Region(arena);
    this.vols = new F64Region(arena);
    this.K = new F64Region(arena);
    this.T = new F64Region(arena);
    this.F = new F64Region(arena);
  }

  /** See surfaceVolsWasm; the vols are a copy. */
  lookup(s: ResolvedSurface, K: ArrayLike<number>, T: ArrayLike<number>, F: ArrayLike<number>): SurfaceOutcome {
    const n = K.length;
    const moneyness = s.axis === 'moneyness';
    if (T.length !== n || (moneyness && F.length !== n)) {
      throw hostError('surfaceVols', `${n} strikes, ${T.length} year fractions, ${F.length} forwards`);
    }
    const expT = this.expT.put(s.T);
    const lnPts = this.lnPts.put(s.lnPoints);
    const vols = this.vols.put(s.vols);
    const pK = this.K.put(K);
    const pT = this.T.put(T);
    let pF: number;
    if (moneyness) pF = this.F.put(F);
    else { pF = this.F.ensure(n); this.F.f64(n).fill(0); }
    // Results in place, over the forwards.
    const status = this.volsKernel(s.axisCode, expT, s.nExpiries, lnPts, s.nPoints, vols, pK, pT, pF, n, pF);
    if (status !== STATUS_OK && status !== SURFACE_BAD_LOOKUP) throw new KernelError('surfaceVols', status);
    return { vols: this.F.f64(n).slice(), badLookup: status === SURFACE_BAD_LOOKUP };
  }

  /** surfaceLn of each value (the fdlibm logarithm the surface uses), a copy. */
  ln(xs: ArrayLike<number>): Float64Array {
    const n = xs.length;
    const p = this.K.put(xs);
    const out = this.F.ensure(n);
    const status = this.lnKernel(p, n, out);
    if (status !== STATUS_OK) throw new KernelError('surfaceLnMap', status);
    return this.F.f64(n).slice();
  }
}

/**
 * The surface's vol for each lookup k (strike K[k], year fraction T[k], forward F[k]; F is read
 * on a moneyness axis only and may be shorter, even empty, on a strike axis). Returns n vols;
 * NaN for a lookup with unusable inputs (K or T not finite, K <= 0, or on a moneyness axis F not
 * finite or <= 0), the others unaffected. The arena is returned to its mark before returning.
 * Throws a KernelError (code E_INTERNAL) when the arrays are too short or the kernel refuses the
 * surface.
 */
export function surfaceVolsWasm(
  arena: Arena, s: ResolvedSurface, K: ArrayLike<number>, T: ArrayLike<number>, F: ArrayLike<number>,
): Float64Array {
  const mark = arena.mark();
  try {
    return new SurfaceKernel(arena).lookup(s, K, T, F).vols;
  } finally {
    arena.release(mark);
  }
}
