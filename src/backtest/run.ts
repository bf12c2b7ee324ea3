/**
 * A hypothetical (clean) backtest of current positions (docs/backtesting.md §5): for each
 * backtest date t, the margin M_t of every portfolio with the model as it stood at t
 * (src/backtest/margins.ts) and the realized loss L_t of today's portfolio on today's market under
 * the moves from t to t + h (src/backtest/plan.ts); an exceedance is L_t > M_t; the statistics per
 * portfolio and for the book are src/backtest/stats.ts's.
 *
 * Work is shared across dates: the realized losses of every portfolio and date come from one cube
 * (one scenario per date), and a dynamic model's cube is built once per date for the whole book.
 * Dynamic models (fhs, --recalibrate) run their dates on a worker pool with `threads` > 1; the
 * numbers are the same as in-process, whatever the number of threads.
 */
import { randomUUID } from 'node:crypto';
import { Piscina } from 'piscina';
import { InputError, type ErrorCode } from '../errors.js';
import type { ResolvedMarket } from '../market/types.js';
import { checkMarket } from '../options.js';
import type { PortfolioLike } from '../models/model.js';
import { TailModel } from '../models/tail.js';
import { Arena } from '../wasm/arena.js';
import { instantiateKernels } from '../wasm/module.js';
import { packageFile } from '../paths.js';
import { yieldToEventLoop } from '../io/signals.js';
import { netBook, sharedBook, type NettedBook } from './book.js';
import { planBacktest, realizedScenarios, type BacktestOptions, type BacktestPlan, type BookHistory } from './plan.js';
import { DateMargins, type MarginFailure } from './margins.js';
import { packBacktest, type DatesResult, type DatesTask } from './worker.js';
import { bookStats, type BacktestStats, type PortfolioSeries } from './stats.js';

export type { BacktestOptions } from './plan.js';

/** One portfolio's backtest: its statistics and series, or why it has none. */
export type PortfolioBacktest =
  | ({ ok: true; portfolio: string; worstDate: string; margins: Float64Array; losses: Float64Array } & BacktestStats)
  | { ok: false; portfolio: string; code: ErrorCode; message: string };

/** The book's pooled statistics (every portfolio without an error), or why there are none. */
export type BookBacktest =
  | ({ ok: true; portfolio: 'BOOK'; worstDate: string; worstPortfolio: string; portfolios: number; excluded: number } & BacktestStats)
  | { ok: false; portfolio: 'BOOK'; code: ErrorCode; message: string };

export interface BacktestReport {
  method: BacktestPlan['method'];
  recalibrate: boolean;
  coverage: number;
  /** p = 1 - coverage. */
  rate: number;
  /** Horizon in history observations. */
  horizon: number;
  step: number;
  /** The backtest dates, and the dates their realized moves end on. */
  dates: string[];
  endDates: string[];
  warnings: string[];
  portfolios: PortfolioBacktest[];
  book: BookBacktest;
}

/** The backtest's worker file (the built one: tasks cross threads as JavaScript). */
export function backtestWorkerFile(): string {
  return packageFile('dist', 'src', 'backtest', 'worker.js');
}

function abortError(): Error {
  return Object.assign(new Error('the backtest was stopped'), { name: 'AbortError' });
}

/**
 * The realized losses: losses[k][d] is portfolio k's loss under the realized moves of date d (one
 * cube of today's market over the realized scenarios); a portfolio whose loss cannot be computed
 * fails with the reason.
 */
function realizedLosses(market: ResolvedMarket, plan: BacktestPlan, prices: BookHistory, book: NettedBook,
  skip: Uint8Array, fail: (f: MarginFailure) => void): Float64Array[] {
  const scen = realizedScenarios(market, plan, prices);
  const arena = new Arena(instantiateKernels());
  // The tail's parameters are unused: only the loss vectors are read.
  const model = new TailModel(plan.method === 'fhs' ? 'fhs' : 'es', market, arena, scen, 0.5, 1);
  const n = plan.dates.length;
  return book.ids.map((_, k) => {
    const out = new Float64Array(n);
    if (skip[k]) return out;
    const why = model.scenarioLosses(book.instr, book.qty, book.offsets[k], book.offsets[k + 1], out, 0);
    if (why !== undefined) {
      skip[k] = 1;
      fail({ portfolio: k, date: -1, code: model.lastErrorCode, message: `realized loss: ${why}` });
    }
    return out;
  });
}

