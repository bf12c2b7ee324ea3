/**
 * What a backtest runs over (docs/backtesting.md §5): the backtest dates, the horizon in history
 * observations, the nominal exceedance rate, and the method as resolved against the market; and
 * the realized scenario set, one scenario per backtest date, whose cube gives every portfolio's
 * realized loss at once.
 *
 * Dates. The dates of the history are those on which every underlying of the book (every
 * underlying some netted position refers to) has a price. With h the method's horizon in
 * observations (`horizonDays`; 1 for a grid whose horizonDays is 0), a backtest date is a history
 * date t_i with a date t_{i+h} after it, from `from` (default: the first date at which the model
 * can be built, see `firstModelDate`) to `to` (default: the last such date), every `step`-th one.
 *
 * Realized moves. On backtest date t_i, every underlying u of the book moves by
 * `S' = S exp(ln(P_u(t_{i+h}) / P_u(t_i)))`, options age by the method's horizon (horizonDays /
 * 365 years), implied vols do not move; the underlyings outside the book do not move.
 */
import { InputError, show } from '../errors.js';
import type { ResolvedMarket } from '../market/types.js';
import type { PriceHistory, PriceSeries } from '../history/parse.js';
import { DAY_RE, dayNumber, dayOfMs, dayString } from '../math/days.js';
import { resolveMethod, historyOption, type MethodOptions, type MethodSetup } from '../models/setup.js';
import { heldUnderlyings } from '../scenarios/fhs.js';
import { checkCubeSize, paddedStride, type ScenarioSet } from '../scenarios/types.js';
import { presetJson } from '../presets.js';
import type { GridSource } from '../dim/calibrate.js';
import type { Method } from '../results.js';
import type { NettedBook } from './book.js';
import { bookUnderlyings } from './book.js';

/** The options of a backtest (the API's runBacktest, the CLI's backtest command). */
export interface BacktestOptions extends Omit<MethodOptions, 'allocation' | 'history'> {
  /** The price history (parsed, or CSV text `date,underlying,price`): required for every method. */
  history: PriceHistory | string;
  /** First and last backtest date, YYYY-MM-DD, inclusive (defaults: see the file comment). */
  from?: string;
  to?: string;
  /** Coverage level; the nominal exceedance rate is p = 1 - coverage. Default: the method's confidence (grid 0.99). */
  coverage?: number;
  /** Use every step-th backtest date (default 1). */
  step?: number;
  /**
   * grid: the scan ranges of each date from the dynamic initial margin calibration on the history
   * up to it (docs/dim.md, default settings); es: every underlying's vol from its EWMA volatility
   * up to the date. Default off (the market's parameters as given). fhs always follows the date.
   */
  recalibrate?: boolean;
  /**
   * grid --recalibrate without a preset or a JSON grid: the grid block to calibrate, as parsed JSON
   * (the market file's risk.grid, say) and where it came from.
   */
  gridBase?: GridSource;
  /** Worker threads (default 1: in-process; ignored with `pool`). */
  threads?: number;
  /**
   * A Piscina pool of the embedding application to run the dates on (tasks name the backtest's
   * worker file, backtestWorkerFile(), per task), kept open after the run; default a pool of
   * `threads` workers made for the run and closed after it.
   */
  pool?: import('piscina').Piscina;
  /** Stops the run (it then rejects with an AbortError). */
  signal?: AbortSignal;
}

/** A backtest resolved against a market and a book: plain data (the worker pool gets a copy). */
export interface BacktestPlan {
  method: Method;
  setup: MethodSetup;
  recalibrate: boolean;
  /** grid --recalibrate: the grid's JSON form, the calibration's base (and where it came from). */
  gridBase?: { raw: unknown; source: string; path: string };
  history: PriceHistory;
  /** Backtest dates (YYYY-MM-DD) and their day numbers, ascending. */
  dates: string[];
  days: Int32Array;
  /** The dates t_{i+h} the realized moves end on. */
  endDates: string[];
  /** Horizon in history observations (h) and in years (options' ageing). */
  horizon: number;
  horizonYears: number;
  step: number;
  coverage: number;
  /** p = 1 - coverage. */
  rate: number;
  /** What the caller should tell the user (overlapping windows). */
  warnings: string[];
}

/** The book's underlyings' prices on the dates they all share. */
export interface BookHistory {
  ids: string[];
  /** Underlying indices (into the market) of ids. */
  underlyings: number[];
  days: Int32Array;
  dates: string[];
  /** prices[k][t]: close of ids[k] on dates[t]. */
  prices: Float64Array[];
}

const MAX_STEP = 1_000_000;

function checkDate(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !DAY_RE.test(v) || Number.isNaN(dayNumber(v)) || dayString(dayNumber(v)) !== v) {
    throw new InputError(`${what}: expected a date YYYY-MM-DD, got ${show(v)}`, { path: what });
  }
  return dayNumber(v);
}

