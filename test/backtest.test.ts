// The backtest of current positions (docs/backtesting.md §5): realized losses against closed
// forms, the model as it stood at each date against the model built directly on the history up
// to it, a synthetic history from a known normal model (the exceedance rate of a correctly
// specified model inside its binomial 99 % interval; half the volatility red), errors as data,
// the bad-input messages, 1 and 2 threads alike, and the command line end to end.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveMarket } from '../src/market/load.js';
import type { MarketInput } from '../src/market/types.js';
import { parseHistoryCsv } from '../src/history/parse.js';
import { parsePortfolios } from '../src/portfolio/read.js';
import { createGridModel } from '../src/models/grid.js';
import { createFhsModel } from '../src/models/fhs.js';
import { createEsModel } from '../src/models/tail.js';
import { calibrate } from '../src/dim/calibrate.js';
import { runBacktest, type BacktestReport, type PortfolioBacktest } from '../src/backtest/run.js';
import { historyUpTo } from '../src/backtest/plan.js';
import { ewmaVols } from '../src/backtest/margins.js';
import { backtestStats, binomialCdf } from '../src/backtest/stats.js';
import { formatBacktest, formatTimeline, BACKTEST_COLUMNS } from '../src/backtest/format.js';
import { dayNumber } from '../src/math/days.js';
import { normCdfRef, normPdfRef } from '../src/reference/normal.js';
import { normInv } from '../src/reference/rng.js';
import { loadFhsPreset } from '../src/presets.js';
import { generateBook } from '../src/demo/book.js';
import { packageFile } from '../src/paths.js';
import { isInputError } from '../src/errors.js';
import { Rng } from './helpers/random.js';
import { CLI } from './helpers/cli.js';
import { END, csv, days } from './helpers/history.js';
import { ok } from './helpers/results.js';


/** A price path from `start` with daily log returns sigma z (z standard normal, Box-Muller from a seeded generator). */
function normalPath(n: number, sigma: number, seed: number, start = 100): number[] {
  const rng = new Rng(seed);
  const p = [start];
  for (let i = 1; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    p.push(p[i - 1] * Math.exp(sigma * z));
  }
  return p;
}

const GRID = {
  points: [{ move: -0.1 }, { move: -0.05 }, { move: 0 }, { move: 0.05 }, { move: 0.1 }],
  volMoves: [-0.2, 0, 0.2], shortOptionMinimum: 0.1, maintenanceRatio: 0.8,
};

function marketInput(over: { vol?: number; es?: Record<string, unknown>; grid?: unknown } = {}): MarketInput {
  return {
    asOf: `${END}T00:00:00Z`, currency: 'USD',
    underlyings: {
      BTC: { spot: 100, rate: 0.04, vol: over.vol ?? 0.5, group: 'CRYPTO' },
      ETH: { spot: 50, rate: 0.04, vol: 0.7, group: 'CRYPTO' },
    },
    instruments: {
      'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
      'BTC-FUT': { kind: 'future', underlying: 'BTC', expiry: '2027-03-26T00:00:00Z', price: 103.5, contractSize: 2 },
      'BTC-SPOT': { kind: 'spot', underlying: 'BTC', contractSize: 0.1 },
      'ETH-PERP': { kind: 'perpetual', underlying: 'ETH' },
      'BTC-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 110, expiry: '2027-06-25T00:00:00Z', vol: 0.55 },
    },
    risk: {
      grid: over.grid ?? GRID,
      es: { confidence: 0.975, horizonDays: 1, scenarios: 20000, seed: 7, distribution: 'normal', maintenanceRatio: 0.8, ...over.es },
    },
  } as MarketInput;
}

const okRow = (r: PortfolioBacktest) => { if (!r.ok) throw new Error(`${r.portfolio}: ${r.message}`); return r; };
const row = (rep: BacktestReport, id: string) => rep.portfolios.find((p) => p.portfolio === id)!;

