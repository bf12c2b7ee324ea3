// Dynamic initial margin (src/dim, docs/dim.md): the formulas, the grid rebuild and the
// calibration on synthetic price histories whose answers are computed by hand here.
//
// The synthetic histories mostly use returns of constant size c with alternating sign
// (+c, -c, +c, ...): every squared return is c^2, so the EWMA variance is c^2 whatever lambda and
// the seed (v_{i+1} = lambda c^2 + (1 - lambda) c^2), and the RMS of any window is c.
// Where a history changes regime, the EWMA variance follows the closed form of a constant input:
// after n returns of size c from v, v_n = c^2 + lambda^n (v - c^2).
//
// Tolerances: 1e-12 relative on volatilities and moves (prices are written to CSV with 17
// significant digits, so log returns come back to ~1e-15 and sums of thousands of squares to
// ~1e-13 relative); exact equality for counts, dates and states.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { InputError } from '../src/errors.js';
import { validateGrid } from '../src/market/grid-spec.js';
import { parseMarket, resolveMarket } from '../src/market/load.js';
import type { GridSpec } from '../src/market/types.js';
import { parseHistoryCsv } from '../src/history/parse.js';
import { presetJson } from '../src/presets.js';
import { packageFile } from '../src/paths.js';
import {
  annualise, bufferMultiplier, flooredSigma, marginMove, rmsVolatility, stressWeightedSigma, worstWindow,
} from '../src/dim/formulas.js';
import { baseScanRange, entryFor, pointMove, rebuildGrid, scanPoints, scanRange } from '../src/dim/grid.js';
import { calibrate, calibratedMarket, formatReport, resolveSettings, yearsBefore, type CalibrationOptions } from '../src/dim/calibrate.js';
import { formatJson } from '../src/dim/format.js';

const REL = 1e-12;
const DAY = 86_400_000;

function close(actual: number, expected: number, what: string, rel = REL): void {
  const d = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
  expect(d, `${what}: got ${actual}, expected ${expected} (relative difference ${d})`).toBeLessThanOrEqual(rel);
}

function day(s: string): number {
  return Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)) / DAY;
}
function dayStr(d: number): string {
  return new Date(d * DAY).toISOString().slice(0, 10);
}

interface SeriesSpec {
  /** The returns, in order; prices start at p0 and follow P_i = P_{i-1} exp(r_i). */
  returns: number[];
  p0?: number;
  /** The date of the last price; earlier prices on earlier days. */
  end?: string;
  /** Skip Saturdays and Sundays (an equity calendar); default every calendar day. */
  weekdays?: boolean;
}

/** A history CSV of the given series (prices with 17 significant digits). */
function historyCsv(series: Record<string, SeriesSpec>): string {
  const rows = ['date,underlying,price'];
  for (const [u, s] of Object.entries(series)) {
    const n = s.returns.length + 1;
    const days: number[] = [];
    for (let d = day(s.end ?? '2026-11-20'); days.length < n; d--) {
      const w = new Date(d * DAY).getUTCDay();
      if (s.weekdays && (w === 0 || w === 6)) continue;
      days.push(d);
    }
    days.reverse();
    let p = s.p0 ?? 100;
    for (let i = 0; i < n; i++) {
      if (i > 0) p *= Math.exp(s.returns[i - 1]);
      rows.push(`${dayStr(days[i])},${u},${p.toPrecision(17)}`);
    }
  }
  return rows.join('\n') + '\n';
}

/** n returns of size c with alternating sign, starting with +c. */
function alternating(c: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i % 2 === 0 ? c : -c));
}

const exampleText = readFileSync(packageFile('examples', 'market.json'), 'utf8');
const example = parseMarket(exampleText, 'examples/market.json');

/** A small market: one crypto underlying, one equity, each with a linear instrument. */
const small = resolveMarket({
  asOf: '2026-11-20T00:00:00Z', currency: 'USD',
  underlyings: { BTC: { spot: 97000, vol: 0.6, group: 'CRYPTO' }, SPX: { spot: 6000, vol: 0.16 } },
  instruments: { 'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' }, SPX: { kind: 'spot', underlying: 'SPX' } },
}, 'small.json');

