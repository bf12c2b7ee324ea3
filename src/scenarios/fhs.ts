/**
 * The scenario set of filtered historical simulation: one scenario per historical end date, the
 * spot of underlying u moving to S' = S exp(R_u), R_u its h-day log return on that date rescaled
 * to today's volatility; the same dates for every underlying, so the cross-asset dependence of
 * the history is kept. Options age horizonDays / 365 years. Implied vols move only when the history
 * has the vol column (date,underlying,price,vol): then every option on u moves to
 * vol' = vol exp(R_vol,u), R_vol,u formed from the log changes of u's historical vol exactly as R_u
 * from its prices (its own EWMA variance, the same lambda, seed and horizon method, the same dates).
 *
 * With daily log returns r_i = ln(P_{i+1}/P_i) and filtered returns f_i = r_i sqrt(v_n / v_i)
 * (src/history/ewma.ts; m = seedReturns, i >= m), h = horizonDays:
 * - "overlapping": R(i) = f_{i-h+1} + ... + f_i for i = m+h-1 .. n-1 (one scenario per end date,
 *   consecutive windows overlap by h - 1 days);
 * - "sqrt":        R(i) = sqrt(h) f_i            for i = m .. n-1.
 * `lookback` keeps the last `lookback` of these. The stressed period adds, for every price date t
 * in [from, to] (inclusive) with enough history before it, the unfiltered return
 * ("overlapping") ln(P_t / P_{t-h}), or ("sqrt") sqrt(h) ln(P_t / P_{t-1}). Scenario order: the
 * filtered ones by end date, then the stressed ones by end date; a stressed date inside the
 * lookback is in the set twice (filtered and unfiltered).
 *
 * Only the underlyings some instrument refers to need a history; the others do not move.
 */
import { InputError } from '../errors.js';
import type { FhsSpec, ResolvedMarket } from '../market/types.js';
import { alignHistory, type PriceHistory } from '../history/parse.js';
import { dayNumber } from '../math/days.js';
import { ewmaFilter, logReturns } from '../history/ewma.js';
import { paddedStride, type ScenarioSet } from './types.js';
import { checkHistory, checkMarket, fhsOption, given } from '../options.js';

export interface FhsScenarioSet extends ScenarioSet {
  /** dates[s]: the historical end date (YYYY-MM-DD) of scenario s. */
  dates: string[];
  /** stressed[s] = 1 for an unfiltered stressed-period scenario, 0 for a filtered one. */
  stressed: Uint8Array;
  /** Filtered scenarios: scenarios 0 .. nFiltered-1. */
  nFiltered: number;
  /** Per market underlying: today's daily EWMA volatility sqrt(v_n) (NaN when not needed). */
  sigmaToday: Float64Array;
  /** Dates of the aligned history. */
  historyDates: string[];
}

/** Underlying indices that some instrument of the market refers to, in market order. */
export function heldUnderlyings(market: ResolvedMarket): number[] {
  const used = new Uint8Array(market.underlyings.ids.length);
  for (const u of market.instruments.underlying) used[u] = 1;
  const out: number[] = [];
  used.forEach((x, u) => { if (x) out.push(u); });
  return out;
}