describe('backtest: realized losses', () => {
  const n = 60;
  const pb = normalPath(n, 0.03, 11), pe = normalPath(n, 0.04, 12, 50);
  const history = parseHistoryCsv(csv({ BTC: pb, ETH: pe }), 'h.csv');
  const market = resolveMarket(marketInput(), 'm.json');

  it('of linear positions equal -q cs F (exp(r) - 1) exactly, r the log return over h observations', async () => {
    for (const [method, h] of [['grid', 1], ['es', 1]] as const) {
      const portfolios = [
        { id: 'perp', positions: [{ instrument: 'BTC-PERP', quantity: 3 }] },
        { id: 'fut', positions: [{ instrument: 'BTC-FUT', quantity: -7 }] },
        { id: 'spot', positions: [{ instrument: 'BTC-SPOT', quantity: 2.5 }] },
      ];
      const rep = await runBacktest(market, portfolios, { method, history });
      expect(rep.horizon).toBe(h);
      expect(rep.dates.length).toBe(n - h);
      const ins = market.instruments;
      for (const p of portfolios) {
        const r = okRow(row(rep, p.id));
        const i = ins.index.get(p.positions[0].instrument)!;
        const q = p.positions[0].quantity, cs = ins.contractSize[i];
        const F = ins.inputKind[i] === 'spot' ? market.underlyings.spot[0] : ins.refPrice[i];
        rep.dates.forEach((_, d) => {
          const want = -(q * (cs * F * (Math.exp(Math.log(pb[d + h] / pb[d])) - 1)));
          expect(r.losses[d], `${method} ${p.id} date ${d}`).toBe(want);
        });
      }
    }
  });

  it('over an h-observation horizon, the move from t to t + h (es horizonDays 3)', async () => {
    const m3 = resolveMarket(marketInput({ es: { horizonDays: 3 } }), 'm.json');
    const rep = await runBacktest(m3, [{ id: 'p', positions: [{ instrument: 'ETH-PERP', quantity: -4 }] }], { method: 'es', history, step: 3 });
    expect(rep.horizon).toBe(3);
    expect(rep.dates.length).toBe(Math.floor((n - 3 - 1) / 3) + 1);
    const r = okRow(rep.portfolios[0]);
    rep.dates.forEach((date, k) => {
      const d = days(n).indexOf(date);
      expect(rep.endDates[k]).toBe(days(n)[d + 3]);
      expect(r.losses[k]).toBe(-(-4 * (50 * (Math.exp(Math.log(pe[d + 3] / pe[d])) - 1))));
    });
  });

  it('a portfolio with no positions (or netting to none) has no exceedances; stats are those of its series', async () => {
    const rep = await runBacktest(market, [
      { id: 'flat', positions: [{ instrument: 'BTC-PERP', quantity: 1 }, { instrument: 'BTC-PERP', quantity: -1 }] },
      { id: 'long', positions: [{ instrument: 'BTC-PERP', quantity: 1 }] },
    ], { method: 'grid', history });
    const flat = okRow(rep.portfolios[0]);
    expect(flat.exceedances).toBe(0);
    expect(flat.observations).toBe(n - 1);
    expect([...flat.losses].every((l) => l === 0)).toBe(true);
    const long = okRow(rep.portfolios[1]);
    const s = backtestStats(long.margins, long.losses, rep.rate);
    if (!s.ok) throw new Error(s.message);
    expect(long.exceedances).toBe(s.exceedances);
    expect(long.kupiecLr).toBe(s.kupiecLr);
    expect(long.christoffersenLr).toBe(s.christoffersenLr);
    expect(long.worstDate).toBe(rep.dates[s.worstIndex]);
    expect(rep.coverage).toBe(0.99);
    // The static grid margin is today's, every date.
    const today = ok(createGridModel(market).margin({ id: 'long', positions: [{ instrument: 'BTC-PERP', quantity: 1 }] })).initialMargin;
    expect([...long.margins].every((m) => m === today)).toBe(true);
    expect(long.peakToTrough).toBe(1);
    expect(long.maxRise1).toBe(0);
  });
});

