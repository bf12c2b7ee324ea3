/**
 * Dynamic initial margin: grid scan ranges that follow the market (docs/dim.md).
 *
 * For each underlying of the market found in the price history:
 *   1. daily log returns of its prices, and their EWMA volatility sigma (lambda configurable);
 *   2. the anti-procyclicality option, if one is chosen (EMIR RTS 153/2013 art. 28(1)):
 *      `stressed-weight` and `floor` change sigma, `buffer` changes the move;
 *   3. the scan range `m = k sigma sqrt(mporDays)`, buffered when asked;
 *   4. the base grid rebuilt so that the underlying's scan range is that move (grid.ts).
 * The result is a grid block (the format of risk.grid and of the presets), a report per
 * underlying saying what changed and why, and the annualised vols for a market refresh.
 */
import { InputError, show } from '../errors.js';
import { validateGrid } from '../market/grid-spec.js';
import type { GridSpec, ResolvedMarket } from '../market/types.js';
import { fail, someIds, type JsonObject, type NumberRule, integerIn, NON_NEGATIVE, POSITIVE, UNIT_OPEN } from '../market/validate.js';
import {
  annualise, bufferMultiplier, flooredSigma, marginMove, rmsVolatility, stressWeightedSigma, worstWindow, type BufferState,
} from './formulas.js';
import { entryFor, nonPositiveSpot, rebuildGrid, scanRange, type UnderlyingEntry } from './grid.js';
import type { PriceHistory, PriceSeries } from '../history/parse.js';
import { MS_PER_DAY, dayNumber, dayOfMs, dayString } from '../math/days.js';
import { ewmaFilter, logReturns } from '../history/ewma.js';
import { checkHistory, checkMarket, given } from '../options.js';

export type ApcMethod = 'none' | 'buffer' | 'stressed-weight' | 'floor';
export const APC_METHODS: readonly ApcMethod[] = ['none', 'buffer', 'stressed-weight', 'floor'];

export interface CalibrationOptions {
  /** EWMA decay, in (0, 1). Default 0.94 (RiskMetrics, daily data). */
  lambda?: number;
  /** Multiplier of sigma, > 0. Default 3. */
  k?: number;
  /** Margin period of risk in observation steps (days), > 0. Default 2. */
  mporDays?: number;
  /** Anti-procyclicality option. Default 'none'. */
  apc?: ApcMethod;
  /**
   * Observations (returns) per year of 365 calendar days, for the annualised vols, > 0. Default per
   * underlying: the series' own rate, 365 x returns / calendar days from its first price to its
   * last (365 for a price every day, about 261 for weekdays, about 252 on an exchange calendar).
   * The annualised vol is then the volatility per calendar day times sqrt(365), the convention of
   * the engine (the ES method scales it by sqrt(horizonDays / 365) with calendar days).
   */
  daysPerYear?: number;
  /** `stressed-weight`: the stressed period, dates inclusive (`YYYY-MM-DD`); default the worst window. */
  stressedPeriod?: { from: string; to: string };
  /** `stressed-weight` without a period: the worst window's length in returns. Default 250. */
  stressWindow?: number;
  /** `stressed-weight`: the weight of stressed observations, in [0.25, 1]. Default 0.25. */
  stressWeight?: number;
  /** `buffer`: the buffer as a fraction of the calculated margin, >= 0.25. Default 0.25. */
  bufferRate?: number;
  /**
   * `buffer`: the rise of the requirement since the previous calibration, as a fraction, from which
   * the buffer is released ("rising significantly"), >= 0. Default 0.1 (a rise of 10 %).
   */
  bufferRelease?: number;
  /**
   * `buffer`: the most the multiplier rises at one calibration while the buffer is rebuilt, > 0.
   * Default: the whole buffer at once (bufferRate). A smaller step spreads the rebuild over several
   * calibrations (art. 28(1): "avoiding when possible disruptive or big step changes").
   */
  bufferRebuild?: number;
  /** `floor`: the look-back in years, > 0. Default 10. */
  floorYears?: number;
  /**
   * Returns that seed the EWMA (their mean square is the first variance), a whole number >= 1;
   * also the fewest returns an underlying needs. Default 20.
   */
  seedReturns?: number;
}

