/**
 * Named stress scenarios evaluated for a portfolio: the cube of every instrument under the stress
 * block's scenarios is built once (kernel `revalue`); a portfolio's loss in scenario s is
 * L_s = -sum_p q_p cube[i_p, s] over its netted positions. The worst scenario is the one with the
 * largest loss (the first in the block's order on ties); the floor is cover * max(L_worst, 0).
 */
import type { ResolvedMarket, StressInput, StressSpec } from '../market/types.js';
import { checkMarket, stressOption } from '../options.js';
import { buildStressScenarios, type StressScenarioSet } from '../scenarios/stress.js';
import { buildCube, checkCube, cubeView, type Cube } from '../cube/cube.js';
import { Arena } from '../wasm/arena.js';
import { instantiateKernels, type KernelExports } from '../wasm/module.js';
import type { StressResult } from '../results.js';
import { stressFloor, worstScenario } from '../policy/stress.js';

export interface StressTestOptions {
  kernels?: KernelExports;
  /**
   * The arena the cube is built in, or (with `cube`) the arena whose memory holds it: a batch
   * worker's arena over the engine's shared memory. Default: a fresh arena over `kernels`.
   */
  arena?: Arena;
  /** The stress cube of this market, already built in the arena's memory (the batch engine builds it once). */
  cube?: Cube;
}

export class StressTest {
  readonly market: ResolvedMarket;
  readonly spec: StressSpec;
  readonly scenarios: StressScenarioSet;
  readonly cube: Cube;

  /** @param spec validated (validateStress), or its JSON form (validated here against the market) */
  constructor(market: ResolvedMarket, spec: StressSpec | StressInput, options: StressTestOptions = {}) {
    this.market = checkMarket(market, 'StressTest');
    spec = stressOption(spec, market);
    this.spec = spec;
    this.scenarios = buildStressScenarios(market, spec);
    const arena = options.arena ?? new Arena(options.kernels ?? instantiateKernels());
    if (options.cube) checkCube(options.cube, market, this.scenarios);
    this.cube = options.cube ?? buildCube(arena, market, this.scenarios);
  }

  /** L_s of netted positions (instrument indices, quantities), one per scenario in the block's order. */
  losses(instr: ArrayLike<number>, qty: ArrayLike<number>): Float64Array {
    const { nScen, stride } = this.scenarios;
    const cube = cubeView(this.cube);
    const L = new Float64Array(nScen);
    for (let p = 0; p < instr.length; p++) {
      const row = this.cube.row[instr[p]] * stride, q = qty[p];
      for (let s = 0; s < nScen; s++) L[s] -= q * cube[row + s];
    }
    return L;
  }

  /** Loss of each position, -q_p cube[i_p, s], in scenario s. */
  positionLosses(instr: ArrayLike<number>, qty: ArrayLike<number>, s: number): Float64Array {
    const cube = cubeView(this.cube);
    const stride = this.scenarios.stride;
    return Float64Array.from({ length: instr.length }, (_, p) => -qty[p] * cube[this.cube.row[instr[p]] * stride + s]);
  }

  /** The index of the worst scenario of a loss vector (the first on ties). */
  static worst(losses: ArrayLike<number>): number {
    return worstScenario(losses);
  }

  /**
   * The stress result of netted positions whose method margin is `methodMargin`: losses by name,
   * the worst, and (when the block floors) the floor and whether it binds.
   */
  evaluate(instr: ArrayLike<number>, qty: ArrayLike<number>, methodMargin: number): StressResult {
    const L = this.losses(instr, qty);
    const w = worstScenario(L);
    const names = this.scenarios.names;
    const r: StressResult = {
      scenario: names[w], loss: L[w], losses: Array.from(L, (loss, s) => ({ scenario: names[s], loss })),
      methodMargin, floored: false,
    };
    if (this.spec.floor) {
      r.floor = stressFloor(this.spec.cover, L[w]);
      r.floored = r.floor > methodMargin;
    }
    return r;
  }
}

export function createStressTest(market: ResolvedMarket, spec: StressSpec, options: StressTestOptions = {}): StressTest {
  return new StressTest(market, spec, options);
}