/** Builds the FHS scenarios of `market` from `history` (see the file comment). Throws InputError. */
export function buildFhsScenarios(market: ResolvedMarket, spec: FhsSpec, history: PriceHistory, path = 'risk.fhs'): FhsScenarioSet {
  checkMarket(market, 'buildFhsScenarios');
  spec = fhsOption(spec, 'spec');
  checkHistory(history, 'buildFhsScenarios: history');
  if (typeof path !== 'string') throw new InputError(`buildFhsScenarios: path: expected the block's JSON path (a string), got ${given(path)}`, { path: 'path' });
  const src = history.source;
  const und = market.underlyings;
  const held = heldUnderlyings(market);
  const aligned = alignHistory(history, held.map((u) => und.ids[u]), market.asOfMs);
  const nDates = aligned.dates.length;
  const n = Math.max(0, nDates - 1);
  const h = spec.horizonDays, m = spec.seedReturns;
  const overlapping = spec.horizonMethod === 'overlapping';
  // Filtered scenarios end at return index i in [firstEnd, n).
  const firstEnd = overlapping ? m + h - 1 : m;
  const available = Math.max(0, n - firstEnd);
  const need = (count: number) => firstEnd + count + 1; // dates for `count` filtered scenarios
  const what = `${nDates} date${nDates === 1 ? '' : 's'} (${n} daily return${n === 1 ? '' : 's'}); the filter's seed takes ${m} `
    + `(${path}.seedReturns)` + (overlapping && h > 1 ? ` and each ${h}-day overlapping scenario ${h - 1} more` : '');
  if (available < 1) {
    throw new InputError(`${src}: too few dates for the FHS horizon: the history has ${what}, leaving no scenario; it needs `
      + `at least ${need(1)} dates`, { file: src });
  }
  let count = available;
  if (spec.lookback !== undefined) {
    if (spec.lookback > available) {
      throw new InputError(`${src}: too few dates for ${path}.lookback ${spec.lookback}: the history has ${what}, leaving `
        + `${available} scenario${available === 1 ? '' : 's'}; it needs at least ${need(spec.lookback)} dates`, { file: src });
    }
    count = spec.lookback;
  }
  const start = n - count; // first end index used

  // Stressed dates: price indices t with enough history before them.
  const stressedT: number[] = [];
  if (spec.stressedPeriod) {
    const from = dayNumber(spec.stressedPeriod.from), to = dayNumber(spec.stressedPeriod.to);
    const minT = overlapping ? h : 1;
    for (let t = minT; t < nDates; t++) if (aligned.days[t] >= from && aligned.days[t] <= to) stressedT.push(t);
    if (stressedT.length === 0) {
      throw new InputError(`${src}: ${path}.stressedPeriod: no scenario ends from ${spec.stressedPeriod.from} to `
        + `${spec.stressedPeriod.to}: the history runs from ${aligned.dates[0]} to ${aligned.dates[nDates - 1]}`
        + (minT > 1 ? ` and a ${h}-day scenario needs ${h} earlier dates` : ' and a scenario needs an earlier date'),
        { file: src, path: `${path}.stressedPeriod` });
    }
  }

  const nScen = count + stressedT.length;
  const stride = paddedStride(nScen);
  const nU = und.ids.length;
  const spotMult = new Float64Array(nU * stride).fill(1);
  const volShock = new Float64Array(nU * stride);
  const sigmaToday = new Float64Array(nU).fill(NaN);
  const sqrtH = Math.sqrt(h);
  /** exp(R) of the filtered and stressed scenarios of one series (prices or vols), into out[row ..]. */
  const moves = (P: Float64Array, u: number, what: 'price' | 'vol', out: Float64Array, row: number, minus: number): number => {
    const r = logReturns(P);
    const f = ewmaFilter(r, spec.lambda, m);
    if (f.zeroVarianceAt >= 0) {
      const at = aligned.dates[f.zeroVarianceAt];
      throw new InputError(`${src}: ${und.ids[u]}: the EWMA variance${what === 'vol' ? ' of the implied vol' : ''} is 0 on ${at} (the ${what} did not move in the `
        + `${m} seed returns or since); the filter cannot rescale returns by a zero volatility`, { file: src, path: und.ids[u] });
    }
    for (let c = 0; c < count; c++) {
      const i = start + c;
      let R: number;
      if (overlapping) {
        R = 0;
        for (let j = i - h + 1; j <= i; j++) R += f.filtered[j];
      } else {
        R = sqrtH * f.filtered[i];
      }
      out[row + c] = Math.exp(R) - minus;
    }
    stressedT.forEach((t, c) => {
      const R = overlapping ? Math.log(P[t] / P[t - h]) : sqrtH * r[t - 1];
      out[row + count + c] = Math.exp(R) - minus;
    });
    return f.sigmaToday;
  };
  held.forEach((u, k) => {
    sigmaToday[u] = moves(aligned.prices[k], u, 'price', spotMult, u * stride, 0);
    if (aligned.vols) moves(aligned.vols[k], u, 'vol', volShock, u * stride, 1);
  });

  const dates: string[] = [];
  for (let c = 0; c < count; c++) dates.push(aligned.dates[start + c + 1]);
  for (const t of stressedT) dates.push(aligned.dates[t]);
  const stressed = new Uint8Array(nScen);
  stressed.fill(1, count);
  return {
    nScen, stride, nUnderlyings: nU, spotMult, volShock,
    volWeight: new Float64Array(market.instruments.ids.length).fill(1), horizonYears: h / 365,
    dates, stressed, nFiltered: count, sigmaToday, historyDates: aligned.dates,
  };
}