/** Options with every default filled in. */
export interface CalibrationSettings {
  lambda: number; k: number; mporDays: number; apc: ApcMethod; daysPerYear?: number;
  stressedPeriod?: { from: string; to: string }; stressWindow: number; stressWeight: number;
  bufferRate: number; bufferRelease: number; bufferRebuild?: number; floorYears: number; seedReturns: number;
}

export const DEFAULT_SETTINGS: Readonly<CalibrationSettings> = {
  lambda: 0.94, k: 3, mporDays: 2, apc: 'none', stressWindow: 250, stressWeight: 0.25,
  bufferRate: 0.25, bufferRelease: 0.1, floorYears: 10, seedReturns: 20,
};

/** A grid block as read from a file, preset or market, and where it came from (for messages). */
export interface GridSource { raw: unknown; source: string; path?: string }

export interface CalibrationInput {
  /** The price history (parseHistoryCsv), one series per underlying; `source` names it in messages. */
  history: PriceHistory;
  market: ResolvedMarket;
  /** The grid whose shape is kept (a preset, a file or the market's risk.grid). */
  base: GridSource;
  /** The previous calibration's grid: the buffer's starting point and the report's "before". */
  previous?: GridSource;
}

/** What the calibration did for one underlying. */
export interface UnderlyingCalibration {
  underlying: string;
  /** Returns used (prices - 1), and the dates of the first and last price. */
  returns: number;
  from: string;
  to: string;
  daysPerYear: number;
  /** `option`: given; `observed`: 365 x returns / calendar days spanned by the series. */
  daysPerYearFrom: 'option' | 'observed';
  /** Calendar days from the first price to the last. */
  calendarDays: number;
  /** EWMA daily volatility after the last return, and annualised. */
  sigma: number;
  sigmaAnnual: number;
  /** `stressed-weight`: the stressed observations' volatility and where they are. */
  stressed?: { sigma: number; from: string; to: string; returns: number; chosen: 'period' | 'worst window' };
  /** `floor`: the look-back volatility and its span. */
  floor?: { sigma: number; from: string; to: string; returns: number; years: number; short: boolean };
  /** sigma after the stressed weight or the floor (= sigma otherwise): the model's sigma. */
  sigmaModel: number;
  /** Annualised model sigma: the vol a market refresh writes. */
  volAnnual: number;
  /** The move without anti-procyclicality, `k sigma sqrt(mporDays)`. */
  ewmaMove: number;
  /** The model's move, `k sigmaModel sqrt(mporDays)`. */
  modelMove: number;
  /** The scan range written. */
  move: number;
  /** The scan range before: the previous grid's, else the base grid's. */
  before: number;
  beforeFrom: 'previous' | 'base';
  /** What the grid writes for the underlying. */
  entry: UnderlyingEntry;
  /** One line: what changed and why. */
  why: string;
}

export interface CalibrationResult {
  /** The grid block to write (validates with validateGrid against the market). */
  grid: JsonObject;
  spec: GridSpec;
  settings: CalibrationSettings;
  underlyings: UnderlyingCalibration[];
  /** Underlyings of the market the history does not cover: their base settings are kept. */
  uncovered: string[];
  /** The market's asOf and the last date of the history, for the report. */
  asOf: string;
  historyTo: string;
  /** `buffer`: the margin multiplier written into the grid and how it was set. */
  buffer?: BufferResult;
  /** What the caller must show the user (a look-back the history does not cover). */
  warnings: string[];
}

/** The buffer of APC option (a) at one calibration (docs/dim.md section 4(a)). */
export interface BufferResult {
  /** The buffer rate and the release threshold used. */
  rate: number;
  release: number;
  /** The most the multiplier rises at one calibration while rebuilding. */
  rebuild: number;
  /** The previous calibration's multiplier (its grid's marginMultiplier, 1 when absent); none without --previous. */
  previous?: number;
  /** The largest ratio of a calibrated scan range to the previous one, and its underlying; none without --previous. */
  rise?: number;
  riseUnderlying?: string;
  /** The grid's marginMultiplier: initial margin = multiplier x calculated margin. */
  multiplier: number;
  state: BufferState;
}

// ---------------------------------------------------------------------------------------------
// Options

/**
 * Validates options and fills in defaults. `label(field)` names a field in messages (the CLI passes
 * its flag names); errors are InputErrors `<label>: expected <rule>, got <value>`.
 */