describe('backtest: the model as it stood at each date', () => {
  const n = 120;
  const pb = normalPath(n, 0.03, 21), pe = normalPath(n, 0.05, 22, 50);
  const historyText = csv({ BTC: pb, ETH: pe });
  const history = parseHistoryCsv(historyText, 'h.csv');
  const market = resolveMarket(marketInput({ es: { scenarios: 2000 } }), 'm.json');
  const positions = [{ instrument: 'BTC-C', quantity: -3 }, { instrument: 'ETH-PERP', quantity: 2 }, { instrument: 'BTC-PERP', quantity: 1 }];
  const fhs = { confidence: 0.99, horizonDays: 2, lambda: 0.94, seedReturns: 20, horizonMethod: 'overlapping', lookback: 60, maintenanceRatio: 1 };

  it('fhs: M_t is the fhs model built on the history up to and including t', async () => {
    const rep = await runBacktest(market, [{ id: 'p', positions }], { method: 'fhs', fhs, history, step: 7 });
    // Seed 20 + overlap 1 + look-back 60 + 1 = 82 dates up to the first backtest date.
    expect(rep.dates[0]).toBe(days(n)[81]);
    const r = okRow(rep.portfolios[0]);
    for (const k of [0, 3, rep.dates.length - 1]) {
      const t = days(n).indexOf(rep.dates[k]);
      const direct = createFhsModel(market, { fhs, history: csv({ BTC: pb.slice(0, t + 1), ETH: pe.slice(0, t + 1) }, days(n).slice(0, t + 1)) });
      expect(r.margins[k], rep.dates[k]).toBe(ok(direct.margin({ id: 'p', positions })).initialMargin);
    }
  });

  it('grid --recalibrate: M_t is the grid calibrated (default settings) on the history up to t', async () => {
    const base = { raw: GRID, source: 'grid', path: '' };
    const rep = await runBacktest(market, [{ id: 'p', positions }], { method: 'grid', grid: GRID as never, recalibrate: true, history });
    expect(rep.dates[0]).toBe(days(n)[20]); // the EWMA seed: 20 returns
    const r = okRow(rep.portfolios[0]);
    for (const k of [0, 50, rep.dates.length - 1]) {
      const cal = calibrate({ history: historyUpTo(history, dayNumber(rep.dates[k])), market, base });
      expect(r.margins[k]).toBe(ok(createGridModel(market, { grid: cal.spec }).margin({ id: 'p', positions })).initialMargin);
    }
    expect(new Set(r.margins).size).toBeGreaterThan(10); // it moves with the volatility
  });

  it('es --recalibrate: vols are the EWMA volatility at t (lambda 0.94, seed 20), annualised by observations per 365 calendar days', async () => {
    const rep = await runBacktest(market, [{ id: 'p', positions }], { method: 'es', recalibrate: true, history, from: days(n)[100] });
    const r = okRow(rep.portfolios[0]);
    const t = 100;
    // By hand: the EWMA of BTC's returns up to t, daily dates, so 365 observations a year.
    const ret = pb.slice(0, t + 1).map((p, i, a) => (i === 0 ? 0 : Math.log(p / a[i - 1]))).slice(1);
    let v = ret.slice(0, 20).reduce((s, x) => s + x * x, 0) / 20;
    for (let i = 20; i < ret.length; i++) v = 0.94 * v + 0.06 * ret[i] * ret[i];
    const vols = ewmaVols(market, { history } as never, dayNumber(days(n)[t]));
    expect(Math.abs(vols[0] - Math.sqrt(v) * Math.sqrt(365)) / vols[0]).toBeLessThan(1e-12);
    const mj = marketInput({ es: { scenarios: 2000 } });
    (mj.underlyings.BTC as { vol: number }).vol = vols[0];
    (mj.underlyings.ETH as { vol: number }).vol = vols[1];
    // The simulation uses the EWMA vols; the options are valued at today's implied vols either way.
    const direct = createEsModel(resolveMarket(mj, 'm.json'));
    expect(r.margins[0]).toBe(ok(direct.margin({ id: 'p', positions })).initialMargin);
  });
});

