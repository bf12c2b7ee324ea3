/**
 * The batch engine's options (createBatchEngine's and a run's), its summary and progress types, and
 * the checks of the engine's options (the market, the method's block, the number of threads).
 */
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import type { Piscina } from 'piscina';
import { InputError } from '../errors.js';
import type { ResolvedMarket } from '../market/types.js';
import { checkMarket } from '../options.js';
import type { PortfolioLike } from '../models/model.js';
import { resolveMethod, type MethodOptions, type MethodSetup } from '../models/setup.js';
import type { OutputFormat } from '../io/output.js';
import type { FaultKind } from './protocol.js';

/** Worker threads allowed per core (createBatchEngine's `threads`, the CLI's --threads). */
export const MAX_THREADS_PER_CORE = 4;

/** The largest `threads` accepted: MAX_THREADS_PER_CORE x the number of cores. */
export function maxThreads(): number {
  return MAX_THREADS_PER_CORE * availableParallelism();
}

/** Test-only: make the worker running margin task `task` (0-based, per run) fail on its first `failures` attempts. */
export interface FaultPlan {
  task: number;
  failures: number;
  /** exit (the worker thread ends; default) or throw. */
  kind?: FaultKind;
}

/**
 * The engine's options: the method's (MethodOptions: method grid, es or fhs, its block, the fhs
 * history, stress scenarios, allocation; as createMarginModel takes them), then the engine's own.
 */
export interface BatchEngineOptions extends MethodOptions {
  /** The market (parseMarket, resolveMarket). */
  market: ResolvedMarket;
  /**
   * Worker threads of the engine's own pool; default the number of cores (os.availableParallelism).
   * 1 runs everything in this thread, with the same code and the same results. Ignored with `pool`.
   * At most 4 per core (maxThreads()): more is a RangeError.
   */
  threads?: number;
  /**
   * A Piscina pool of the embedding application to run in instead of a pool of the engine's own:
   * tasks name the engine's worker file (Piscina's per-task `filename`), so the pool may serve other
   * work too. The engine never closes it. Its workers keep the engine's context (kernels, a scratch
   * region, the model; up to 4 engines per worker, least recently used evicted). Give the pool
   * `concurrentTasksPerWorker: 2`, as the engine's own pool has: a worker then holds its next task
   * while it runs one and does not wait for the main thread to hand it over (measured: ES on two
   * workers 23 -> 27 k portfolios/s).
   */
  pool?: Piscina;
  /**
   * Work per task, in (netted positions + portfolios) x scenarios; default 2^19 for the grid (about
   * 15,000 positions a task for a 30-scenario grid) and 2^23 for es and fhs (about 800 positions for 10,000
   * scenarios): milliseconds of work against tens of microseconds of task overhead.
   */
  taskWork?: number;
  /** Tasks dispatched and not yet done; default 2 per worker, plus 1. */
  maxInFlight?: number;
  /** Test-only fault injection (see FaultPlan); never set in production. */
  faults?: FaultPlan[];
}

/** Options of one run. */
export interface BatchRunOptions {
  /** Output format: `csv` (default; header first) or `ndjson` (grid lines carry the group breakdown). */
  format?: OutputFormat;
  /**
   * Input format of a byte stream: `csv` or `ndjson`; default from `source` (.ndjson/.jsonl: NDJSON,
   * else CSV).
   */
  inputFormat?: 'csv' | 'ndjson';
  /** The input's name in messages (default `portfolios.csv`). */
  source?: string;
  /** Input size in bytes when known (a file): progress then has a fraction and an ETA. */
  totalBytes?: number;
  /** Stops the run: no more input is read, tasks in flight finish and their rows are written. */
  signal?: AbortSignal;
  /**
   * Called every `progressMs` while the run goes on (from its start, whether or not rows are written
   * yet) and once at the end.
   */
  onProgress?: (p: BatchProgress) => void;
  /** Interval of onProgress calls, ms (default 200). */
  progressMs?: number;
  /**
   * Write CSV text fields as they are: no leading single quote on ids and messages that begin with
   * =, +, -, @, a tab or a CR (the spreadsheet formula guard; see io/output.ts). Default false.
   */
  csvRaw?: boolean;
  /** Add the market's currency as the last column `currency` (and NDJSON field), as the CLI writes. Default false. */
  currency?: boolean;
  /**
   * Where a byte stream that is not a file (standard input) is spooled for the first pass (a
   * temporary file, removed when the run ends, fails or is stopped); default os.tmpdir().
   */
  spoolDir?: string;
  /** Non-fatal events (a task retried, a last line without a line end). */
  onWarning?: (message: string) => void;
}