/** Day index of the last element <= day (-1 when none). */
function lastAtOrBefore(days: Int32Array, day: number): number {
  let lo = 0, hi = days.length - 1, at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (days[mid] <= day) { at = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return at;
}

/**
 * The book's underlyings' prices on the dates every one of them has a price (the intersection:
 * a date one of them lacks is not a backtest date). InputError for an underlying of the book that
 * the history lacks, or a date after the market's asOf.
 */
export function bookHistory(market: ResolvedMarket, history: PriceHistory, underlyings: number[]): BookHistory {
  const src = history.source;
  const ids = underlyings.map((u) => market.underlyings.ids[u]);
  const series: PriceSeries[] = ids.map((id) => {
    const s = history.series.get(id);
    if (!s) {
      throw new InputError(`${src}: no prices for underlying ${show(id)}, which the book holds; the history has `
        + `${history.underlyings.slice(0, 10).map((x) => show(x)).join(', ')}${history.underlyings.length > 10 ? ', ...' : ''}`,
      { file: src, path: id });
    }
    return s;
  });
  const asOf = dayOfMs(market.asOfMs);
  series.forEach((s, k) => {
    const last = s.days[s.days.length - 1];
    if (last > asOf) {
      throw new InputError(`${src}: row ${s.rows[s.rows.length - 1]}: ${ids[k]}: date ${dayString(last)} is after the market's asOf `
        + `${dayString(asOf)}; a history must end on or before it`, { file: src, path: ids[k] });
    }
  });
  // Intersection of the days, walking every series in step.
  const at = new Int32Array(series.length);
  const days: number[] = [];
  const prices: number[][] = series.map(() => []);
  if (series.length > 0) {
    outer: for (;;) {
      let hi = -Infinity;
      for (let k = 0; k < series.length; k++) {
        if (at[k] >= series[k].days.length) break outer;
        hi = Math.max(hi, series[k].days[at[k]]);
      }
      let all = true;
      for (let k = 0; k < series.length; k++) {
        const s = series[k].days;
        while (at[k] < s.length && s[at[k]] < hi) at[k]++;
        if (at[k] >= s.length) break outer;
        if (s[at[k]] !== hi) all = false;
      }
      if (!all) continue;
      days.push(hi);
      for (let k = 0; k < series.length; k++) { prices[k].push(series[k].prices[at[k]]); at[k]++; }
    }
  }
  const d = Int32Array.from(days);
  return { ids, underlyings, days: d, dates: Array.from(d, dayString), prices: prices.map((p) => Float64Array.from(p)) };
}

/** The method's horizon in history observations: horizonDays, a whole number (a grid's 0 is one observation). */
function horizonOf(setup: MethodSetup): { h: number; years: number; path: string } {
  const days = setup.spec.horizonDays;
  const path = setup.method === 'grid' ? 'risk.grid.horizonDays' : setup.method === 'es' ? `${setup.path}.horizonDays` : `${setup.path}.horizonDays`;
  if (!Number.isInteger(days)) {
    throw new InputError(`${path}: the backtest moves prices over whole history observations; horizonDays ${days} is not a whole number`,
      { path });
  }
  return { h: setup.method === 'grid' && days === 0 ? 1 : days, years: days / 365, path };
}

/**
 * The number of history dates up to and including a date that the model needs to be built there:
 * fhs, its seed, its first horizon's overlap and its look-back (at least one scenario); the others 1
 * (grid --recalibrate and es --recalibrate, the EWMA seed of the calibration, 20 returns: 21).
 */
export function datesNeeded(setup: MethodSetup, recalibrate: boolean): number {
  if (setup.method === 'fhs') {
    const s = setup.spec;
    const firstEnd = s.horizonMethod === 'overlapping' ? s.seedReturns + s.horizonDays - 1 : s.seedReturns;
    return firstEnd + (s.lookback ?? 1) + 1;
  }
  return recalibrate ? RECALIBRATION_SEED + 1 : 1;
}

/** The EWMA seed (returns) of a recalibration: the calibration's default (docs/dim.md). */
export const RECALIBRATION_SEED = 20;

/** The grid's JSON form, which grid --recalibrate calibrates (the base grid of `calibrate`). */
function gridBaseOf(market: ResolvedMarket, options: BacktestOptions, setup: MethodSetup & { method: 'grid' }): NonNullable<BacktestPlan['gridBase']> {
  if (options.grid !== undefined) {
    if (setup.spec.preset) return { raw: presetJson(setup.spec.preset.name), source: `presets/${setup.spec.preset.name}.json`, path: '' };
    const g = options.grid as { underlyings?: unknown };
    // A validated block (its maps built) carries no JSON form; a JSON block is its own.
    if (!(g.underlyings instanceof Map)) return { raw: options.grid, source: 'grid', path: '' };
    throw new InputError('grid: --recalibrate needs the grid\'s JSON form (a preset, a grid file or the market\'s risk.grid), got a validated grid',
      { path: 'grid' });
  }
  if (options.gridBase !== undefined) {
    const b = options.gridBase as Partial<GridSource>;
    if (typeof b !== 'object' || b === null || typeof b.source !== 'string' || b.raw === undefined) {
      throw new InputError(`gridBase: expected { raw, source, path? } (the grid's JSON form and where it came from), got ${show(options.gridBase)}`,
        { path: 'gridBase' });
    }
    return { raw: b.raw, source: b.source, path: b.path ?? '' };
  }
  throw new InputError(`${market.source}: risk.grid: --recalibrate calibrates the grid's JSON form, which a resolved market does not keep: `
    + 'give gridBase (the market file\'s risk.grid as parsed), a preset or the grid as JSON', { file: market.source, path: 'risk.grid' });
}

/**
 * Resolves a backtest: the method against the market, the dates against the history and the book.
 * Throws InputError for a bad option, a from after to, dates outside the history, a history too
 * short for the horizon or the model, or an underlying of the book the history lacks.
 */
export function planBacktest(market: ResolvedMarket, book: NettedBook, options: BacktestOptions): { plan: BacktestPlan; prices: BookHistory } {
  const method = options.method ?? 'grid';
  const recalibrate = options.recalibrate === true;
  if (options.recalibrate !== undefined && typeof options.recalibrate !== 'boolean') {
    throw new InputError(`recalibrate: expected true or false, got ${show(options.recalibrate)}`, { path: 'recalibrate' });
  }
  if (recalibrate && method === 'fhs') {
    throw new InputError('recalibrate: the fhs method always rebuilds its scenarios from the history up to each date; --recalibrate is for grid and es',
      { path: 'recalibrate' });
  }
  const history = historyOption(options);
  const setup = resolveMethod(market, { ...options, method, history, allocation: false });
  const step = options.step ?? 1;
  if (!Number.isInteger(step) || step < 1 || step > MAX_STEP) {
    throw new InputError(`step: expected a whole number from 1 to ${MAX_STEP}, got ${show(options.step)}`, { path: 'step' });
  }
  const confidence = setup.method === 'grid' ? 0.99 : setup.spec.confidence;
  const coverage = options.coverage ?? confidence;
  if (typeof coverage !== 'number' || !(coverage > 0 && coverage < 1)) {
    throw new InputError(`coverage: expected a number strictly between 0 and 1, got ${show(options.coverage)}`, { path: 'coverage' });
  }
  const from = checkDate(options.from, 'from'), to = checkDate(options.to, 'to');
  if (from !== undefined && to !== undefined && from > to) {
    throw new InputError(`from ${options.from} is after to ${options.to}`, { path: 'from' });
  }
  const { h, years } = horizonOf(setup);
  const src = history.source;
  const underlyings = bookUnderlyings(market, book);
  if (underlyings.length === 0) {
    throw new InputError('the book holds no position (every portfolio is empty or an error): there is nothing to backtest', { path: 'portfolios' });
  }
  const prices = bookHistory(market, history, underlyings);
  const nDates = prices.days.length;
  const span = nDates === 0 ? 'has no date on which every underlying of the book has a price'
    : `runs from ${prices.dates[0]} to ${prices.dates[nDates - 1]} (${nDates} dates on which every underlying of the book has a price)`;
  if (nDates < h + 1) {
    throw new InputError(`${src}: too short for the ${h}-observation horizon: it ${span}; a backtest date needs a date ${h} observations `
      + 'after it', { file: src });
  }
  // The model's own needs: the dates of the history it is built from (fhs: the market's held underlyings).
  const need = datesNeeded(setup, recalibrate);
  let firstBuildable = need - 1;
  if (need > 1) {
    const modelDays = setup.method === 'fhs' ? fhsDays(market, history) : prices.days;
    if (modelDays.length < need) {
      throw new InputError(`${src}: too short for the ${method} model: it needs ${need} dates up to the first backtest date`
        + `${setup.method === 'fhs' ? ' (seed, horizon and look-back of the fhs block)' : ' (the EWMA seed of the recalibration)'}, and `
        + `the history has ${modelDays.length}`, { file: src });
    }
    const firstDay = modelDays[need - 1];
    firstBuildable = 0;
    while (firstBuildable < nDates && prices.days[firstBuildable] < firstDay) firstBuildable++;
  }
  const lastUsable = nDates - 1 - h;
  const usable = lastUsable >= firstBuildable
    ? `${prices.dates[firstBuildable]} to ${prices.dates[lastUsable]}` : 'none';
  let lo = firstBuildable, hi = lastUsable;
  if (from !== undefined) {
    if (from < prices.days[0] || from > prices.days[nDates - 1]) {
      throw new InputError(`from ${options.from} is outside the history, which ${span}`, { path: 'from' });
    }
    const i = lastAtOrBefore(prices.days, from - 1) + 1;
    if (i < firstBuildable) {
      throw new InputError(`from ${options.from}: the ${method} model needs ${need} history dates up to a backtest date, so the first `
        + `backtest date is ${prices.dates[firstBuildable] ?? 'none'} (the history ${span})`, { path: 'from' });
    }
    lo = i;
  }
  if (to !== undefined) {
    if (to < prices.days[0] || to > prices.days[nDates - 1]) {
      throw new InputError(`to ${options.to} is outside the history, which ${span}`, { path: 'to' });
    }
    const i = lastAtOrBefore(prices.days, to);
    if (i > lastUsable) {
      throw new InputError(`to ${options.to}: a backtest date needs a date ${h} observation${h === 1 ? '' : 's'} after it, so the last `
        + `backtest date is ${prices.dates[lastUsable]}`, { path: 'to' });
    }
    hi = i;
  }
  if (hi < lo) {
    throw new InputError(`no backtest date ${from !== undefined || to !== undefined ? `from ${options.from ?? prices.dates[lo] ?? '?'} to `
      + `${options.to ?? prices.dates[hi] ?? '?'}` : ''}: the history ${span}, and the usable backtest dates are ${usable}`, { path: 'from' });
  }
  const index: number[] = [];
  for (let i = lo; i <= hi; i += step) index.push(i);
  const warnings: string[] = [];
  if (step < h) {
    warnings.push(`step ${step} is shorter than the ${h}-observation horizon: consecutive loss windows overlap, the exceedances are `
      + 'autocorrelated by construction, and the Kupiec and Christoffersen tests\' independence assumption does not hold '
      + '(their p-values are indicative)');
  }
  checkCubeSize(market, index.length, 'backtest dates');
  const plan: BacktestPlan = {
    method, setup, recalibrate,
    gridBase: recalibrate && setup.method === 'grid' ? gridBaseOf(market, options, setup) : undefined,
    history,
    dates: index.map((i) => prices.dates[i]), days: Int32Array.from(index, (i) => prices.days[i]),
    endDates: index.map((i) => prices.dates[i + h]),
    horizon: h, horizonYears: years, step, coverage, rate: 1 - coverage, warnings,
  };
  // The realized moves' indices, kept with the prices.
  return { plan, prices: { ...prices, index: Int32Array.from(index) } as BookHistory & { index: Int32Array } };
}

/** The days of the fhs model's history (the market's held underlyings, as buildFhsScenarios aligns them). */
function fhsDays(market: ResolvedMarket, history: PriceHistory): Int32Array {
  const all = new Set<number>();
  for (const u of heldUnderlyings(market)) {
    const s = history.series.get(market.underlyings.ids[u]);
    if (s) for (const d of s.days) all.add(d);
  }
  return Int32Array.from([...all].sort((a, b) => a - b));
}

/** The history up to and including `day`: what the model at that date may use (views, no copy). */
export function historyUpTo(history: PriceHistory, day: number): PriceHistory {
  const series = new Map<string, PriceSeries>();
  for (const [id, s] of history.series) {
    const n = lastAtOrBefore(s.days, day) + 1;
    if (n > 0) {
      series.set(id, {
        days: s.days.subarray(0, n), prices: s.prices.subarray(0, n), rows: s.rows.subarray(0, n),
        ...(s.vols ? { vols: s.vols.subarray(0, n) } : {}),
      });
    }
  }
  return { source: history.source, underlyings: history.underlyings.filter((id) => series.has(id)), series };
}

/**
 * The realized scenario set: scenario d moves every underlying of the book by its realized move
 * from backtest date d to the date h observations later (see the file comment).
 */
export function realizedScenarios(market: ResolvedMarket, plan: BacktestPlan, prices: BookHistory & { index?: Int32Array }): ScenarioSet {
  const nScen = plan.dates.length;
  const stride = paddedStride(nScen);
  const nU = market.underlyings.ids.length;
  const spotMult = new Float64Array(nU * stride).fill(1);
  const index = prices.index!;
  const h = plan.horizon;
  prices.underlyings.forEach((u, k) => {
    const P = prices.prices[k];
    for (let d = 0; d < nScen; d++) {
      const i = index[d];
      spotMult[u * stride + d] = Math.exp(Math.log(P[i + h] / P[i]));
    }
  });
  return {
    nScen, stride, nUnderlyings: nU, spotMult, volShock: new Float64Array(nU * stride),
    volWeight: new Float64Array(market.instruments.ids.length).fill(1), horizonYears: plan.horizonYears,
  };
}