describe('backtest: a synthetic history from a known normal model', () => {
  // Daily calendar dates, daily log returns N(0, sigma^2 / 365): the es model with vol sigma,
  // horizon 1 day, normal shocks, is the true model. Its margin is ES at 97.5 %, which for a
  // normal loss is the VaR at c = Phi(phi(z) / (1 - 0.975)), z = Phi^-1(0.975): the backtest at
  // coverage c is a VaR-level backtest of a correctly specified model.
  const sigma = 0.6, n = 1001;
  const z = normInv(0.975);
  const c = normCdfRef(normPdfRef(z) / 0.025);
  const p = 1 - c;
  const interval = (m: number) => {
    let lo = 0; while (binomialCdf(lo, m, p) < 0.005) lo++;
    let hi = lo; while (binomialCdf(hi, m, p) < 0.995) hi++;
    return [lo, hi];
  };
  const positions = [{ instrument: 'BTC-PERP', quantity: 1 }];

  it('the exceedance rate falls inside its binomial 99 % interval across seeds; half the volatility is red', async () => {
    // Each seed's count is inside its 99 % interval with probability 0.99 or more: of K = 20 seeds,
    // at most 2 may fall outside (P(more than 2 of 20 at 1 %) = 0.001); the K seeds pooled (20,000
    // dates) must be inside the pooled interval.
    const K = 20;
    const [lo, hi] = interval(n - 1);
    const [poolLo, poolHi] = interval(K * (n - 1));
    const market = resolveMarket(marketInput({ vol: sigma }), 'm.json');
    const half = resolveMarket(marketInput({ vol: sigma / 2 }), 'm.json');
    let outside = 0, pooled = 0;
    for (let seed = 1; seed <= K; seed++) {
      const path = normalPath(n, sigma / Math.sqrt(365), 100 + seed);
      const history = parseHistoryCsv(csv({ BTC: path, ETH: normalPath(n, 0.02, 200 + seed, 50) }), 'h.csv');
      const rep = await runBacktest(market, [{ id: 'p', positions }], { method: 'es', history, coverage: c });
      const r = okRow(rep.portfolios[0]);
      expect(r.observations).toBe(n - 1);
      if (r.exceedances < lo || r.exceedances > hi) outside++;
      pooled += r.exceedances;
      const bad = okRow((await runBacktest(half, [{ id: 'p', positions }], { method: 'es', history, coverage: c })).portfolios[0]);
      expect(bad.zone, `seed ${seed}: ${bad.exceedances} exceedances with half the vol`).toBe('red');
    }
    expect(outside, `${outside} of ${K} seeds outside ${lo}..${hi}`).toBeLessThanOrEqual(2);
    expect(pooled, `pooled ${pooled}, interval ${poolLo}..${poolHi}`).toBeGreaterThanOrEqual(poolLo);
    expect(pooled).toBeLessThanOrEqual(poolHi);
  });
});