export interface BatchProgress {
  /** Portfolios whose rows are written. */
  portfolios: number;
  /** Input positions of those portfolios. */
  positions: number;
  /** Portfolios margined (their task is done; their rows may still wait to be written), and their input positions. */
  margined: number;
  marginedPositions: number;
  /** Portfolios read from the input so far (margined or not). */
  read: number;
  /** Bytes of input read (byte streams). */
  bytes: number;
  totalBytes?: number;
  elapsedMs: number;
  /**
   * Estimated time to the end, from the work done (when totalBytes is known): the portfolios
   * margined against the portfolios the input holds (estimated from the bytes per portfolio read
   * so far); see estimateProgress.
   */
  etaMs?: number;
  /** The share of the run done, 0..1, on the same estimate (when totalBytes is known). */
  fraction?: number;
}

/**
 * Where the time went (ms): the main thread's work (parse, rows), its waits (wait, drain: other
 * work goes on meanwhile), and the tasks' time in the workers (kernel: summed over tasks, so up to
 * threads x total; in-process it is main-thread time too).
 */
export interface BatchTimings {
  /** Reading, parsing, resolving and packing into tasks. */
  parse: number;
  /** Making the rows decided on the main thread, joining the workers' rows, handing them to the output. */
  rows: number;
  /** The input waiting for room in the window of tasks in flight. */
  wait: number;
  /** The writer waiting for the output to drain. */
  drain: number;
  /** Sum over tasks of the time in the worker's margin loop (formatting its rows included). */
  kernel: number;
  total: number;
  tasks: number;
}

export interface BatchSummary {
  /** Rows written (one per portfolio). */
  portfolios: number;
  /** Of which error rows. */
  errors: number;
  /** Input positions of the portfolios written. */
  positions: number;
  /** Tasks that failed once and were retried; tasks that failed twice (their portfolios are error rows). */
  retried: number;
  failedTasks: number;
  /** Whether the input's portfolios were not contiguous (it was grouped by id before margining; byte input only). */
  unsorted: boolean;
  /** Set when the run was aborted: rows before it are written, none after. */
  stoppedAt?: StopPoint;
  timings: BatchTimings;
}

export interface StopPoint {
  reason: 'aborted';
  /** Rows written before the stop. */
  portfolios: number;
  /** The last portfolio written, and the first one not margined when it was read already. */
  lastPortfolio?: string;
  nextPortfolio?: string;
  /** Input bytes read when the run stopped. */
  bytes: number;
}

/**
 * An input: a byte stream (a Readable not in object mode: a file, standard input,
 * `Readable.from(chunks, { objectMode: false })`) of CSV or NDJSON, or portfolios as objects (an
 * iterable, an async iterable or an object-mode Readable).
 */
export type BatchInput = Readable | BatchFile | Iterable<PortfolioLike> | AsyncIterable<PortfolioLike>;

/** A portfolio file by path (CSV, or NDJSON per `inputFormat`/its name): read twice, not spooled. */
export interface BatchFile {
  path: string;
}

/**
 * createBatchEngine's options checked: the market, the method and its block (validated, or the
 * market's own), and the number of threads.
 */
export function checkEngineOptions(options: BatchEngineOptions): { market: ResolvedMarket; setup: MethodSetup; threads: number } {
  const market = checkMarket(options?.market, 'createBatchEngine: market');
  if (options.method === 'fhs' && options.history === undefined) {
    throw new InputError('the fhs method needs a price history (--history FILE), found none', { path: 'history' });
  }
  const setup = resolveMethod(market, options);
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads: expected a whole number >= 1, got ${threads}`);
  if (threads > maxThreads()) {
    throw new RangeError(`threads: at most ${maxThreads()} (${MAX_THREADS_PER_CORE} per core on this machine's ${availableParallelism()}), got ${threads}`);
  }
  return { market, setup, threads };
}