export function resolveSettings(options: CalibrationOptions = {}, label: (field: string) => string = (f) => f): CalibrationSettings {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InputError(`options: expected an object of calibration options ({ lambda?, k?, mporDays?, apc?, ... }) or nothing, got ${given(options)}`,
      { path: 'options' });
  }
  const s: CalibrationSettings = { ...DEFAULT_SETTINGS };
  const numOpt = (key: keyof CalibrationOptions & keyof CalibrationSettings, rule: NumberRule) => {
    const v = options[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || !rule.ok(v)) optionError(label(key), `expected ${rule.text}, got ${show(v)}`);
    (s as unknown as Record<string, unknown>)[key] = v;
  };
  numOpt('lambda', UNIT_OPEN);
  numOpt('k', POSITIVE);
  numOpt('mporDays', POSITIVE);
  numOpt('daysPerYear', POSITIVE);
  numOpt('stressWindow', integerIn(2, Number.MAX_SAFE_INTEGER));
  numOpt('stressWeight', { text: 'a number in [0.25, 1] (EMIR RTS 153/2013 art. 28(1)(b): at least 25 %)', ok: (x) => x >= 0.25 && x <= 1 });
  numOpt('bufferRate', { text: 'a number >= 0.25 (EMIR RTS 153/2013 art. 28(1)(a): at least 25 %)', ok: (x) => x >= 0.25 });
  numOpt('bufferRelease', NON_NEGATIVE);
  numOpt('bufferRebuild', POSITIVE);
  numOpt('floorYears', POSITIVE);
  numOpt('seedReturns', integerIn(1, Number.MAX_SAFE_INTEGER));
  if (options.apc !== undefined) {
    if (!APC_METHODS.includes(options.apc)) optionError(label('apc'), `expected one of ${APC_METHODS.join(', ')}, got ${show(options.apc)}`);
    s.apc = options.apc;
  }
  if (options.stressedPeriod !== undefined) {
    const p = options.stressedPeriod;
    const from = dayNumber(String(p?.from)), to = dayNumber(String(p?.to));
    if (Number.isNaN(from) || Number.isNaN(to)) {
      optionError(label('stressedPeriod'), `expected two days YYYY-MM-DD (from, to), got ${show(p)}`);
    }
    if (from > to) optionError(label('stressedPeriod'), `the period starts (${p.from}) after it ends (${p.to})`);
    if (s.apc !== 'stressed-weight') optionError(label('stressedPeriod'), `a stressed period applies to the stressed-weight option only (apc is ${s.apc})`);
    s.stressedPeriod = { from: p.from, to: p.to };
  }
  return s;
}

/** `r` is a result of calibrate (its grid, settings and underlyings); else an InputError naming `where`. */
function checkCalibrationResult(r: unknown, where: string): void {
  const x = r as Partial<CalibrationResult> | null;
  if (typeof x !== 'object' || x === null || typeof x.grid !== 'object' || x.grid === null || typeof x.settings !== 'object'
    || x.settings === null || !Array.isArray(x.underlyings) || !Array.isArray(x.uncovered) || !Array.isArray(x.warnings)) {
    throw new InputError(`${where}: result: expected a result of calibrate(), got ${given(r)}`, { path: 'result' });
  }
}

/** The entry guard of calibrate: `input` is { history, market, base[, previous] } of the right kinds. */
function checkCalibrationInput(input: unknown): void {
  const where = 'calibrate: input';
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InputError(`${where}: expected { history, market, base[, previous] } (a price history, a market and a grid source), got ${given(input)}`,
      { path: 'input' });
  }
  const i = input as Record<string, unknown>;
  checkMarket(i.market, `${where}.market`);
  checkHistory(i.history, `${where}.history`);
  const gridSource = (key: 'base' | 'previous') => {
    const g = i[key] as Partial<GridSource> | undefined;
    if (typeof g !== 'object' || g === null || typeof g.source !== 'string' || !('raw' in g) || (g.path !== undefined && typeof g.path !== 'string')) {
      throw new InputError(`${where}.${key}: expected a grid source { raw, source[, path] } (the grid's JSON and where it came from), got ${given(g)}`,
        { path: `input.${key}` });
    }
  };
  gridSource('base');
  if (i.previous !== undefined) gridSource('previous');
}

function optionError(field: string, detail: string): never {
  throw new InputError(`${field}: ${detail}`, { path: field });
}

