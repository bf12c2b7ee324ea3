/**
 * Margin models with the method chosen by the caller, and named stress scenarios on top of any of
 * them.
 *
 * StressedModel: every ok result gets `stress` (the loss in each named scenario, the worst one);
 * when the stress block has `floor: true` the initial margin becomes
 *   max(method margin, cover * max(worst stress loss, 0)),
 * the maintenance margin the method's maintenanceRatio times that, and (when the result carries an
 * allocation) a binding floor is allocated as cover times each position's loss in the worst
 * stress scenario.
 */
import { InputError } from '../errors.js';
import type { ResolvedMarket } from '../market/types.js';
import { checkMarket, checkOptions, stressOption } from '../options.js';
import type { MarginModel } from './model.js';
import { createGridModel, type GridModel } from './grid.js';
import { createEsModel } from './tail.js';
import { createFhsModel } from './fhs.js';
import type { KernelExports } from '../wasm/module.js';
import { StressTest } from './stress.js';
import { ComposedModel } from './compose.js';
import type { MethodOptions } from './setup.js';
import type { TailModel } from './tail.js';

/** A model with named stress scenarios on top of its method (a ComposedModel; the name is kept for the API). */
export const StressedModel = ComposedModel;
export type StressedModel = ComposedModel;

export interface MarginModelOptions extends MethodOptions {
  /** Kernels of the method's model (the stress scenarios always get an instance of their own). */
  kernels?: KernelExports;
}

/**
 * A margin model for `market` with the method chosen by the caller: `margin(portfolio)` for one
 * portfolio, `marginAll(portfolios)` for a batch, as for the grid. Throws InputError when the
 * method's block (or the fhs history) is missing or invalid for the market.
 */
export function createMarginModel(market: ResolvedMarket, options: MarginModelOptions = {}): MarginModel {
  checkMarket(market, 'createMarginModel');
  options = checkOptions(options, 'createMarginModel');
  // Checked before any cube is built.
  const stress = options.stress === undefined ? market.risk.stress
    : options.stress === null ? undefined : stressOption(options.stress, market);
  const method = options.method ?? 'grid';
  let base: GridModel | TailModel;
  const kernels = options.kernels;
  switch (method) {
    case 'grid':
      base = createGridModel(market, { grid: options.grid, kernels });
      break;
    case 'es':
      base = createEsModel(market, { es: options.es, kernels });
      break;
    case 'fhs':
      if (options.history === undefined) {
        throw new InputError('the fhs method needs a price history (--history FILE), found none', { path: 'history' });
      }
      base = createFhsModel(market, { fhs: options.fhs, history: options.history, historySource: options.historySource, kernels });
      break;
    default:
      throw new InputError(`method: expected "grid", "es" or "fhs", got ${JSON.stringify(method)}`, { path: 'method' });
  }
  if (!stress && !options.allocation) return base;
  return new ComposedModel(base, { stress: stress ? new StressTest(market, stress) : undefined, allocation: options.allocation });
}