describe('backtest: errors as data, one row per portfolio', () => {
  const history = parseHistoryCsv(csv({ BTC: normalPath(40, 0.03, 5), ETH: normalPath(40, 0.03, 6, 50) }), 'h.csv');
  const market = resolveMarket(marketInput(), 'm.json');

  it('a bad portfolio or one whose P&L is not finite is an error row naming the date; the others and BOOK go on', async () => {
    const rep = await runBacktest(market, [
      { id: 'a', positions: [{ instrument: 'BTC-PERP', quantity: 1 }] },
      { id: 'unknown', positions: [{ instrument: 'NOPE', quantity: 1 }] },
      { id: 'huge', positions: [{ instrument: 'BTC-PERP', quantity: 1e308 }] },
      { id: 'b', positions: [{ instrument: 'ETH-PERP', quantity: -2 }] },
    ], { method: 'grid', history });
    expect(rep.portfolios.map((r) => r.portfolio)).toEqual(['a', 'unknown', 'huge', 'b']);
    const unknown = rep.portfolios[1], huge = rep.portfolios[2];
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.code).toBe('E_UNKNOWN_INSTRUMENT');
    expect(huge.ok).toBe(false);
    if (!huge.ok) {
      expect(huge.code).toBe('E_PORTFOLIO');
      expect(huge.message).toContain(rep.dates[0]);
      expect(huge.message).toMatch(/not finite/);
    }
    expect(rep.portfolios[0].ok && rep.portfolios[3].ok).toBe(true);
    if (!rep.book.ok) throw new Error(rep.book.message);
    expect(rep.book.portfolios).toBe(2);
    expect(rep.book.excluded).toBe(2);
    expect(rep.book.observations).toBe(2 * rep.dates.length);
    const text = formatBacktest(rep, 'csv');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(BACKTEST_COLUMNS.join(','));
    expect(lines.length).toBe(6);
    expect(lines[5].startsWith('BOOK,grid,')).toBe(true);
    expect(lines[2]).toMatch(/^unknown,grid,(,){17}error,/);
    const ndjson = formatBacktest(rep, 'ndjson').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(ndjson.length).toBe(5);
    expect(ndjson[4]).toMatchObject({ portfolio: 'BOOK', status: 'ok', error: null, portfolios: 2 });
    expect(ndjson[1]).toMatchObject({ status: 'error', code: 'E_UNKNOWN_INSTRUMENT', observations: null });
    const tl = formatTimeline(rep, 'csv').trimEnd().split('\n');
    expect(tl.length).toBe(1 + 2 * rep.dates.length);
    const [, d0, m0, l0, x0] = tl[1].split(',');
    const a = okRow(rep.portfolios[0]);
    expect([d0, Number(m0), Number(l0), Number(x0)]).toEqual([rep.dates[0], a.margins[0], a.losses[0], a.losses[0] > a.margins[0] ? 1 : 0]);
  });
});

