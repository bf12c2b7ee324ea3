/**
 * What a method needs before any cube is built, resolved once for the in-process models and the
 * batch engine alike: the method's block (the market's, or one given, e.g. a preset), the stress
 * block, the allocation switch, and the method's scenario set (docs/methods.md §4-§8).
 */
import { InputError, show } from '../errors.js';
import type {
  EsInput, EsSpec, FhsInput, FhsSpec, GridInput, GridSpec, ResolvedMarket, StressInput, StressSpec,
} from '../market/types.js';
import { esOption, fhsOption, gridOption, stressOption } from '../options.js';
import type { Method } from '../results.js';
import { buildGridScenarios } from '../scenarios/grid.js';
import { buildMonteCarloScenarios } from '../scenarios/monte-carlo.js';
import { buildFhsScenarios } from '../scenarios/fhs.js';
import type { ScenarioSet } from '../scenarios/types.js';
import { parseHistoryCsv, type PriceHistory } from '../history/parse.js';
import type { Arena } from '../wasm/arena.js';

/** The options every way of margining takes (createMarginModel, createBatchEngine). */
export interface MethodOptions {
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
}

/** A method resolved against a market. */
export type MethodSetup = {
  stress: StressSpec | undefined;
  allocation: boolean;
  maintenanceRatio: number;
} & (
  | { method: 'grid'; spec: GridSpec }
  | { method: 'es'; spec: EsSpec; path: string }
  | { method: 'fhs'; spec: FhsSpec; history: PriceHistory; path: string }
);

/**
 * Resolves `options` against `market`: the stress block first (checked before any cube is built),
 * then the method's block. Throws InputError when the method's block (or the fhs history) is
 * missing or invalid for the market.
 */
export function resolveMethod(market: ResolvedMarket, options: MethodOptions): MethodSetup {
  const stress = options.stress === undefined ? market.risk.stress
    : options.stress === null ? undefined : stressOption(options.stress, market);
  const allocation = options.allocation === true;
  const method = options.method ?? 'grid';
  switch (method) {
    case 'grid': {
      const spec = options.grid === undefined ? market.risk.grid : gridOption(options.grid, market);
      if (!spec) {
        throw new InputError(`${market.source}: risk.grid: the grid method needs a risk.grid block (or a preset), found none`,
          { file: market.source, path: 'risk.grid' });
      }
      return { method, spec, stress, allocation, maintenanceRatio: spec.maintenanceRatio };
    }
    case 'es': {
      const spec = options.es === undefined ? market.risk.es : esOption(options.es, market);
      if (!spec) {
        throw new InputError(`${market.source}: risk.es: the es method needs a risk.es block, found none`, { file: market.source, path: 'risk.es' });
      }
      return { method, spec, stress, allocation, maintenanceRatio: spec.maintenanceRatio, path: options.es ? 'es' : 'risk.es' };
    }
    case 'fhs': {
      const spec = options.fhs === undefined ? market.risk.fhs : fhsOption(options.fhs);
      if (!spec) {
        throw new InputError(`${market.source}: risk.fhs: the fhs method needs a risk.fhs block (or a preset), found none`,
          { file: market.source, path: 'risk.fhs' });
      }
      return { method, spec, stress, allocation, maintenanceRatio: spec.maintenanceRatio, history: historyOption(options), path: options.fhs ? 'fhs' : 'risk.fhs' };
    }
    default:
      throw new InputError(`method: expected "grid", "es" or "fhs", got ${JSON.stringify(method)}`, { path: 'method' });
  }
}

/** The fhs history of `options`, parsed; InputError when it is missing or not a history. */
export function historyOption(options: { history?: PriceHistory | string; historySource?: string }): PriceHistory {
  if (options.history === undefined) throw new InputError('the fhs method needs a price history (--history FILE), found none', { path: 'history' });
  const h = options.history as unknown;
  if (typeof h !== 'string' && !(typeof h === 'object' && h !== null && (h as { series?: unknown }).series instanceof Map)) {
    throw new InputError(`history: expected CSV text (date,underlying,price) or parseHistoryCsv's result, got ${show(h)}`, { path: 'history' });
  }
  return typeof options.history === 'string' ? parseHistoryCsv(options.history, options.historySource ?? 'history.csv') : options.history;
}

/** The method's scenario set (Monte Carlo draws are simulated in `arena`). */
export function methodScenarios(arena: Arena, market: ResolvedMarket, setup: MethodSetup): ScenarioSet {
  switch (setup.method) {
    case 'grid': return buildGridScenarios(market, setup.spec);
    case 'es': return buildMonteCarloScenarios(arena, market, setup.spec, setup.path);
    case 'fhs': return buildFhsScenarios(market, setup.spec, setup.history, setup.path);
  }
}