/** Margins of every portfolio and date, portfolio-major: margins[k][d]. */
async function allMargins(market: ResolvedMarket, plan: BacktestPlan, book: NettedBook, threads: number, given: Piscina | undefined,
  signal: AbortSignal | undefined, fail: (f: MarginFailure) => void, busy: () => void): Promise<Float64Array[]> {
  const nP = book.ids.length, nD = plan.dates.length;
  const margins = book.ids.map(() => new Float64Array(nD));
  const skip = Uint8Array.from(book.errors, (e) => (e ? 1 : 0));
  const dynamic = plan.method === 'fhs' || plan.recalibrate;
  if (!dynamic || (threads <= 1 && !given)) {
    const dm = new DateMargins(market, plan);
    const row = new Float64Array(nP).fill(NaN);
    for (let d = 0; d < (dynamic ? nD : 1); d++) {
      if (signal?.aborted) throw abortError();
      dm.marginsAt(d, book, 0, nP, row, 0, skip, fail);
      for (let k = 0; k < nP; k++) margins[k][d] = row[k];
      if (dynamic) { busy(); await yieldToEventLoop(); }
    }
    if (!dynamic) for (const m of margins) m.fill(m[0]);
    return margins;
  }
  const filename = backtestWorkerFile();
  const pool = given ?? new Piscina({ filename, minThreads: threads, maxThreads: threads, idleTimeout: 2 ** 31 - 1 });
  try {
    const run = randomUUID();
    const context = packBacktest({ market, plan });
    const shared = sharedBook(book);
    const chunks = Math.min(nD, pool.maxThreads * 4);
    const tasks: Promise<void>[] = [];
    const first = new Int32Array(nP).fill(-1);
    const firstFailure: (MarginFailure | undefined)[] = new Array(nP);
    for (let c = 0; c < chunks; c++) {
      const from = Math.floor((c * nD) / chunks), to = Math.floor(((c + 1) * nD) / chunks);
      if (to <= from) continue;
      const task: DatesTask = { run, context, book: shared, nPortfolios: nP, from, to };
      tasks.push((pool.run(task, { signal, filename, name: 'default' }) as Promise<DatesResult>).then((r) => {
        for (let d = from; d < to; d++) {
          const at = (d - from) * nP;
          for (let k = 0; k < nP; k++) margins[k][d] = r.margins[at + k];
        }
        for (const f of r.failures) {
          if (skip[f.portfolio] && first[f.portfolio] < 0) continue; // a netting error already
          if (first[f.portfolio] < 0 || f.date < first[f.portfolio]) { first[f.portfolio] = f.date; firstFailure[f.portfolio] = f; }
        }
      }));
    }
    busy();
    try {
      await Promise.all(tasks);
    } catch (e) {
      if (signal?.aborted) throw abortError();
      throw e;
    }
    firstFailure.forEach((f) => { if (f) { skip[f.portfolio] = 1; fail(f); } });
    return margins;
  } finally {
    if (!given) await pool.destroy();
  }
}

/**
 * Backtests every portfolio of `portfolios` (grouped by id, as a file's rows are) against `market`
 * with the method of `options` over the dates of `options.history`. Throws InputError for a bad
 * option or history (see planBacktest); a portfolio that cannot be margined on some date, or whose
 * realized loss is not finite, is an error row naming the date, and the others go on.
 * Rejects with an AbortError when `options.signal` is aborted.
 */
export async function runBacktest(market: ResolvedMarket, portfolios: Iterable<PortfolioLike>, options: BacktestOptions): Promise<BacktestReport> {
  checkMarket(market, 'runBacktest');
  if (typeof options !== 'object' || options === null) throw new InputError('runBacktest: options: expected an object with at least the history');
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new InputError(`threads: expected a whole number from 1 to 256, got ${String(options.threads)}`, { path: 'threads' });
  }
  const book = netBook(market, portfolios);
  const { plan, prices } = planBacktest(market, book, options);
  const signal = options.signal;
  if (signal?.aborted) throw abortError();
  const failures: (MarginFailure | undefined)[] = new Array(book.ids.length);
  const fail = (f: MarginFailure) => { failures[f.portfolio] ??= f; };
  const skipLoss = Uint8Array.from(book.errors, (e) => (e ? 1 : 0));
  // The realized losses run on this thread while the pool margins the dates.
  let losses: Float64Array[] | undefined;
  const computeLosses = () => { losses ??= realizedLosses(market, plan, prices, book, skipLoss, fail); };
  const margins = await allMargins(market, plan, book, threads, options.pool, signal, fail, computeLosses);
  computeLosses();
  return report(plan, book, margins, losses!, failures);
}

function report(plan: BacktestPlan, book: NettedBook, margins: Float64Array[], losses: Float64Array[],
  failures: (MarginFailure | undefined)[]): BacktestReport {
  const usable: number[] = [];
  const series: PortfolioSeries[] = [];
  book.ids.forEach((_, k) => {
    if (!book.errors[k] && !failures[k]) { usable.push(k); series.push({ margins: margins[k], losses: losses[k] }); }
  });
  const stats = usable.length > 0 ? bookStats(series, plan.rate) : undefined;
  const rows: PortfolioBacktest[] = book.ids.map((id, k) => {
    const e = book.errors[k];
    if (e) return { ok: false, portfolio: id, code: e.code, message: e.message };
    const f = failures[k];
    if (f) {
      const message = f.date >= 0 && !f.message.includes(plan.dates[f.date]) ? `on ${plan.dates[f.date]}: ${f.message}` : f.message;
      return { ok: false, portfolio: id, code: f.code, message };
    }
    const s = stats!.portfolios[usable.indexOf(k)];
    if (!s.ok) return { ok: false, portfolio: id, code: s.code, message: s.message };
    const { ok: _, ...numbers } = s;
    return { ok: true, portfolio: id, worstDate: plan.dates[s.worstIndex], margins: margins[k], losses: losses[k], ...numbers };
  });
  let bookRow: BookBacktest;
  if (!stats) bookRow = { ok: false, portfolio: 'BOOK', code: 'E_INPUT', message: 'no portfolio without an error to pool' };
  else if (!stats.book.ok) bookRow = { ok: false, portfolio: 'BOOK', code: stats.book.code, message: stats.book.message };
  else {
    const { ok: _, pooled, excluded, worstPortfolio, ...numbers } = stats.book;
    bookRow = {
      ok: true, portfolio: 'BOOK', worstDate: plan.dates[numbers.worstIndex], worstPortfolio: book.ids[usable[worstPortfolio]],
      portfolios: pooled.length, excluded: book.ids.length - pooled.length, ...numbers,
    };
  }
  return {
    method: plan.method, recalibrate: plan.recalibrate, coverage: plan.coverage, rate: plan.rate, horizon: plan.horizon, step: plan.step,
    dates: plan.dates, endDates: plan.endDates, warnings: plan.warnings, portfolios: rows, book: bookRow,
  };
}
