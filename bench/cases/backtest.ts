/**
 * Backtest throughput (src/backtest): the demo book (src/demo/book.ts) over the example market and
 * the bundled history, runBacktest end to end (netting, the realized-loss cube, the margins of
 * every date, the statistics), in portfolio-dates per second:
 * - grid, static (the market's grid: one margin per portfolio, repeated) on one thread;
 * - grid --recalibrate (a calibration and a cube per date) and fhs (prisma-fhs: a filtered
 *   scenario set and a cube per date) on 1 thread (in-process, the baseline) and on 2 workers.
 * A run is seconds long, so each is sampled at least 3 times (not the suite's minimum). Results are
 * checked once: the 2-worker run's margins and losses equal the in-process run's, bit for bit.
 */
import { readFileSync } from 'node:fs';
import { Piscina } from 'piscina';
import { join } from 'node:path';
import { backtestWorkerFile, runBacktest, type BacktestOptions, type BacktestReport } from '../../src/backtest/run.js';
import { parseHistoryCsv } from '../../src/history/parse.js';
import { parsePortfolios } from '../../src/portfolio/read.js';
import { generateBook } from '../../src/demo/book.js';
import { loadFhsPreset } from '../../src/presets.js';
import { exampleMarket, exampleMarketInput } from '../data.js';
import { packageRoot } from '../env.js';
import { CheckError, measureAsync, type Row, type Settings } from '../harness.js';

const GROUP = 'backtest (demo book, bundled history)';
const IN_PROCESS = 'in-process (threads 1)';

function same(a: BacktestReport, b: BacktestReport, what: string): void {
  a.portfolios.forEach((p, k) => {
    const q = b.portfolios[k];
    if (p.ok !== q.ok) throw new CheckError(`${what}: portfolio ${p.portfolio}: ok ${p.ok} and ${q.ok}`);
    if (!p.ok || !q.ok) return;
    for (let d = 0; d < p.margins.length; d++) {
      if (!Object.is(p.margins[d], q.margins[d]) || !Object.is(p.losses[d], q.losses[d])) {
        throw new CheckError(`${what}: portfolio ${p.portfolio}, ${a.dates[d]}: margin ${q.margins[d]}, in-process ${p.margins[d]}`);
      }
    }
  });
}

export async function backtestCase(s: Settings, rows: Row[], log: (m: string) => void): Promise<void> {
  const market = exampleMarket();
  const history = parseHistoryCsv(readFileSync(join(packageRoot(), 'examples', 'history.csv'), 'utf8'), 'history.csv');
  const big = s.quick ? 1_000 : 10_000, small = s.quick ? 500 : 2_000;
  const dates = s.quick ? 60 : 250;
  const book = (n: number) => parsePortfolios(generateBook(exampleMarketInput(), { portfolios: n, seed: 1 }), 'book.csv');
  const portfolios = { [big]: book(big), [small]: book(small) };
  const cases: { name: string; n: number; options: Omit<BacktestOptions, 'history'>; threads: number[] }[] = [
    { name: 'grid, static', n: big, options: { method: 'grid' }, threads: [1] },
    { name: 'grid --recalibrate', n: big, options: { method: 'grid', recalibrate: true, gridBase: { raw: exampleMarketInput().risk!.grid, source: 'market.json', path: 'risk.grid' } }, threads: [1, 2] },
    { name: 'fhs (prisma-fhs)', n: small, options: { method: 'fhs', fhs: loadFhsPreset('prisma-fhs', market) }, threads: [1, 2] },
  ];
  // One pool for the run (as an embedding application keeps one): its start is not a backtest's cost.
  const pool = new Piscina({ filename: backtestWorkerFile(), minThreads: 2, maxThreads: 2, idleTimeout: 2 ** 31 - 1 });
  const sampling = { ...s, minSamples: Math.min(s.minSamples, 3), maxTime: Math.min(s.maxTime, 1) };
  for (const c of cases) {
    // The last `dates` backtest dates the method allows.
    const probe = await runBacktest(market, portfolios[c.n].slice(0, 1), { ...c.options, history, step: 1 });
    const from = probe.dates[Math.max(0, probe.dates.length - dates)];
    const options = { ...c.options, history, from };
    const size = `${c.n} portfolios x ${Math.min(dates, probe.dates.length)} dates`;
    let reference: BacktestReport | undefined;
    for (const threads of c.threads) {
      const impl = threads === 1 ? IN_PROCESS : `pool, ${threads} workers`;
      const run = threads === 1 ? { threads } : { pool };
      try {
        const once = await runBacktest(market, portfolios[c.n], { ...options, ...run });
        if (threads === 1) reference = once; else same(reference!, once, `${c.name}, ${impl}`);
        const cells = c.n * once.dates.length;
        const m = await measureAsync(`${c.name} ${impl}`, () => runBacktest(market, portfolios[c.n], { ...options, ...run }), sampling);
        rows.push({
          group: `${GROUP}: ${c.name}`, case: c.name, size, impl, unit: 'portfolio-date/s', value: m.hz * cells, rme: m.rme, samples: m.samples,
          meanUs: m.meanUs, baselines: threads === 1 ? [] : [IN_PROCESS], status: 'ok',
        });
        log(`  ${c.name}, ${impl}: ${(m.meanUs / 1e6).toFixed(2)} s a run`);
      } catch (e) {
        rows.push({ group: `${GROUP}: ${c.name}`, case: c.name, size, impl, unit: 'portfolio-date/s', value: null, status: 'error', note: String(e) });
        log(`  ${c.name}, ${impl}: ${String(e)}`);
      }
    }
  }
  await pool.destroy();
}