function run(series: Record<string, SeriesSpec>, options: CalibrationOptions = {}, base = 'tims-equity', previous?: unknown) {
  const history = parseHistoryCsv(historyCsv(series), 'h.csv');
  return calibrate({
    history, market: small, base: { raw: presetJson(base), source: `presets/${base}.json` },
    previous: previous === undefined ? undefined : { raw: previous, source: 'prev.json' },
  }, options);
}

function expectInputError(f: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  expect(err, `expected an InputError matching ${pattern}`).toBeInstanceOf(InputError);
  expect((err as Error).message).toMatch(pattern);
}

describe('formulas', () => {
  test('move = k sigma sqrt(mpor); annualisation', () => {
    close(marginMove(0.02, 3, 4), 0.12, 'k 3, sigma 2 %, 4 days');
    close(marginMove(0.01, 2.326, 1), 0.02326, 'k 2.326, 1 day');
    expect(marginMove(0, 3, 2)).toBe(0);
    close(annualise(0.01, 252), 0.01 * Math.sqrt(252), '252 days');
    close(annualise(0.02, 365), 0.02 * Math.sqrt(365), '365 days');
  });

  test('RMS volatility and the worst window', () => {
    close(rmsVolatility([0.03, -0.04]), Math.sqrt((9e-4 + 16e-4) / 2), 'two returns');
    close(rmsVolatility([0.5, 0.03, -0.04, 0.5], 1, 3), Math.sqrt(12.5e-4), 'a slice');
    expect(rmsVolatility([], 0, 0)).toBeNaN();
    const w = worstWindow([0.01, 0.01, 0.05, -0.05, 0.01], 2);
    expect([w.from, w.to]).toEqual([2, 4]);
    close(w.sigma, 0.05, 'worst window sigma');
    // Ties go to the earliest window; a window longer than the series is the whole series.
    expect(worstWindow([0.02, -0.02, 0.02, -0.02], 2)).toMatchObject({ from: 0, to: 2 });
    const all = worstWindow([0.01, 0.02], 10);
    expect([all.from, all.to]).toEqual([0, 2]);
    close(all.sigma, Math.sqrt((1e-4 + 4e-4) / 2), 'whole series');
  });

  test('APC (b): 25 % weight on stressed observations, never below the current sigma', () => {
    // sqrt(0.75 * 0.01^2 + 0.25 * 0.03^2) = sqrt(0.75e-4 + 2.25e-4) = sqrt(3e-4)
    close(stressWeightedSigma(0.01, 0.03, 0.25), Math.sqrt(3e-4), 'stressed above current');
    close(stressWeightedSigma(0.01, 0.03, 0.5), Math.sqrt(0.5e-4 + 4.5e-4), 'weight 0.5');
    close(stressWeightedSigma(0.02, 0.01, 0.25), 0.02, 'stressed below current: current');
  });

  test('APC (c): the floor', () => {
    expect(flooredSigma(0.01, 0.015)).toBe(0.015);
    expect(flooredSigma(0.02, 0.015)).toBe(0.02);
  });

  test('APC (a): the buffer multiplier: full, released on a significant rise, kept on a small one, rebuilt when not rising', () => {
    // rate 0.25 (multiplier 1.25 when whole), release threshold 0.1 (a rise of 10 %).
    expect(bufferMultiplier(0.25, 0.1)).toEqual({ multiplier: 1.25, state: 'full' });
    // A rise of 20 %: the buffered requirement stays at 1.25 P: multiplier 1.25 / 1.2.
    expect(bufferMultiplier(0.25, 0.1, 1.2, 1.25)).toEqual({ multiplier: 1.25 / 1.2, state: 'released' });
    // Exactly at the threshold: released.
    expect(bufferMultiplier(0.25, 0.1, 1.1, 1.25)).toEqual({ multiplier: 1.25 / 1.1, state: 'released' });
    // A rise of 30 % > the whole buffer: used up, the margin follows the model.
    expect(bufferMultiplier(0.25, 0.1, 1.3, 1.25)).toEqual({ multiplier: 1, state: 'exhausted' });
    // A second significant rise after a partial release uses the rest: 1.25 / 1.2 / 1.15 < 1.
    expect(bufferMultiplier(0.25, 0.1, 1.15, 1.25 / 1.2)).toEqual({ multiplier: 1, state: 'exhausted' });
    // A small rise (5 %) keeps the multiplier as it was, whole or not.
    expect(bufferMultiplier(0.25, 0.1, 1.05, 1.25)).toEqual({ multiplier: 1.25, state: 'full' });
    expect(bufferMultiplier(0.25, 0.1, 1.05, 1.1)).toEqual({ multiplier: 1.1, state: 'kept' });
    // Not rising (flat or falling): rebuilt to 1.25 at once.
    expect(bufferMultiplier(0.25, 0.1, 1, 1)).toEqual({ multiplier: 1.25, state: 'rebuilt' });
    expect(bufferMultiplier(0.25, 0.1, 0.9, 1.1)).toEqual({ multiplier: 1.25, state: 'rebuilt' });
    expect(bufferMultiplier(0.25, 0.1, 0.9, 1.25)).toEqual({ multiplier: 1.25, state: 'full' });
    // A rebuild step of 0.05: 1 -> 1.05 -> ... -> 1.25 over five calibrations without a rise.
    expect(bufferMultiplier(0.25, 0.1, 1, 1, 0.05)).toEqual({ multiplier: 1.05, state: 'rebuilding' });
    expect(bufferMultiplier(0.25, 0.1, 0.95, 1.22, 0.05)).toEqual({ multiplier: 1.25, state: 'rebuilt' });
    // A previous multiplier outside [1, 1 + rate] is clamped into it; a 50 % buffer; threshold 0.
    expect(bufferMultiplier(0.25, 0.1, 1.05, 2)).toEqual({ multiplier: 1.25, state: 'full' });
    expect(bufferMultiplier(0.5, 0.1)).toEqual({ multiplier: 1.5, state: 'full' });
    expect(bufferMultiplier(0.25, 0, 1.01, 1.25)).toEqual({ multiplier: 1.25 / 1.01, state: 'released' });
  });
});