/** The day number of the same calendar day `years` years before `day` (29 February goes to 1 March); fractional years by 365.25 days. */
export function yearsBefore(day: number, years: number): number {
  const whole = Math.floor(years);
  const d = new Date(day * MS_PER_DAY);
  const back = Date.UTC(d.getUTCFullYear() - whole, d.getUTCMonth(), d.getUTCDate()) / MS_PER_DAY;
  return back - Math.round((years - whole) * 365.25);
}


/** Observations per 365 calendar days of a series of `returns` returns over `calendarDays` days. */
export function observationsPerYear(returns: number, calendarDays: number): number {
  return (365 * returns) / calendarDays;
}

// ---------------------------------------------------------------------------------------------
// Calibration

/** Calibrates the grid's scan ranges to the price history (see the module comment and docs/dim.md). */
export function calibrate(input: CalibrationInput, options: CalibrationOptions = {}, label?: (field: string) => string): CalibrationResult {
  checkCalibrationInput(input);
  const settings = resolveSettings(options, label);
  const { market, history } = input;
  const hs = history.source;
  const baseSpec = validateGrid(input.base.raw, input.base.source, input.base.path ?? '', market);
  const prevSpec = input.previous ? validateGrid(input.previous.raw, input.previous.source, input.previous.path ?? '') : undefined;

  const asOfDay = dayOfMs(market.asOfMs);
  for (const u of history.underlyings) {
    const s = history.series.get(u)!;
    if (!market.underlyings.index.has(u)) {
      fail(hs, `row ${s.rows[0]}`, `underlying ${show(u)} is not in the market ${market.source} (its underlyings are `
        + `${someIds(market.underlyings.ids)}); remove its rows or add it to the market`);
    }
    const last = s.days.length - 1;
    if (s.days[last] > asOfDay) {
      fail(hs, `row ${s.rows[last]}`, `date ${dayString(s.days[last])} is after the market's asOf ${dayString(asOfDay)}; `
        + 'a history must end on or before it');
    }
  }
  const results: UnderlyingCalibration[] = [];
  const entries = new Map<string, UnderlyingEntry>();
  let lastDay = -Infinity;
  for (const u of market.underlyings.ids) {  // the market's order
    const series = history.series.get(u);
    if (!series) continue;
    const c = calibrateOne(u, series, hs, settings, baseSpec, prevSpec, input.base.source, label);
    results.push(c);
    entries.set(u, c.entry);
    lastDay = Math.max(lastDay, series.days[series.days.length - 1]);
  }
  const uncovered = market.underlyings.ids.filter((u) => !history.series.has(u));
  const historyTo = dayString(lastDay);
  const buffer = settings.apc === 'buffer' ? bufferFor(results, settings, prevSpec) : undefined;
  const description = describe(settings, input, results, uncovered, historyTo, buffer);
  const grid = rebuildGrid(input.base.raw, entries, description);
  if (buffer) grid.marginMultiplier = buffer.multiplier;
  const spec = validateGrid(grid, 'calibrated grid', '', market);
  const warnings: string[] = [];
  for (const c of results) {
    if (c.floor?.short) {
      warnings.push(`${c.underlying}: the history covers ${c.floor.years.toFixed(2)} years (${c.from} to ${c.to}), less than the `
        + `${settings.floorYears}-year look-back of the floor (EMIR RTS 153/2013 art. 28(1)(c)); the floor is the volatility of `
        + `those ${c.floor.years.toFixed(2)} years only and may be lower than a ${settings.floorYears}-year one`);
    }
  }
  const result: CalibrationResult = { grid, spec, settings, underlyings: results, uncovered, asOf: market.asOf, historyTo, buffer, warnings };
  if (!buffer) delete result.buffer;
  return result;
}

/**
 * The buffer multiplier (formulas.ts bufferMultiplier): the rise is the largest ratio of a
 * calibrated underlying's new scan range to its scan range in the previous grid.
 */
function bufferFor(results: UnderlyingCalibration[], st: CalibrationSettings, prev: GridSpec | undefined): BufferResult {
  let rise: number | undefined, riseUnderlying: string | undefined;
  if (prev) {
    for (const c of results) {
      const r = c.move / c.before;
      if (rise === undefined || r > rise) { rise = r; riseUnderlying = c.underlying; }
    }
  }
  const previous = prev ? prev.marginMultiplier ?? 1 : undefined;
  const rebuild = st.bufferRebuild ?? st.bufferRate;
  const b = bufferMultiplier(st.bufferRate, st.bufferRelease, rise, previous, rebuild);
  const out: BufferResult = { rate: st.bufferRate, release: st.bufferRelease, rebuild, previous, rise, riseUnderlying, multiplier: b.multiplier, state: b.state };
  if (previous === undefined) { delete out.previous; delete out.rise; delete out.riseUnderlying; }
  return out;
}