describe('backtest: bad input', () => {
  const n = 40;
  const history = parseHistoryCsv(csv({ BTC: normalPath(n, 0.03, 5), ETH: normalPath(n, 0.03, 6, 50) }), 'h.csv');
  const market = resolveMarket(marketInput(), 'm.json');
  const ports = [{ id: 'p', positions: [{ instrument: 'BTC-PERP', quantity: 1 }, { instrument: 'ETH-PERP', quantity: 1 }] }];
  const message = async (options: Record<string, unknown>, m = market, p: typeof ports = ports) => {
    try {
      await runBacktest(m, p, { history, ...options } as never);
    } catch (e) {
      expect(isInputError(e), String(e)).toBe(true);
      return (e as Error).message;
    }
    throw new Error('no error');
  };
  const d = days(n);

  it('from after to, dates outside the history, a bad step or coverage', async () => {
    expect(await message({ from: d[20], to: d[10] })).toBe(`from ${d[20]} is after to ${d[10]}`);
    expect(await message({ from: '2020-01-01' })).toMatch(/^from 2020-01-01 is outside the history, which runs from 2026-10-12 to 2026-11-20 \(40 dates/);
    expect(await message({ to: '2027-01-01' })).toMatch(/^to 2027-01-01 is outside the history/);
    expect(await message({ to: d[n - 1] })).toBe(`to ${d[n - 1]}: a backtest date needs a date 1 observation after it, so the last backtest date is ${d[n - 2]}`);
    expect(await message({ from: '2026-13-01' })).toMatch(/^from: expected a date YYYY-MM-DD/);
    expect(await message({ step: 0 })).toMatch(/^step: expected a whole number/);
    expect(await message({ coverage: 1 })).toMatch(/^coverage: expected a number strictly between 0 and 1/);
    expect(await message({ method: 'fhs', recalibrate: true })).toMatch(/^recalibrate: the fhs method always rebuilds/);
  });

  it('a history too short for the horizon or the fhs look-back', async () => {
    const short = parseHistoryCsv(csv({ BTC: [100, 101], ETH: [50, 51] }), 'short.csv');
    const m3 = resolveMarket(marketInput({ es: { horizonDays: 2 } }), 'm.json');
    expect(await message({ method: 'es', history: short }, m3)).toMatch(/^short\.csv: too short for the 2-observation horizon: it runs from 2026-11-19 to 2026-11-20 \(2 dates/);
    const fhs = loadFhsPreset('prisma-fhs');
    expect(await message({ method: 'fhs', fhs })).toBe('h.csv: too short for the fhs model: it needs 782 dates up to the first backtest date '
      + '(seed, horizon and look-back of the fhs block), and the history has 40');
    expect(await message({ method: 'grid', recalibrate: true, grid: GRID, history: parseHistoryCsv(csv({ BTC: normalPath(15, 0.03, 1), ETH: normalPath(15, 0.03, 2, 50) }), 's.csv') }))
      .toMatch(/too short for the grid model: it needs 21 dates/);
  });

  it('an underlying of the book missing from the history; an empty book', async () => {
    const onlyEth = parseHistoryCsv(csv({ ETH: normalPath(n, 0.03, 6, 50) }), 'eth.csv');
    expect(await message({ history: onlyEth })).toBe('eth.csv: no prices for underlying "BTC", which the book holds; the history has "ETH"');
    expect(await message({}, market, [{ id: 'x', positions: [] }])).toMatch(/^the book holds no position/);
    expect(await message({ history: undefined })).toMatch(/needs a price history/);
  });
});

describe('backtest: threads and the bundled examples', () => {
  const marketText = readFileSync(packageFile('examples', 'market.json'), 'utf8');
  const market = resolveMarket(JSON.parse(marketText), 'market.json');
  const history = parseHistoryCsv(readFileSync(packageFile('examples', 'history.csv'), 'utf8'), 'history.csv');
  const portfolios = parsePortfolios(readFileSync(packageFile('examples', 'portfolios.csv')), 'portfolios.csv').slice(0, 30);

  it('examples/portfolios.csv is the demo book of 100 portfolios, seed 1 (margin-engine demo --portfolios 100)', () => {
    expect(readFileSync(packageFile('examples', 'portfolios.csv'), 'utf8')).toBe(generateBook(JSON.parse(marketText), { portfolios: 100, seed: 1 }));
  });

  it('fhs on 1 and 2 threads gives the same numbers, bit for bit', async () => {
    const options = { method: 'fhs' as const, fhs: loadFhsPreset('prisma-fhs', market), history, from: '2026-09-01' };
    const one = await runBacktest(market, portfolios, { ...options, threads: 1 });
    const two = await runBacktest(market, portfolios, { ...options, threads: 2 });
    expect(one.dates.length).toBeGreaterThan(40);
    expect(formatTimeline(two, 'csv')).toBe(formatTimeline(one, 'csv'));
    expect(formatBacktest(two, 'csv')).toBe(formatBacktest(one, 'csv'));
  }, 120_000);

  it('an aborted backtest rejects with an AbortError', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(runBacktest(market, portfolios, { method: 'fhs', fhs: loadFhsPreset('prisma-fhs', market), history, signal: ac.signal }))
      .rejects.toMatchObject({ name: 'AbortError' });
  });

  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, 'backtest', ...args], { encoding: 'utf8', timeout: 120_000 });
  const EX = (f: string) => packageFile('examples', f);

  it('the command line on the bundled examples: a year of dates for grid, es and fhs, one row per portfolio and BOOK, the timeline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backtest-'));
    const nPortfolios = new Set(readFileSync(EX('portfolios.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0])).size;
    for (const method of [['grid'], ['es'], ['fhs', '--preset', 'prisma-fhs']]) {
      const out = join(dir, `${method[0]}.csv`), tl = join(dir, `${method[0]}-timeline.csv`);
      const r = cli(['--market', EX('market.json'), '--portfolios', EX('portfolios.csv'), '--history', EX('history.csv'), '--method', ...method,
        '--from', '2025-11-20', '--out', out, '--timeline', tl]);
      expect(r.status, r.stderr).toBe(0);
      const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
      expect(lines[0]).toBe(BACKTEST_COLUMNS.join(','));
      expect(lines.length).toBe(nPortfolios + 2);
      const book = lines[lines.length - 1].split(',');
      expect(book[0]).toBe('BOOK');
      expect(book[1]).toBe(method[0]);
      const dates = Number(book[2]) / nPortfolios;
      expect(dates).toBeGreaterThanOrEqual(250);
      expect(['green', 'yellow', 'red']).toContain(book[12]);
      expect(book[19]).toBe('ok');
      expect(readFileSync(tl, 'utf8').trimEnd().split('\n').length).toBe(1 + nPortfolios * dates);
      if (method[0] === 'es' || method[0] === 'fhs') expect(r.stderr).toMatch(/warning: step 1 is shorter than the 2-observation horizon/);
    }
  }, 120_000);

  it('bad arguments exit 2 and write nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backtest-'));
    const out = join(dir, 'out.csv');
    const base = ['--market', EX('market.json'), '--portfolios', EX('portfolios.csv'), '--history', EX('history.csv'), '--out', out];
    for (const [args, pattern] of [
      [['--from', '2026-01-01', '--to', '2025-01-01'], /from 2026-01-01 is after to 2025-01-01/],
      [['--coverage', '1.5'], /--coverage: expected a number strictly between 0 and 1/],
      [['--method', 'fhs', '--recalibrate'], /--recalibrate: fhs always rebuilds/],
      [['--method', 'fhs'], /risk\.fhs: the fhs method needs a risk\.fhs block/],
      [['--step', 'x'], /--step: expected a whole number/],
    ] as const) {
      const r = cli([...base, ...args]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(existsSync(out)).toBe(false);
    }
    const missing = cli(['--market', EX('market.json'), '--portfolios', EX('portfolios.csv')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--history FILE is required/);
    const help = spawnSync(process.execPath, [CLI, 'backtest', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/margin-engine backtest --market FILE --portfolios FILE --history FILE/);
    expect(help.stdout).toContain('prisma-fhs');
  });

  it('a signal stops the run: exit 130, no output file, existing outputs left as they were', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backtest-'));
    const out = join(dir, 'out.csv'), tl = join(dir, 'tl.csv');
    writeFileSync(out, 'before\n');
    const book = join(dir, 'book.csv');
    writeFileSync(book, generateBook(JSON.parse(marketText), { portfolios: 3000, seed: 2 }));
    const child = spawn(process.execPath, [CLI, 'backtest', '--market', EX('market.json'), '--portfolios', book, '--history', EX('history.csv'),
      '--method', 'fhs', '--preset', 'prisma-fhs', '--out', out, '--timeline', tl], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => { stderr += String(b); });
    const status = await new Promise<number | null>((resolve) => {
      // Signalled once it is under way (4 s into a run of some 12 s here): the in-process loop yields between dates.
      const timer = setTimeout(() => child.kill('SIGINT'), 4000);
      child.on('exit', (code) => { clearTimeout(timer); resolve(code); });
    });
    expect(status, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted \(SIGINT\): the backtest was stopped; nothing was written/);
    expect(readFileSync(out, 'utf8')).toBe('before\n');
    expect(existsSync(tl)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
  }, 60_000);

  it('grid --recalibrate from the command line takes the market file\'s risk.grid as the calibration base', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backtest-'));
    const out = join(dir, 'out.ndjson');
    const few = join(dir, 'few.csv');
    writeFileSync(few, readFileSync(EX('portfolios.csv'), 'utf8').split('\n').slice(0, 30).join('\n') + '\n');
    const r = cli(['--market', EX('market.json'), '--portfolios', few, '--history', EX('history.csv'), '--recalibrate', '--from', '2026-10-01', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    const book = rows[rows.length - 1];
    expect(book).toMatchObject({ portfolio: 'BOOK', method: 'grid', status: 'ok' });
    expect(book.peak_to_trough).toBeGreaterThan(1); // the calibrated margin moves
  });
});
