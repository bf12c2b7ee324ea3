/**
 * Plain-TypeScript twin of the esShocks kernel (assembly/shocks.ts): spot multipliers of Monte
 * Carlo scenarios, out[u * stride + s] = exp(scale[u] * z_u(s)), padding columns 1.0.
 *
 * z = L y (y standard normals of stream 0 of scenario firstScenario + s, L lower triangular
 * row-major, x_u = sum_{j <= u} L[u][j] y_j in that order); Student-t: z = x sqrt((nu - 2) / w), w
 * the scenario's chi-squared(nu) variate, i.e. sqrt((nu-2)/nu) x / sqrt(w/nu) (docs/methods.md §8.2).
 */
import { scenarioNormal, scenarioChiSquared } from './rng.js';

export interface ShockParams {
  /** Integer in [0, 2^53). */
  seed: number;
  /** Global index of the first scenario. */
  firstScenario: number;
  nScen: number;
  nU: number;
  /** nU x nU lower-triangular Cholesky factor, row-major. */
  chol: ArrayLike<number>;
  /** nU log-return scales, vol_u * sqrt(horizonDays / 365). */
  scale: ArrayLike<number>;
  /** 0 normal, 1 Student-t of unit variance. */
  dist: 0 | 1;
  /** Degrees of freedom (> 2) for dist 1. */
  nu: number;
  /** Row length of the output, >= nScen. */
  stride: number;
}

export function esShocksRef(p: ShockParams): Float64Array {
  const { seed, firstScenario, nScen, nU, chol, scale, dist, nu, stride } = p;
  if (stride < nScen) throw new RangeError(`stride ${stride} < nScen ${nScen}`);
  const out = new Float64Array(nU * stride).fill(1);
  for (let s = 0; s < nScen; s++) {
    const g = firstScenario + s;
    const y: number[] = [];
    for (let u = 0; u < nU; u++) y.push(scenarioNormal(seed, g, u));
    const factor = dist === 1 ? Math.sqrt((nu - 2) / scenarioChiSquared(seed, g, nu)) : 1;
    for (let u = 0; u < nU; u++) {
      let x = 0;
      for (let j = 0; j <= u; j++) x += chol[u * nU + j] * y[j];
      out[u * stride + s] = Math.exp(scale[u] * (factor * x));
    }
  }
  return out;
}
