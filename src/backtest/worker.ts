/**
 * The backtest's worker (a Piscina task handler; Piscina loads the built dist/src/backtest/worker.js):
 * a task is a run of consecutive backtest dates; the worker builds each date's model with the same
 * DateMargins class the in-process run uses and margins every portfolio of the book, read in place
 * from shared memory. The run's context (market and plan, serialized once into shared bytes) is
 * deserialized once per worker and run, then kept until a task of another run arrives.
 */
import { serialize, deserialize } from 'node:v8';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { ResolvedMarket } from '../market/types.js';
import { DateMargins, type BookArrays, type MarginFailure } from './margins.js';
import type { BacktestPlan } from './plan.js';

export interface BacktestContext {
  market: ResolvedMarket;
  plan: BacktestPlan;
}

export interface DatesTask {
  run: string;
  context: SharedArrayBuffer;
  book: BookArrays;
  nPortfolios: number;
  /** Backtest dates from .. to-1 (indices of plan.dates). */
  from: number;
  to: number;
}

export interface DatesResult {
  /** margins[(d - from) * nPortfolios + k]: portfolio k on date d (NaN where it failed). */
  margins: Float64Array;
  /** The first failure of each portfolio within the task's dates. */
  failures: MarginFailure[];
}

/** The context as shared bytes (one copy, read by every worker). */
export function packBacktest(ctx: BacktestContext): SharedArrayBuffer {
  const bytes = serialize(ctx);
  const sab = new SharedArrayBuffer(bytes.length);
  new Uint8Array(sab).set(bytes);
  return sab;
}

let cached: { run: string; margins: DateMargins } | undefined;

/** Runs one task in this thread. */
export function marginDates(task: DatesTask): DatesResult {
  if (cached?.run !== task.run) {
    cached = undefined; // the previous run's memory goes before this one's is built
    const ctx = deserialize(new Uint8Array(task.context)) as BacktestContext;
    cached = { run: task.run, margins: new DateMargins(ctx.market, ctx.plan) };
  }
  const dm = cached.margins;
  const n = task.nPortfolios;
  const margins = new Float64Array((task.to - task.from) * n).fill(NaN);
  const failures: MarginFailure[] = [];
  const skip = new Uint8Array(n);
  for (let d = task.from; d < task.to; d++) dm.marginsAt(d, task.book, 0, n, margins, (d - task.from) * n, skip, (f) => failures.push(f));
  return { margins, failures };
}

/** The Piscina handler: the margins' buffer is transferred back, not copied. */
export default function piscinaTask(task: DatesTask): unknown {
  const result = marginDates(task);
  return move({ [transferableSymbol]: [result.margins.buffer as ArrayBuffer], [valueSymbol]: result } as never);
}