describe('grid scan ranges and the rebuilt grid', () => {
  const crypto = validateGrid(presetJson('crypto'), 'crypto', '');
  const span = validateGrid(presetJson('span-16'), 'span-16', '');
  const index = validateGrid(presetJson('tims-index'), 'tims-index', '');

  test('the scan range uses the fully covered points only', () => {
    // crypto: +-16 % at cover 1, -33 % / +50 % at cover 0.3; SPAN: +-9 % at cover 1, +-18 % at 0.35.
    expect(scanPoints(crypto)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    close(baseScanRange(crypto), 0.16, 'crypto');
    close(baseScanRange(span), 0.09, 'span-16');
    close(baseScanRange(index), 0.08, 'tims-index (-8 % / +6 %)');
    const allPartial = validateGrid({ points: [{ move: -0.2, cover: 0.5 }, { move: 0.1, cover: 0.5 }] }, 'g', '');
    close(baseScanRange(allPartial), 0.2, 'no point at cover 1: all points');
  });

  test('scan range of an underlying with moveScale or its own moves (example market)', () => {
    const g = example.risk.grid!;
    close(scanRange(g, 'SOL'), 0.16 * 1.25, 'SOL moveScale 1.25');
    close(scanRange(g, 'SPX'), 0.08, 'SPX moves');
    close(scanRange(g, 'BTC'), 0.16, 'BTC not listed: moveScale 1');
  });

  test('entries keep the shape: moveScale = range / M, or own moves scaled', () => {
    const g = example.risk.grid!;
    const e = entryFor(g, 'BTC', 0.12, 'g');
    expect('moveScale' in e && e.moveScale).toBeCloseTo(0.75, 14);
    const s = entryFor(g, 'SPX', 0.04, 'g');
    expect('moves' in s).toBe(true);
    const base = g.underlyings.get('SPX')!.moves!;
    if ('moves' in s) s.moves.forEach((m, j) => close(m, base[j] * 0.5, `SPX moves[${j}]`));
    expectInputError(() => entryFor(validateGrid({ points: [{ move: 0 }] }, 'zero.json', ''), 'BTC', 0.1, 'zero.json'),
      /zero\.json: points: every fully covered point has move 0/);
  });

  test('rebuildGrid replaces only the calibrated underlyings and keeps the rest as written', () => {
    const raw = JSON.parse(exampleText).risk.grid;
    const out = rebuildGrid(raw, new Map([['SOL', { moveScale: 2 }], ['BTC', { moveScale: 0.5 }]]), 'calibrated');
    expect(Object.keys(out)).toEqual(['description', ...Object.keys(raw)]);
    expect(out.points).toEqual(raw.points);
    expect(out.groups).toEqual(raw.groups);
    const u = out.underlyings as Record<string, unknown>;
    expect(Object.keys(u)).toEqual(['SOL', 'SPX', 'NDX', 'AAPL', 'NVDA', 'BTC']);
    expect(u.SOL).toEqual({ moveScale: 2 });
    expect(u.SPX).toEqual(raw.underlyings.SPX);
    expect(u.BTC).toEqual({ moveScale: 0.5 });
    expect(raw.underlyings.SOL).toEqual({ moveScale: 1.25 }); // the input is not modified
  });

  test('formatJson writes valid JSON, short blocks on one line', () => {
    const v = { a: [1, 2, 3], b: { c: 'x', d: [{ move: -0.15 }, { move: 0.1, cover: 0.3 }] }, long: 'y'.repeat(120) };
    const text = formatJson(v);
    expect(JSON.parse(text)).toEqual(v);
    expect(text).toContain('"a": [1, 2, 3]');
  });
});

describe('calibration on synthetic histories', () => {
  test('EWMA on a hand-checked series: seed = mean of the first m squared returns, then the recursion', () => {
    // r = 0.01, -0.02, 0.03, 0.01; lambda 0.9; m = 2:
    // v_2 = (1e-4 + 4e-4) / 2 = 2.5e-4; v_3 = 0.9 * 2.5e-4 + 0.1 * 9e-4 = 3.15e-4;
    // v_4 = 0.9 * 3.15e-4 + 0.1 * 1e-4 = 2.935e-4.
    const r = run({ SPX: { returns: [0.01, -0.02, 0.03, 0.01], weekdays: true } }, { lambda: 0.9, seedReturns: 2 });
    const c = r.underlyings[0];
    expect(c.underlying).toBe('SPX');
    expect(c.returns).toBe(4);
    close(c.sigma, Math.sqrt(2.935e-4), 'EWMA sigma');
    close(c.modelMove, 3 * Math.sqrt(2.935e-4) * Math.SQRT2, 'move');
    expect(r.uncovered).toEqual(['BTC']);
  });

  test('move = k sigma sqrt(mpor) set as moveScale = move / M of the base grid', () => {
    const c = 0.02;
    const r = run({ BTC: { returns: alternating(c, 60) } }, { k: 2.5, mporDays: 5 });
    const u = r.underlyings[0];
    close(u.sigma, c, 'EWMA of constant-size returns');
    const m = 2.5 * c * Math.sqrt(5);
    close(u.move, m, 'move');
    // tims-equity: M = 0.15, points -15 % .. +15 % in steps of 3 %.
    close((r.grid.underlyings as Record<string, { moveScale: number }>).BTC.moveScale, m / 0.15, 'moveScale');
    r.spec.points.forEach((p, j) => close(pointMove(r.spec, 'BTC', j), p.move * m / 0.15, `BTC move at point ${j}`));
    // Every calendar day has a price: 60 returns in 60 calendar days, 365 observations a year.
    expect(u.daysPerYear).toBe(365);
    expect(u).toMatchObject({ daysPerYearFrom: 'observed', calendarDays: 60 });
    close(u.sigmaAnnual, c * Math.sqrt(365), 'annual sigma');
  });

  test('observations a year: the series\' own rate (365 x returns / calendar days), or as given', () => {
    // 41 weekday prices ending on Friday 2026-11-20 start on Friday 2026-09-25: 40 returns in 56
    // calendar days (8 weeks), 365 x 40 / 56 = 365 x 5 / 7 = 260.71 a year: the vol per calendar
    // day times sqrt(365), whatever the calendar.
    const r = run({ SPX: { returns: alternating(0.01, 40), weekdays: true } });
    expect(r.underlyings[0]).toMatchObject({ from: '2026-09-25', calendarDays: 56, daysPerYearFrom: 'observed' });
    close(r.underlyings[0].daysPerYear, 365 * 5 / 7, 'observations a year');
    close(r.underlyings[0].sigmaAnnual, 0.01 * Math.sqrt(365 * 5 / 7), 'annual');
    expect(r.underlyings[0].why).toMatch(/^EWMA sigma 1 % an observation \(16\.15 % a year at 260\.714 observations a year, 40 returns in 56 calendar days\)/);
    // A price every other day: 182.5 a year.
    const alt = parseHistoryCsv(['date,underlying,price', ...Array.from({ length: 41 }, (_, i) =>
      `${dayStr(day('2026-11-20') - 2 * (40 - i))},BTC,${(100 * Math.exp(i % 2 ? 0.01 : 0)).toPrecision(17)}`)].join('\n') + '\n', 'h.csv');
    const a = calibrate({ history: alt, market: small, base: { raw: presetJson('tims-equity'), source: 't' } });
    close(a.underlyings[0].daysPerYear, 182.5, 'every other day');
    const g = run({ SPX: { returns: alternating(0.01, 40), weekdays: true } }, { daysPerYear: 260 });
    expect(g.underlyings[0]).toMatchObject({ daysPerYear: 260, daysPerYearFrom: 'option' });
  });

  test('APC buffer: a margin multiplier in the grid, the scan range left at the model move', () => {
    const c = 0.02, m = 3 * c * Math.SQRT2; // 8.485 %
    const hist = { BTC: { returns: alternating(c, 60) } };
    const none = run(hist, { apc: 'buffer' });
    close(none.underlyings[0].move, m, 'the scan range is the model move');
    close(scanRange(none.spec, 'BTC'), m, 'the grid scan range');
    expect(none.buffer).toEqual({ rate: 0.25, release: 0.1, rebuild: 0.25, multiplier: 1.25, state: 'full' });
    expect(none.grid.marginMultiplier).toBe(1.25);
    expect(none.spec.marginMultiplier).toBe(1.25);
    expect(formatReport(none)).toMatch(/^BTC +60 +2 % +38\.21 % +2 % +8\.485 % +\+0\.0 % +15 % +8\.485 % +-43\.4 %$/m);
    expect(formatReport(none)).toMatch(/^buffer: no previous calibration: full 25 % buffer, margin multiplier 1\.25 \(initial margin = multiplier x calculated margin\)$/m);
    expect(none.grid.description).toMatch(/25 % buffer on the margin .*marginMultiplier 1\.25 \(full\)/);
    // A previous grid: BTC's scan range there, and its multiplier.
    const prev = (range: number, mult?: number) => ({
      ...(presetJson('tims-equity') as object), underlyings: { BTC: { moveScale: range / 0.15 } }, ...(mult ? { marginMultiplier: mult } : {}),
    });
    // The requirement rose 20 % (m / P = 1.2): released, 1.25 / 1.2.
    const rel = run(hist, { apc: 'buffer' }, 'tims-equity', prev(m / 1.2, 1.25));
    close(rel.buffer!.rise!, 1.2, 'rise');
    expect(rel.buffer).toMatchObject({ previous: 1.25, riseUnderlying: 'BTC', state: 'released' });
    close(rel.buffer!.multiplier, 1.25 / 1.2, 'released multiplier');
    close(rel.underlyings[0].move, m, 'the scan range follows the model');
    expect(formatReport(rel)).toMatch(/^buffer: the requirement rose 20\.0 % \(BTC's scan range, the largest rise\) since the previous calibration \(multiplier 1\.25\), at least the 10 % of a significant rise: the buffer absorbs it/m);
    // Flat since a release: rebuilt.
    const reb = run(hist, { apc: 'buffer' }, 'tims-equity', prev(m, 1.25 / 1.2));
    expect(reb.buffer).toMatchObject({ state: 'rebuilt', multiplier: 1.25 });
    close(reb.buffer!.rise!, 1, 'flat');
    // ... or by 0.05 a calibration with bufferRebuild.
    const step = run(hist, { apc: 'buffer', bufferRebuild: 0.05 }, 'tims-equity', prev(m, 1.25 / 1.2));
    expect(step.buffer!.state).toBe('rebuilding');
    close(step.buffer!.multiplier, 1.25 / 1.2 + 0.05, 'one step');
    expect(formatReport(step)).toMatch(/the buffer is rebuilt by at most 0\.05 a calibration, margin multiplier 1\.09167 /);
    // A previous grid without a multiplier (1) and a lower requirement: rebuilt.
    const fell = run(hist, { apc: 'buffer' }, 'tims-equity', presetJson('tims-equity'));
    close(fell.underlyings[0].before, 0.15, 'unlisted: moveScale 1');
    expect(fell.buffer).toMatchObject({ previous: 1, state: 'rebuilt', multiplier: 1.25 });
    // Without the buffer option, no multiplier is written.
    expect(run(hist).grid.marginMultiplier).toBeUndefined();
    expectInputError(() => run(hist, { apc: 'buffer', bufferRelease: -0.1 }), /^bufferRelease: expected a number >= 0, got -0\.1$/);
  });

  test('APC stressed weight over a given stressed period', () => {
    // 40 calm returns (1 %), 10 stressed (4 %), 40 calm. Seed (20) = 1e-4; after the stress
    // v_s = 16e-4 + 0.94^10 (1e-4 - 16e-4); today v = 1e-4 + 0.94^40 (v_s - 1e-4).
    const returns = [...alternating(0.01, 40), ...alternating(0.04, 10), ...alternating(0.01, 40)];
    const vs = 16e-4 + 0.94 ** 10 * (1e-4 - 16e-4);
    const v = 1e-4 + 0.94 ** 40 * (vs - 1e-4);
    // Every calendar day to 2026-11-20: return i (1-based) is dated 90 - i days before it.
    const end = day('2026-11-20');
    const from = dayStr(end - 90 + 41), to = dayStr(end - 90 + 50);
    const r = run({ BTC: { returns } }, { apc: 'stressed-weight', stressedPeriod: { from, to } });
    const u = r.underlyings[0];
    close(u.sigma, Math.sqrt(v), 'EWMA today');
    expect(u.stressed).toMatchObject({ from, to, returns: 10, chosen: 'period' });
    close(u.stressed!.sigma, 0.04, 'stressed sigma');
    close(u.sigmaModel, Math.sqrt(0.75 * v + 0.25 * 16e-4), 'blended sigma');
    close(u.move, 3 * Math.sqrt(0.75 * v + 0.25 * 16e-4) * Math.SQRT2, 'move');
    // A period wider than the stress (2 calm returns each side) mixes them: RMS over 14 returns.
    const wide = run({ BTC: { returns } }, { apc: 'stressed-weight', stressedPeriod: { from: dayStr(end - 90 + 39), to: dayStr(end - 90 + 52) } });
    close(wide.underlyings[0].stressed!.sigma, Math.sqrt((10 * 16e-4 + 4 * 1e-4) / 14), 'wider period');
  });

  test('APC stressed weight over the worst window, and never below today', () => {
    const returns = [...alternating(0.01, 40), ...alternating(0.04, 10), ...alternating(0.01, 40)];
    const end = day('2026-11-20');
    const r = run({ BTC: { returns } }, { apc: 'stressed-weight', stressWindow: 10 });
    expect(r.underlyings[0].stressed).toMatchObject({ from: dayStr(end - 49), to: dayStr(end - 40), returns: 10, chosen: 'worst window' });
    close(r.underlyings[0].stressed!.sigma, 0.04, 'worst window');
    // Stress today: the calm period in the past does not lower sigma.
    const now = [...alternating(0.01, 40), ...alternating(0.05, 30)];
    const t = run({ BTC: { returns: now } }, { apc: 'stressed-weight', stressedPeriod: { from: dayStr(end - 69), to: dayStr(end - 31) } });
    close(t.underlyings[0].stressed!.sigma, 0.01, 'calm stressed period');
    close(t.underlyings[0].sigmaModel, t.underlyings[0].sigma, 'sigma kept');
  });

  test('APC floor: RMS of the returns of the last 10 years, the boundary day excluded', () => {
    // Every calendar day from 2014-11-20 to 2026-11-20. Returns dated up to and including
    // 2016-11-20 (10 years before the last day) are 5 %; after it 2 %, the last 100 at 0.5 %.
    const end = day('2026-11-20'), start = day('2014-11-20'), cutoff = day('2016-11-20');
    const nReturns = end - start;
    const returns = Array.from({ length: nReturns }, (_, i) => {
      const d = start + i + 1;                    // return i is dated at day start + i + 1
      const c = d <= cutoff ? 0.05 : d > end - 100 ? 0.005 : 0.02;
      return i % 2 === 0 ? c : -c;
    });
    const inWindow = end - cutoff;               // 3652 returns (2020 and 2024 are leap years)
    expect(inWindow).toBe(3652);
    const expected = Math.sqrt(((inWindow - 100) * 4e-4 + 100 * 0.25e-4) / inWindow);
    const r = run({ BTC: { returns } }, { apc: 'floor' });
    const u = r.underlyings[0];
    // EWMA today: 100 returns of 0.5 % after a long run of 2 % (v = 4e-4 then).
    close(u.sigma, Math.sqrt(0.25e-4 + 0.94 ** 100 * (4e-4 - 0.25e-4)), 'EWMA today');
    expect(u.floor).toMatchObject({ returns: inWindow, from: '2016-11-20', to: '2026-11-20' });
    close(u.floor!.sigma, expected, 'floor sigma');
    close(u.sigmaModel, expected, 'the floor binds');
    close(u.floor!.years, 3652 / 365.25, 'years');
    // A history shorter than 10 years: the whole of it.
    const short = run({ BTC: { returns: [...alternating(0.03, 50), ...alternating(0.01, 100)] } }, { apc: 'floor' });
    close(short.underlyings[0].floor!.sigma, Math.sqrt((50 * 9e-4 + 100 * 1e-4) / 150), 'short history');
    expect(short.underlyings[0].floor!.returns).toBe(150);
    expect(short.underlyings[0].why).toMatch(/the whole history, shorter than 10/);
    // ... and said loudly: a warning in the result and in the report (150 days: 0.41 years).
    expect(short.underlyings[0].floor!.short).toBe(true);
    expect(short.warnings).toEqual([
      'BTC: the history covers 0.41 years (2026-06-23 to 2026-11-20), less than the 10-year look-back of the floor (EMIR RTS 153/2013 '
      + 'art. 28(1)(c)); the floor is the volatility of those 0.41 years only and may be lower than a 10-year one',
    ]);
    expect(formatReport(short)).toMatch(/^WARNING: BTC: the history covers 0\.41 years/m);
    // A history reaching back to the cutoff covers the look-back: no warning.
    expect(u.floor!.short).toBe(false);
    expect(r.warnings).toEqual([]);
    expect(u.why).toMatch(/floor sigma .* \(10 years\) binds/);
    // The floor does not bind when today is more volatile.
    const calm = run({ BTC: { returns: [...alternating(0.01, 100), ...alternating(0.03, 100)] } }, { apc: 'floor' });
    close(calm.underlyings[0].sigmaModel, calm.underlyings[0].sigma, 'today above the floor');
  });

  test('yearsBefore: same calendar day, 29 February to 1 March', () => {
    expect(dayStr(yearsBefore(day('2026-11-20'), 10))).toBe('2016-11-20');
    expect(dayStr(yearsBefore(day('2024-02-29'), 1))).toBe('2023-03-01');
  });

  test('the grid for the example market validates and moves every underlying as computed', () => {
    // Each underlying: constant-size returns, sigma c_u; k 3, 2 days: m_u = 3 c_u sqrt 2.
    const sizes: Record<string, number> = { BTC: 0.025, ETH: 0.03, SOL: 0.04, SPX: 0.01, NDX: 0.012, AAPL: 0.015, NVDA: 0.03 };
    const equity = new Set(['SPX', 'NDX', 'AAPL', 'NVDA']);
    const series = Object.fromEntries(Object.entries(sizes).map(([u, c]) => [u, { returns: alternating(c, 300), weekdays: equity.has(u) }]));
    const history = parseHistoryCsv(historyCsv(series), 'h.csv');
    const raw = JSON.parse(exampleText).risk.grid;
    const r = calibrate({ history, market: example, base: { raw, source: 'examples/market.json', path: 'risk.grid' } });
    const spec: GridSpec = validateGrid(JSON.parse(JSON.stringify(r.grid)), 'written', '', example);
    const base = example.risk.grid!;
    for (const [u, c] of Object.entries(sizes)) {
      const m = 3 * c * Math.SQRT2;
      // SPX and NDX list their own moves (largest |move| 8 %); the others scale the points (16 %).
      const R = base.underlyings.get(u)?.moves ? 0.08 : 0.16;
      const own = base.underlyings.get(u)?.moves;
      spec.points.forEach((p, j) => close(pointMove(spec, u, j), (own ? own[j] : p.move) * m / R, `${u} point ${j}`));
      close(scanRange(spec, u), m, `${u} scan range`);
    }
    // Everything but the underlyings is the base grid's.
    expect(spec.groups).toEqual(base.groups);
    expect(spec.points).toEqual(base.points);
    expect(spec.maintenanceRatio).toBe(0.8);
    // The market with the new grid and refreshed vols resolves; its vols are c_u sqrt(days a year).
    const m2 = resolveMarket(calibratedMarket(JSON.parse(exampleText), r, true), 'm2.json');
    for (const [u, c] of Object.entries(sizes)) {
      // 301 weekday prices from a Friday to a Friday: 300 returns in 420 days, 365 x 5 / 7 a year.
      close(m2.underlyings.vol[m2.underlyings.index.get(u)!], c * Math.sqrt(equity.has(u) ? 365 * 5 / 7 : 365), `${u} vol`);
    }
    expect(formatReport(r)).toMatch(/^BTC: EWMA sigma 2\.5 % an observation/m);
  });
});

describe('validation: InputErrors naming the field', () => {
  const ok = { BTC: { returns: alternating(0.02, 40) } };
  test.each([
    [{ lambda: 1.2 }, /^lambda: expected a number strictly between 0 and 1, got 1\.2$/],
    [{ lambda: 0 }, /^lambda: expected a number strictly between 0 and 1, got 0$/],
    [{ k: -1 }, /^k: expected a number > 0, got -1$/],
    [{ mporDays: 0 }, /^mporDays: expected a number > 0, got 0$/],
    [{ seedReturns: 1.5 }, /^seedReturns: expected a whole number >= 1, got 1\.5$/],
    [{ stressWeight: 0.1 }, /^stressWeight: expected a number in \[0\.25, 1\] \(EMIR/],
    [{ bufferRate: 0.2 }, /^bufferRate: expected a number >= 0\.25/],
    [{ apc: 'margin-floor' as never }, /^apc: expected one of none, buffer, stressed-weight, floor, got "margin-floor"$/],
    [{ apc: 'stressed-weight', stressedPeriod: { from: '2020-03-01', to: '2020-02-01' } }, /^stressedPeriod: the period starts \(2020-03-01\) after it ends/],
    [{ apc: 'stressed-weight', stressedPeriod: { from: '2020-02-30', to: '2020-03-01' } }, /^stressedPeriod: expected two days YYYY-MM-DD/],
    [{ stressedPeriod: { from: '2020-02-01', to: '2020-03-01' } }, /^stressedPeriod: a stressed period applies to the stressed-weight option only/],
  ] as [CalibrationOptions, RegExp][])('%j', (options, pattern) => {
    expectInputError(() => resolveSettings(options), pattern);
    expectInputError(() => run(ok, options), pattern);
  });

  test('field labels: the CLI names its flags', () => {
    expectInputError(() => resolveSettings({ lambda: 2 }, (f) => `--${f}`), /^--lambda: expected/);
  });

  test('an underlying the market lacks', () => {
    expectInputError(() => run({ ...ok, XRP: { returns: alternating(0.02, 40) } }),
      /^h\.csv: row 43: underlying "XRP" is not in the market small\.json \(its underlyings are BTC, SPX\)/);
  });

  test('too short a history', () => {
    expectInputError(() => run({ BTC: { returns: alternating(0.02, 10) } }),
      /^h\.csv: underlying "BTC": 10 returns \(11 prices from 2026-11-10 to 2026-11-20\); the calibration needs at least 20 \(21 prices\)/);
  });

  test('a history that ends after the market', () => {
    expectInputError(() => run({ BTC: { returns: alternating(0.02, 40), end: '2026-11-21' } }),
      /^h\.csv: row 42: date 2026-11-21 is after the market's asOf 2026-11-20/);
  });

  test('a stressed period without returns', () => {
    expectInputError(() => run(ok, { apc: 'stressed-weight', stressedPeriod: { from: '2020-03-01', to: '2020-03-31' } }),
      /^h\.csv: underlying "BTC": 0 returns dated within the stressed period 2020-03-01 to 2020-03-31/);
  });

  test('constant prices', () => {
    expectInputError(() => run({ BTC: { returns: new Array(40).fill(0) } }), /^h\.csv: underlying "BTC": every price .* is the same/);
  });

  test('a range that takes a point of the base grid below -100 %', () => {
    // crypto's -33 % point at cover 0.3 scales by m / 16 %: m = 3 * 0.13 * sqrt 2 = 55 % gives -114 %.
    expectInputError(() => run({ BTC: { returns: alternating(0.13, 40) } }, {}, 'crypto'),
      /^h\.csv: underlying "BTC": the calibrated scan range 55\.15 % takes point 9 of the base grid \(presets\/crypto\.json\) to a move of -113\.8 %/);
  });
});
