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
import { InputError, show } from '../errors.js';
import type {
  EsInput, EsSpec, FhsInput, FhsSpec, GridInput, GridSpec, ResolvedMarket, StressInput, StressSpec,
} from '../market/types.js';
import { checkMarket, checkOptions, stressOption } from '../options.js';
import { marginEach, type MarginModel, type PortfolioLike } from './model.js';
import type { MarginResult, Method } from '../results.js';
import { resolvePositions } from '../portfolio/resolve.js';
import { createGridModel, NOT_FINITE_WHY } from './grid.js';
import { createEsModel } from './tail.js';
import { createFhsModel } from './fhs.js';
import type { PriceHistory } from '../history/parse.js';
import type { KernelExports } from '../wasm/module.js';
import { withAllocation } from './allocation.js';
import { stressShares } from '../policy/allocation.js';
import { StressTest } from './stress.js';

export class StressedModel implements MarginModel {
  readonly method: Method;

  /**
   * @param inner the method's model
   * @param stress the stress scenarios, built for the same market
   * @param maintenanceRatio the method's maintenance ratio, applied to a floored initial margin
   */
  constructor(readonly inner: MarginModel, readonly stress: StressTest, readonly maintenanceRatio: number) {
    this.method = inner.method;
  }

  margin(portfolio: PortfolioLike): MarginResult {
    const r = this.inner.margin(portfolio);
    if (!r.ok || portfolio.positions === undefined) return r;
    const pos = resolvePositions(this.stress.market, portfolio.positions);
    if (typeof pos === 'string') return r; // cannot happen: the model resolved them
    const st = this.stress.evaluate(pos.instr, pos.qty, r.initialMargin);
    if (!st.losses.every((l) => Number.isFinite(l.loss))) {
      const bad = st.losses.find((l) => !Number.isFinite(l.loss))!;
      return { ok: false, portfolio: r.portfolio, method: r.method, code: 'E_PORTFOLIO',
        message: `the loss in stress scenario ${show(bad.scenario)} is not finite (${bad.loss}): ${NOT_FINITE_WHY}` };
    }
    if (!st.floored) return { ...r, stress: st };
    const initial = st.floor!;
    const out: MarginResult = { ...r, initialMargin: initial, maintenanceMargin: this.maintenanceRatio * initial, stress: st };
    if (r.allocation) out.allocation = stressShares(this.stress, pos, st.scenario, r.method === 'grid');
    return out;
  }

  marginAll(portfolios: Iterable<PortfolioLike>): MarginResult[] {
    return marginEach(this, portfolios);
  }
}

export interface MarginModelOptions {
  /** grid (default), es or fhs. */
  method?: Method;
  /**
   * Method blocks replacing the market's `risk.grid`, `risk.es`, `risk.fhs` (e.g. a preset):
   * validated, or their JSON form (validated against the market).
   */
  grid?: GridSpec | GridInput;
  es?: EsSpec | EsInput;
  fhs?: FhsSpec | FhsInput;
  /** fhs: the price history, parsed or CSV text (named by historySource, default "history.csv"). */
  history?: PriceHistory | string;
  historySource?: string;
  /**
   * Stress scenarios: validated (validateStress) or the JSON form (a stress file as parsed,
   * validated against the market); default the market's `risk.stress` when it has one; null for none.
   */
  stress?: StressSpec | StressInput | null;
  /** Attach the Euler allocation of the initial margin to every ok result. */
  allocation?: boolean;
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
  let model: MarginModel;
  let ratio: number;
  const kernels = options.kernels;
  switch (method) {
    case 'grid': {
      const m = createGridModel(market, { grid: options.grid, kernels });
      ratio = m.spec.maintenanceRatio;
      model = options.allocation ? withAllocation(m) : m;
      break;
    }
    case 'es': {
      const m = createEsModel(market, { es: options.es, kernels });
      ratio = m.maintenanceRatio;
      model = options.allocation ? withAllocation(m) : m;
      break;
    }
    case 'fhs': {
      if (options.history === undefined) {
        throw new InputError('the fhs method needs a price history (--history FILE), found none', { path: 'history' });
      }
      const m = createFhsModel(market, { fhs: options.fhs, history: options.history, historySource: options.historySource, kernels });
      ratio = m.maintenanceRatio;
      model = options.allocation ? withAllocation(m) : m;
      break;
    }
    default:
      throw new InputError(`method: expected "grid", "es" or "fhs", got ${JSON.stringify(method)}`, { path: 'method' });
  }
  return stress ? new StressedModel(model, new StressTest(market, stress), ratio) : model;
}
