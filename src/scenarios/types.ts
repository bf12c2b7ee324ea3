import { InputError } from '../errors.js';
import { paddedStride } from '../layout.js';
import type { ResolvedMarket } from '../market/types.js';

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
  /** Vol dynamics beyond vol (1 + volShock w) (docs/methods.md §5.7); absent: sticky strike, relative moves only. */
  dynamics?: VolDynamics;
  /** Basis shifts (grid, docs/methods.md §6.10); absent: every forward moves with its spot. */
  basis?: BasisShifts;
}

/**
 * Basis shifts: in scenario s every forward of underlying u is F' = F m e^(shift[u, s] move[u]
 * max(tau, minYears[u])), tau the years to the expiry of the future (0 for a perpetual; an option
 * on a future takes its future's); spot does not shift. A grid's shifts are -1, 0, +1 (times its
 * basis move); a stress scenario's its own basis move (move[u] = 1).
 */
export interface BasisShifts {
  /** shift[u * stride + s]: nU rows of stride f64 (0 in the padding). */
  shift: Float64Array;
  /** Per underlying: the annualised basis move b and the shortest tenor t0, in years. */
  move: Float64Array;
  minYears: Float64Array;
}

/**
 * How a scenario moves an option's vol beyond the relative move: with w the option's tenor weight,
 * m the spot multiplier, l = ln m, F today's forward to the option's expiry,
 *   vol' = max(base (1 + volShock w) + absolute w + skew w ln(K / F), floor)
 * where base is the option's vol (sticky strike) or, with stickyMoneyness and an option priced off
 * its underlying's surface, the surface's vol at its moneyness after the move (coordinate moved by -l).
 */
export interface VolDynamics {
  stickyMoneyness: boolean;
  /** absolute[u * stride + s], skew[...], floor[...] (0: no floor): nU rows of `stride` f64 each. */
  absolute: Float64Array;
  skew: Float64Array;
  floor: Float64Array;
}

/**
 * The default limit on the memory of one market's P&L cube and scenario set: 2 GiB of the
 * WebAssembly memory's 4 GiB (which also holds the portfolios' working memory, and the worker
 * pool's). Larger runs are refused before anything is built.
 */
export const CUBE_LIMIT_BYTES = 2 * 1024 ** 3;
/** The WebAssembly memory's maximum (asconfig.json maximumMemory: 65536 pages of 64 KiB). */
export const WASM_MEMORY_BYTES = 4 * 1024 ** 3;

const GiB = (b: number) => `${Number((b / 1024 ** 3).toPrecision(3))} GiB`;

/**
 * Refuses, before anything is built, a cube and scenario set that cannot fit: the cube is
 * nInstruments x stride f64 and the scenario set 2 x nUnderlyings x stride f64 (spot multipliers,
 * vol shocks), plus one more for a Monte Carlo set's shocks. Throws an InputError naming the
 * numbers (instruments x scenarios x 8 bytes = N GiB > limit) and where the scenario count comes
 * from (`what`, e.g. "risk.es.scenarios"), so that the command line exits 2 in well under a second.
 */
export function checkCubeSize(market: ResolvedMarket, nScen: number, what: string, limit = CUBE_LIMIT_BYTES): void {
  const nI = market.instruments.ids.length, nU = market.underlyings.ids.length;
  const stride = paddedStride(nScen);
  const cube = nI * stride * 8;
  const total = cube + 3 * nU * stride * 8;
  if (total <= limit) return;
  throw new InputError(`${market.source}: ${what}: ${nI} instruments x ${nScen} scenarios x 8 bytes = ${GiB(cube)} for the P&L cube `
    + `(${GiB(total)} with the scenario set), more than the limit of ${GiB(limit)} (the WebAssembly memory holds at most `
    + `${GiB(WASM_MEMORY_BYTES)}): use fewer scenarios or a market with fewer instruments`, { file: market.source, path: what });
}

export { paddedStride };