function calibrateOne(u: string, series: PriceSeries, hs: string, st: CalibrationSettings, base: GridSpec, prev: GridSpec | undefined,
  baseSource: string, label: ((field: string) => string) | undefined): UnderlyingCalibration {
  const { days, prices } = series;
  const n = prices.length;
  const returns = logReturns(prices);
  const from = dayString(days[0]), to = dayString(days[n - 1]);
  if (returns.length < st.seedReturns) {
    fail(hs, `underlying ${show(u)}`, `${returns.length} returns (${n} prices from ${from} to ${to}); `
      + `the calibration needs at least ${st.seedReturns} (${st.seedReturns + 1} prices), the returns that seed the EWMA `
      + `(${label ? label('seedReturns') : 'seedReturns'})`);
  }

  let daysPerYear: number, daysPerYearFrom: UnderlyingCalibration['daysPerYearFrom'];
  if (st.daysPerYear !== undefined) { daysPerYear = st.daysPerYear; daysPerYearFrom = 'option'; }
  else {
    daysPerYear = observationsPerYear(returns.length, days[n - 1] - days[0]);
    daysPerYearFrom = 'observed';
  }

  const sigma = ewmaFilter(returns, st.lambda, st.seedReturns).sigmaToday;
  let sigmaModel = sigma;
  let stressed: UnderlyingCalibration['stressed'];
  let floor: UnderlyingCalibration['floor'];
  // Return i (0-based) is ln(P_{i+1} / P_i), dated at days[i + 1].
  if (st.apc === 'stressed-weight') {
    if (st.stressedPeriod) {
      const a = dayNumber(st.stressedPeriod.from), b = dayNumber(st.stressedPeriod.to);
      let lo = -1, hi = -1;
      for (let i = 0; i < returns.length; i++) {
        const t = days[i + 1];
        if (t >= a && t <= b) { if (lo < 0) lo = i; hi = i + 1; }
      }
      const count = lo < 0 ? 0 : hi - lo;
      if (count < 2) {
        fail(hs, `underlying ${show(u)}`, `${count} returns dated within the stressed period ${st.stressedPeriod.from} to `
          + `${st.stressedPeriod.to} (${label ? label('stressedPeriod') : 'stressedPeriod'}); at least 2 are needed `
          + `(its prices run from ${from} to ${to})`);
      }
      stressed = { sigma: rmsVolatility(returns, lo, hi), from: dayString(days[lo + 1]), to: dayString(days[hi]), returns: count, chosen: 'period' };
    } else {
      const w = worstWindow(returns, st.stressWindow);
      stressed = { sigma: w.sigma, from: dayString(days[w.from + 1]), to: dayString(days[w.to]), returns: w.to - w.from, chosen: 'worst window' };
    }
    sigmaModel = stressWeightedSigma(sigma, stressed.sigma, st.stressWeight);
  } else if (st.apc === 'floor') {
    const cutoff = yearsBefore(days[n - 1], st.floorYears);
    let lo = 0;  // the first return dated after the cutoff
    while (lo < returns.length && !(days[lo + 1] > cutoff)) lo++;
    floor = {
      sigma: rmsVolatility(returns, lo, returns.length), from: dayString(days[lo]), to, returns: returns.length - lo,
      years: (days[n - 1] - days[lo]) / 365.25, short: days[0] > cutoff,
    };
    sigmaModel = flooredSigma(sigma, floor.sigma);
  }

  const modelMove = marginMove(sigmaModel, st.k, st.mporDays);
  const baseRange = scanRange(base, u);
  const prevRange = prev ? scanRange(prev, u) : undefined;
  // The buffer (option a) multiplies the margin, not the scan range: see bufferFor.
  const move = modelMove;
  if (!(move > 0)) {
    fail(hs, `underlying ${show(u)}`, `every price from ${from} to ${to} is the same: volatility 0 gives a scan range of 0; `
      + 'a grid needs a positive range');
  }
  const entry = entryFor(base, u, move, baseSource);
  const bad = nonPositiveSpot(base, entry);
  if (bad) {
    fail(hs, `underlying ${show(u)}`, `the calibrated scan range ${pct(move)} takes point ${bad.j} of the base grid (${baseSource}) `
      + `to a move of ${pct(bad.move)}, at or below -100 %; use a smaller k or a base grid without that point`);
  }
  const c: UnderlyingCalibration = {
    underlying: u, returns: returns.length, from, to, daysPerYear, daysPerYearFrom, calendarDays: days[n - 1] - days[0],
    sigma, sigmaAnnual: annualise(sigma, daysPerYear), stressed, floor, sigmaModel, volAnnual: annualise(sigmaModel, daysPerYear),
    ewmaMove: marginMove(sigma, st.k, st.mporDays), modelMove, move, before: prevRange ?? baseRange, beforeFrom: prevRange === undefined ? 'base' : 'previous',
    entry, why: '',
  };
  if (!stressed) delete c.stressed;
  if (!floor) delete c.floor;
  c.why = explain(c, st);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Words

/** A fraction as a percentage with 4 significant digits: 0.0891234 -> "8.912 %". */
export function pct(x: number): string {
  return `${Number((100 * x).toPrecision(4))} %`;
}

function explain(c: UnderlyingCalibration, st: CalibrationSettings): string {
  const parts: string[] = [];
  const rate = c.daysPerYearFrom === 'option' ? 'as given'
    : `${c.returns} returns in ${c.calendarDays} calendar days`;
  parts.push(`EWMA sigma ${pct(c.sigma)} an observation (${pct(c.sigmaAnnual)} a year at ${Number(c.daysPerYear.toPrecision(6))} `
    + `observations a year, ${rate})`);
  if (c.stressed) {
    const cmp = c.stressed.sigma > c.sigma ? 'above' : 'not above';
    parts.push(`stressed sigma ${pct(c.stressed.sigma)} (${c.stressed.chosen} ${c.stressed.from} to ${c.stressed.to}, ${c.stressed.returns} returns) `
      + `is ${cmp} it, so ${st.stressWeight} weight on it gives sigma ${pct(c.sigmaModel)}`);
  }
  if (c.floor) {
    const binds = c.floor.sigma > c.sigma;
    const span = c.floor.short ? `${c.floor.years.toFixed(2)} years: the whole history, shorter than ${st.floorYears}` : `${st.floorYears} years`;
    parts.push(`floor sigma ${pct(c.floor.sigma)} (${span}) ${binds ? 'binds' : 'does not bind'}: sigma ${pct(c.sigmaModel)}`);
  }
  parts.push(`model move ${st.k} x ${pct(c.sigmaModel)} x sqrt(${st.mporDays}) = ${pct(c.modelMove)}`);
  const change = c.move > c.before * (1 + 1e-12) ? 'up' : c.move < c.before * (1 - 1e-12) ? 'down' : 'unchanged';
  const ratio = c.before > 0 ? ` (${c.move >= c.before ? '+' : ''}${(100 * (c.move / c.before - 1)).toFixed(1)} %)` : '';
  parts.push(`scan range ${pct(c.before)} -> ${pct(c.move)}, ${change}${ratio} against the ${c.beforeFrom} grid`);
  return parts.join('; ');
}

function describe(st: CalibrationSettings, input: CalibrationInput, results: UnderlyingCalibration[], uncovered: string[],
  historyTo: string, buffer: BufferResult | undefined): string {
  const apc = st.apc === 'none' ? 'no anti-procyclicality option'
    : st.apc === 'buffer' ? `anti-procyclicality: ${st.bufferRate * 100} % buffer on the margin (EMIR RTS 153/2013 art. 28(1)(a)), `
      + `marginMultiplier ${buffer!.multiplier} (${buffer!.state})`
      : st.apc === 'stressed-weight' ? `anti-procyclicality: ${st.stressWeight * 100} % weight on stressed observations (art. 28(1)(b))`
        : `anti-procyclicality: floor from a ${st.floorYears}-year look-back (art. 28(1)(c))`;
  const kept = uncovered.length > 0 ? ` Not in the history, kept as in the base grid: ${uncovered.join(', ')}.` : '';
  return `Calibrated from ${input.history.source} (prices to ${historyTo}) on the base grid ${input.base.source}: scan range = `
    + `${st.k} x EWMA sigma (lambda ${st.lambda}) x sqrt(${st.mporDays} days), ${apc}; `
    + `${results.length} underlyings (${results.map((r) => r.underlying).join(', ')}).${kept} See the calibration report.`;
}

/** One line: how the buffer multiplier was set. */
export function bufferWhy(b: BufferResult): string {
  const full = 1 + b.rate;
  const m = `margin multiplier ${Number(b.multiplier.toPrecision(6))} (initial margin = multiplier x calculated margin)`;
  if (b.rise === undefined) return `no previous calibration: full ${b.rate * 100} % buffer, ${m}`;
  const rise = `the requirement ${b.rise >= 1 ? 'rose' : 'fell'} ${(100 * Math.abs(b.rise - 1)).toFixed(1)} % (${b.riseUnderlying}'s scan range, `
    + `the largest rise) since the previous calibration (multiplier ${Number(b.previous!.toPrecision(6))})`;
  switch (b.state) {
    case 'released': return `${rise}, at least the ${b.release * 100} % of a significant rise: the buffer absorbs it, ${m}`;
    case 'exhausted': return `${rise}, at least the ${b.release * 100} % of a significant rise and more than the buffer left: buffer used up, ${m}`;
    case 'kept': return `${rise}, less than the ${b.release * 100} % of a significant rise: the buffer is kept as it was, ${m}`;
    case 'rebuilt': return `${rise}: the requirement is not rising, the buffer is rebuilt to ${b.rate * 100} %, ${m}`;
    case 'rebuilding': return `${rise}: the requirement is not rising, the buffer is rebuilt by at most ${b.rebuild} a calibration, ${m}`;
    default: return `${rise}: the buffer stays whole (${full}), ${m}`;
  }
}

/** The report as text: a table per underlying and the reason line of each. */
export function formatReport(r: CalibrationResult): string {
  checkCalibrationResult(r, 'formatReport');
  const st = r.settings;
  const lines: string[] = [];
  lines.push(`calibration: k ${st.k}, lambda ${st.lambda}, margin period of risk ${st.mporDays} days, apc ${st.apc}; `
    + `history to ${r.historyTo}, market as of ${r.asOf}`);
  const change = (a: number, b: number) => (b > 0 ? `${a >= b ? '+' : ''}${(100 * (a / b - 1)).toFixed(1)} %` : '');
  const head = ['underlying', 'returns', 'sigma/day', 'sigma/yr', 'model sigma', 'ewma move', 'apc effect', 'before', 'after', 'change'];
  const rows = r.underlyings.map((c) => [
    c.underlying, String(c.returns), pct(c.sigma), pct(c.sigmaAnnual), pct(c.sigmaModel), pct(c.ewmaMove),
    change(c.move, c.ewmaMove), pct(c.before), pct(c.move), change(c.move, c.before),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) => row.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  lines.push(fmt(head));
  for (const row of rows) lines.push(fmt(row));
  for (const c of r.underlyings) lines.push(`${c.underlying}: ${c.why}`);
  if (r.buffer) lines.push(`buffer: ${bufferWhy(r.buffer)}`);
  for (const w of r.warnings) lines.push(`WARNING: ${w}`);
  if (r.uncovered.length > 0) lines.push(`not in the history, kept as in the base grid: ${r.uncovered.join(', ')}`);
  return lines.join('\n') + '\n';
}

/**
 * A copy of a market snapshot (as parsed JSON) with `risk.grid` replaced by the calibrated grid
 * and, when `refreshVol`, each calibrated underlying's `vol` set to its annualised model sigma.
 */
export function calibratedMarket(marketJson: unknown, r: CalibrationResult, refreshVol: boolean): JsonObject {
  if (typeof marketJson !== 'object' || marketJson === null || Array.isArray(marketJson)
    || typeof (marketJson as { underlyings?: unknown }).underlyings !== 'object' || (marketJson as { underlyings?: unknown }).underlyings === null) {
    throw new InputError(`calibratedMarket: marketJson: expected the market's JSON (an object with underlyings), got ${given(marketJson)}`,
      { path: 'marketJson' });
  }
  checkCalibrationResult(r, 'calibratedMarket');
  const m = JSON.parse(JSON.stringify(marketJson)) as JsonObject;
  if (refreshVol) {
    const und = m.underlyings as Record<string, Record<string, unknown>>;
    for (const c of r.underlyings) und[c.underlying].vol = c.volAnnual;
  }
  const risk = (typeof m.risk === 'object' && m.risk !== null ? m.risk : {}) as JsonObject;
  m.risk = { ...risk, grid: r.grid };
  return m;
}
