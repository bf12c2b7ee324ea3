/**
 * A scenario set: what every instrument is revalued under to build the P&L cube. The layout is
 * the kernels' (assembly/revalue.ts): spot multipliers and vol shocks as nU rows of `stride` f64,
 * one tenor weight per instrument.
 */
export interface ScenarioSet {
  /** Scenarios in use; columns nScen..stride-1 are padding (multiplier 1, shock 0). */
  nScen: number;
  /** Row length of the cube: nScen rounded up to even (f64x2 lanes). */
  stride: number;
  nUnderlyings: number;
  /** spotMult[u * stride + s]: S'/S of underlying u in scenario s. */
  spotMult: Float64Array;
  /** volShock[u * stride + s]: relative vol move of underlying u's options in scenario s, before tenor weighting. */
  volShock: Float64Array;
  /** volWeight[i]: tenor weight of instrument i (1 without a vol term; unused for non-options). */
  volWeight: Float64Array;
  /** Years by which options age before revaluation. */
  horizonYears: number;
}

export function paddedStride(nScen: number): number {
  return nScen + (nScen & 1);
}
