/**
 * Filtered-historical-simulation margin (`method: fhs`, PRISMA style): the scenario set comes from
 * a price history (src/scenarios/fhs.ts), the cube and the VaR/ES tail are the expected-shortfall
 * model's (TailModel): loss L_s = -(portfolio P&L in s), k = nScen (1 - confidence),
 * ES = ( sum_{i <= floor k} L_(i) + (k - floor k) L_(floor k + 1) ) / k, initial = max(ES, 0),
 * maintenance = maintenanceRatio * initial.
 */
import type { FhsInput, FhsSpec, ResolvedMarket } from '../market/types.js';
import { checkMarket, checkOptions } from '../options.js';
import { resolveMethod, type MethodSetup } from './setup.js';
import { TailModel } from './tail.js';
import { buildFhsScenarios, type FhsScenarioSet } from '../scenarios/fhs.js';
import type { PriceHistory } from '../history/parse.js';
import { Arena } from '../wasm/arena.js';
import { instantiateKernels, type KernelExports } from '../wasm/module.js';

export interface FhsModelOptions {
  /** The price history: parsed (parseHistoryCsv), or CSV text. */
  history: PriceHistory | string;
  /** Names CSV text in messages (default "history.csv"). */
  historySource?: string;
  /** The FHS parameters (validated, or the block's JSON form); default the market's `risk.fhs`. */
  fhs?: FhsSpec | FhsInput;
  kernels?: KernelExports;
}

export class FhsModel extends TailModel {
  readonly spec: FhsSpec;
  /** The scenario set with its dates (filtered first, then the stressed period's). */
  readonly fhs: FhsScenarioSet;

  constructor(market: ResolvedMarket, options: FhsModelOptions) {
    checkMarket(market, 'createFhsModel');
    options = checkOptions(options, 'createFhsModel');
    const setup = resolveMethod(market, { ...options, method: 'fhs', stress: null }) as MethodSetup & { method: 'fhs' };
    const spec = setup.spec;
    const scen = buildFhsScenarios(market, spec, setup.history, setup.path);
    super('fhs', market, new Arena(options.kernels ?? instantiateKernels()), scen, spec.confidence, spec.maintenanceRatio);
    this.spec = spec;
    this.fhs = scen;
    this.preset = spec.preset;
  }
}

/** Builds an FHS model: scenarios from the history, cube for `market`, ready for `margin(portfolio)`. */
export function createFhsModel(market: ResolvedMarket, options: FhsModelOptions): FhsModel {
  return new FhsModel(market, options);
}
