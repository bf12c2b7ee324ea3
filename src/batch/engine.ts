/**
 * The batch engine: margin for millions of portfolios over a worker-thread pool (Piscina), with
 * the market's instrument P&L cube built once, in parallel, in one shared WebAssembly memory that
 * every worker reads in place.
 *
 * - Sharing, not copying: the engine makes one shared memory, lays out the cube and its inputs
 *   there, and builds the cube's rows in tasks split by instruments across the workers. Each worker
 *   instantiates the module (compiled once, here) against that memory once per engine, takes its
 *   own scratch region from the memory's shared heap, and keeps a model over the cube. Memory for
 *   the cube does not grow with the number of workers.
 * - Streaming: run() reads CSV or NDJSON from a file through the incremental readers, packs
 *   portfolios into tasks of resolved, netted positions (typed arrays), keeps a bounded number of
 *   tasks running (reading waits when they are all busy, writing waits for the output's 'drain'),
 *   and writes each task's rows as soon as every earlier task's rows are written: input order,
 *   memory flat in the size of the input. Workers format their own rows.
 * - Unsorted input: a portfolio's rows need not be contiguous. A cheap first pass over the file
 *   (ContiguityScan; a stream that is not a file is spooled to a temporary file on the way, removed
 *   at the end) says whether they are; if not, the run groups the whole file by portfolio id first
 *   (UnsortedBook: about 12 bytes a position held, see there) and margins the portfolios in order of
 *   first appearance. Either way the rows are those of parsePortfolios on the same bytes.
 * - Nothing lost: exactly one row per portfolio. A portfolio that cannot be margined is an error
 *   row; a task whose worker dies (or throws) is run once more; if it fails again its portfolios
 *   become error rows naming the cause and the run goes on. An abort (AbortSignal) stops reading,
 *   waits for the tasks in flight, writes their rows and reports where the run stopped.
 * - Determinism: a worker runs the same model code as margin() in-process, over a cube whose rows
 *   do not depend on how they were split, one portfolio at a time; so results are identical bit for
 *   bit whatever the number of threads, the task size or the split of the input.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { createReadStream, ReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { InputError, show } from '../errors.js';
import { KIND_CALL, KIND_PUT } from '../layout.js';
import type { EsInput, EsSpec, GridInput, GridSpec, ResolvedMarket } from '../market/types.js';
import { checkMarket, esOption, gridOption } from '../options.js';
import type { MarginError, MarginResult } from '../results.js';
import type { PortfolioLike } from '../models/model.js';
import { buildGridScenarios } from '../scenarios/grid.js';
import { buildMonteCarloScenarios } from '../scenarios/monte-carlo.js';
import { checkCubeFinite, cubeOf, layoutCube } from '../cube/cube.js';
import { Arena, SharedHeap, align } from '../wasm/arena.js';
import { compiledModule, createKernelMemory, instantiateKernels } from '../wasm/module.js';
import { CsvPortfolioReader, NdjsonPortfolioReader, isNdjsonName, withMoreErrors, type CsvSink } from '../portfolio/parse.js';
import { ContiguityScan, LineFeeder } from '../portfolio/stream.js';
import { groupPortfoliosAsync } from '../portfolio/resolve.js';
import type { PortfolioEmit } from '../portfolio/types.js';
import { csvHeader, type OutputFormat } from '../io/output.js';
import { estimateProgress } from '../io/progress.js';
import { formatRow, joinIds, okResult } from './rows.js';
import { packageFile } from '../paths.js';
import { forgetEngine, handle } from './worker.js';
import { TaskPacker, type PackedTask } from './pack.js';
import {
  packContext, type BatchMethod, type CubeTask, type FaultKind, type MarginTask, type MarginTaskResult, type Task, type TaskResult,
} from './protocol.js';

export type { BatchMethod, MarginTaskResult, PackedGroups } from './protocol.js';

/** Worker threads allowed per core (createBatchEngine's `threads`, the CLI's --threads). */
export const MAX_THREADS_PER_CORE = 4;

/** The largest `threads` accepted: MAX_THREADS_PER_CORE x the number of cores. */
export function maxThreads(): number {
  return MAX_THREADS_PER_CORE * availableParallelism();
}

/** The worker file Piscina loads (the built one: tasks cross threads as JavaScript). */
export function workerFile(): string {
  return packageFile('dist', 'src', 'batch', 'worker.js');
}

/** Test-only: make the worker running margin task `task` (0-based, per run) fail on its first `failures` attempts. */
export interface FaultPlan {
  task: number;
  failures: number;
  /** exit (the worker thread ends; default) or throw. */
  kind?: FaultKind;
}

export interface BatchEngineOptions {
  /** The market (parseMarket, resolveMarket). */
  market: ResolvedMarket;
  /** `grid` (default) or `es`. */
  method?: BatchMethod;
  /** The grid (validated, or its JSON form); default the market's risk.grid (method grid). */
  grid?: GridSpec | GridInput;
  /** The ES parameters (validated, or the block's JSON form); default the market's risk.es (method es). */
  es?: EsSpec | EsInput;
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
   * 15,000 positions a task for a 30-scenario grid) and 2^23 for es (about 800 positions for 10,000
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

interface Executor {
  readonly workers: number;
  run(task: Task): Promise<TaskResult>;
  /** A task's second attempt, after its first failed: alone on a fresh worker where there are workers. */
  retry(task: Task): Promise<TaskResult>;
  close(engine: string): Promise<void>;
}

/** threads: 1: the worker's handler, called in this thread. */
class InlineExecutor implements Executor {
  readonly workers = 1;
  async run(task: Task): Promise<TaskResult> { return handle(task); }
  retry(task: Task): Promise<TaskResult> { return this.run(task); }
  async close(engine: string): Promise<void> { forgetEngine(engine); }
}

class PoolExecutor implements Executor {
  private readonly filename = workerFile();
  /**
   * Where second attempts run: a pool of one worker taking one task at a time, made on the first
   * failure. A worker of the main pool holds up to two tasks, so when one task kills its worker the
   * other dies with it; run again alone, the innocent one succeeds and only the task that fails by
   * itself twice becomes error rows.
   */
  private recovery: Piscina | undefined;
  constructor(private readonly pool: Piscina, private readonly own: boolean) {}
  get workers(): number { return this.pool.maxThreads; }
  run(task: Task): Promise<TaskResult> { return this.send(this.pool, task); }
  retry(task: Task): Promise<TaskResult> {
    // minThreads 1: with 0, a task queued when the pool's only worker had just exited was seen to
    // wait for ever (piscina 5.3.2).
    this.recovery ??= new Piscina({ filename: this.filename, minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 1, idleTimeout: 2 ** 31 - 1 });
    return this.send(this.recovery, task);
  }
  private send(pool: Piscina, task: Task): Promise<TaskResult> {
    // A margin task's arrays are transferred, not cloned (a clone copies at a third of memcpy's
    // speed, on this thread): a copy is sent and the task keeps its own for a retry.
    if (task.kind === 'margin') {
      const t = { ...task, offsets: task.offsets.slice(), instr: task.instr.slice(), qty: task.qty.slice() };
      return pool.run(t, {
        filename: this.filename, name: 'default', transferList: [t.offsets.buffer, t.instr.buffer, t.qty.buffer] as ArrayBuffer[],
      }) as Promise<TaskResult>;
    }
    return pool.run(task, { filename: this.filename, name: 'default' }) as Promise<TaskResult>;
  }
  async close(): Promise<void> {
    const recovery = this.recovery;
    this.recovery = undefined;
    await Promise.all([recovery?.destroy(), this.own ? this.pool.destroy() : undefined]);
  }
}

type Outcome = { ok: true; result: MarginTaskResult } | { ok: false; cause: string };

interface InFlight {
  task: PackedTask;
  promise: Promise<void>;
  outcome?: Outcome;
}

/** What a run does with each task's results, in order; `specials` are its error rows by index. */
type Deliver = (task: PackedTask, outcome: Outcome, specials: Map<number, MarginError> | undefined) => void | Promise<void>;

export class BatchEngine {
  readonly method: BatchMethod;
  readonly market: ResolvedMarket;
  /** Worker threads (1 when the engine runs in-process). */
  readonly threads: number;
  /** Wall time of the cube build, ms; the sum of its tasks' kernel time; the number of its tasks. */
  readonly cubeMs: number;
  readonly cubeKernelMs: number;
  readonly cubeTasks: number;
  private readonly id: string;
  private readonly executor: Executor;
  private readonly memory: WebAssembly.Memory;
  private readonly module: WebAssembly.Module;
  private readonly context: SharedArrayBuffer;
  private readonly stride: number;
  private readonly options: BatchEngineOptions;
  private closed = false;

  private constructor(init: {
    options: BatchEngineOptions; method: BatchMethod; id: string; executor: Executor; memory: WebAssembly.Memory;
    module: WebAssembly.Module; context: SharedArrayBuffer; stride: number; cubeMs: number; cubeKernelMs: number; cubeTasks: number;
  }) {
    this.options = init.options;
    this.market = init.options.market;
    this.method = init.method;
    this.id = init.id;
    this.executor = init.executor;
    this.threads = init.executor.workers;
    this.memory = init.memory;
    this.module = init.module;
    this.context = init.context;
    this.stride = init.stride;
    this.cubeMs = init.cubeMs;
    this.cubeKernelMs = init.cubeKernelMs;
    this.cubeTasks = init.cubeTasks;
  }

  /** Builds scenarios and the cube (in parallel across the workers); see createBatchEngine. */
  static async create(options: BatchEngineOptions): Promise<BatchEngine> {
    const market = checkMarket(options?.market, 'createBatchEngine: market');
    const method = options.method ?? 'grid';
    if (method !== 'grid' && method !== 'es') throw new InputError(`method: expected grid or es, got ${JSON.stringify(method)}`);
    const grid = method === 'grid' ? (options.grid === undefined ? market.risk.grid : gridOption(options.grid, market)) : undefined;
    const es = method === 'es' ? (options.es === undefined ? market.risk.es : esOption(options.es, market)) : undefined;
    if (method === 'grid' && !grid) {
      throw new InputError(`${market.source}: risk.grid: the grid method needs a risk.grid block (or a preset), found none`,
        { file: market.source, path: 'risk.grid' });
    }
    if (method === 'es' && !es) {
      throw new InputError(`${market.source}: risk.es: the es method needs a risk.es block, found none`, { file: market.source, path: 'risk.es' });
    }
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads: expected a whole number >= 1, got ${threads}`);
    if (threads > maxThreads()) {
      throw new RangeError(`threads: at most ${maxThreads()} (${MAX_THREADS_PER_CORE} per core on this machine's ${availableParallelism()}), got ${threads}`);
    }

    // The shared memory, its heap, and the cube laid out by this thread.
    const module = compiledModule();
    const memory = createKernelMemory();
    const kernels = instantiateKernels(module, memory);
    const heapAt = align(kernels.heapBase(), 64);
    const heap = SharedHeap.create(memory, heapAt);
    const arena = new Arena(kernels, { heap });
    const scen = grid ? buildGridScenarios(market, grid) : buildMonteCarloScenarios(arena, market, es!);
    const layout = layoutCube(arena, market, scen);
    const id = randomUUID();
    const context = packContext({ id, method, market, grid, es, layout, heapAt });

    const executor: Executor = options.pool ? new PoolExecutor(options.pool, false)
      : threads === 1 ? new InlineExecutor()
        // Two tasks a worker: the next is already in its port when one ends (tasks are synchronous,
        // so they still run one after the other), so a worker never idles waiting for the main
        // thread, which shares the cores with the workers.
        : new PoolExecutor(new Piscina({
          filename: workerFile(), minThreads: threads, maxThreads: threads, idleTimeout: 2 ** 31 - 1, concurrentTasksPerWorker: 2,
        }), true);
    try {
      const t0 = performance.now();
      const parts = cubeParts(market, executor.workers === 1 ? 1 : executor.workers * 4);
      let kernelMs = 0;
      await Promise.all(parts.map(async ([first, count]) => {
        const task: CubeTask = { kind: 'cube', engine: id, memory, module, context, first, count };
        const outcome = await runTwice(executor, task, () => undefined, undefined);
        if (!outcome.ok) throw new Error(`building the cube (instruments ${first}..${first + count - 1}) failed twice: ${outcome.cause}`);
        kernelMs += outcome.result.ms;
      }));
      checkCubeFinite(cubeOf(arena, layout), market, scen); // a cell that overflowed: an input error naming it
      const cubeMs = performance.now() - t0;
      return new BatchEngine({
        options, method, id, executor, memory, module, context, stride: scen.stride, cubeMs, cubeKernelMs: kernelMs, cubeTasks: parts.length,
      });
    } catch (e) {
      await executor.close(id);
      throw e;
    }
  }

  /**
   * Margins every portfolio of `input` and writes one row per portfolio to `output`, in input order
   * (CSV with its header, or NDJSON). `input` is a byte stream (a file or standard input: CSV, or
   * NDJSON per `inputFormat`/`source`) or portfolios as objects. The output is not ended.
   *
   * `input` may also be a file by path ({ path }); a byte stream that is not a file (an
   * fs.ReadStream opened from a path counts as a file) is spooled to a temporary file (spoolDir) by
   * the first pass, so rows come only once it has ended.
   *
   * File-level input errors (no header, a quoted field never closed, a line longer than 64 MiB)
   * reject with an InputError (its `written` says how many rows were written before it) after the
   * rows of the portfolios read before them are written (unsorted input: none). A portfolio's rows
   * may be anywhere in the file: one row per portfolio id, in order of first appearance.
   */
  async run(input: BatchInput, output: Writable, options: BatchRunOptions = {}): Promise<BatchSummary> {
    if (typeof (output as { write?: unknown } | null)?.write !== 'function') throw new InputError('run: output: expected a Writable stream', { path: 'output' });
    const format = options.format ?? 'csv';
    const rowOptions = { currency: options.currency ? this.market.currency : undefined, raw: options.csvRaw === true };
    let text = '';
    // A failing output (disk full, a closed pipe) rejects the run: rows not written are never
    // counted as written. The listener also keeps the stream's 'error' from being unhandled.
    let outputError: Error | undefined;
    const onOutputError = (e: Error) => { outputError ??= e; };
    output.on('error', onOutputError);
    const flush = async () => {
      if (outputError) throw outputError;
      if (output.destroyed || output.writableEnded) throw new Error('the output was closed before the run ended');
      if (text.length === 0) return;
      const t = text;
      text = '';
      if (!output.write(t)) await drained(output);
      if (outputError) throw outputError;
    };
    try {
      if (format === 'csv') {
        text = csvHeader(this.method, rowOptions);
        await flush();
      }
      const summary = await this.pipeline(input, options, async (task, outcome, specials) => {
        // The workers formatted their rows; here only the rows decided on this thread are made.
        const r = outcome.ok ? outcome.result : undefined;
        if (r?.text !== undefined && specials === undefined) text += r.text;
        else {
          for (let k = 0; k < task.ids.length; k++) {
            const e = specials?.get(k);
            if (e !== undefined) { text += formatRow(format, e, rowOptions); continue; }
            const j = task.slots[k];
            text += r!.text!.slice(j === 0 ? 0 : r!.rowEnds![j - 1], r!.rowEnds![j]);
          }
        }
        await flush();
      }, { detail: false, rows: format });
      await flush();
      // Every row handed to the output has been written (or the output failed): a write's callback
      // runs after the writes before it.
      await new Promise<void>((resolve, reject) => {
        output.write('', (e) => { if (e ?? outputError) reject(e ?? outputError); else resolve(); });
      });
      if (outputError) throw outputError;
      return summary;
    } finally {
      output.off('error', onOutputError);
    }
  }

  /** Margins portfolios (objects or a byte stream): one result per portfolio, in order. */
  async marginAll(input: BatchInput, options: Omit<BatchRunOptions, 'format'> = {}): Promise<MarginResult[]> {
    const out: MarginResult[] = [];
    await this.pipeline(input, options, (task, outcome, specials) => {
      const r = outcome.ok ? outcome.result : undefined;
      for (let k = 0; k < task.ids.length; k++) out.push(specials?.get(k) ?? okResult(this.market, this.method, task.ids[k], r!, task.slots[k]));
    }, { detail: this.method === 'grid' });
    return out;
  }

  /**
   * The level under run(): margins portfolios already resolved to the market's instrument indices
   * (portfolio p: positions offsets[p] .. offsets[p+1]-1 of instr and qty, one per instrument) as one
   * task, returning the worker's numbers as they come (per portfolio: im, mm, and the grid's worst
   * point or the ES method's VaR in `a`, ES in `b`; failures by index). No retry: a failure rejects.
   */
  async marginResolved(offsets: Int32Array, instr: Int32Array, qty: Float64Array, options: { detail?: boolean } = {}): Promise<MarginTaskResult> {
    if (this.closed) throw new Error('batch engine: closed');
    const n = offsets.length - 1;
    if (n < 0 || offsets[0] !== 0 || offsets[n] !== instr.length || qty.length !== instr.length) {
      throw new RangeError('marginResolved: offsets must run from 0 to the number of positions, one per portfolio plus one');
    }
    const nI = this.market.instruments.ids.length;
    for (let k = 0; k < instr.length; k++) {
      if (!(instr[k] >= 0 && instr[k] < nI)) throw new RangeError(`marginResolved: instrument index ${instr[k]} at ${k} is not in the market`);
    }
    for (let p = 0; p < n; p++) {
      if (offsets[p + 1] < offsets[p]) throw new RangeError(`marginResolved: offsets decrease at portfolio ${p}`);
    }
    const task: MarginTask = {
      kind: 'margin', engine: this.id, memory: this.memory, module: this.module, context: this.context,
      n, offsets, instr, qty, detail: options.detail === true && this.method === 'grid',
    };
    return await this.executor.run(task) as MarginTaskResult;
  }

  /** Ends the engine's own pool (an application's pool is left alone). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.executor.close(this.id);
  }

  private async pipeline(
    input: BatchInput, options: BatchRunOptions, deliver: Deliver, want: { detail: boolean; rows?: OutputFormat },
  ): Promise<BatchSummary> {
    const detail = want.detail;
    if (this.closed) throw new Error('batch engine: closed');
    const t0 = performance.now();
    const signal = options.signal;
    const packer = new TaskPacker(this.market, this.method, this.stride, { taskWork: this.options.taskWork });
    const maxInFlight = Math.max(1, this.options.maxInFlight ?? 2 * this.executor.workers + 1);
    const timings: BatchTimings = { parse: 0, rows: 0, wait: 0, drain: 0, kernel: 0, total: 0, tasks: 0 };
    const s: BatchSummary = { portfolios: 0, errors: 0, positions: 0, retried: 0, failedTasks: 0, unsorted: false, timings };
    const queue: InFlight[] = [];
    const ready: PackedTask[] = [];
    let running = 0;
    let lastId: string | undefined;
    let bytes = 0;
    let lastProgress = -Infinity;
    /** The input's size (a spooled stream's, once spooled), and (unsorted input, once read) its portfolios. */
    let totalBytes = options.totalBytes;
    let readTotal: number | undefined;
    const progressMs = options.progressMs ?? 200;
    const warn = options.onWarning ?? (() => {});

    const progress = (force: boolean) => {
      if (!options.onProgress) return;
      const now = performance.now();
      if (!force && now - lastProgress < progressMs) return;
      lastProgress = now;
      const elapsedMs = now - t0;
      const total = totalBytes;
      const read = readTotal ?? packer.lastSeq + 1;
      const est = estimateProgress({ margined, read, bytes, totalBytes: total, elapsedMs });
      options.onProgress({
        portfolios: s.portfolios, positions: s.positions, margined, marginedPositions, read, bytes, totalBytes: total, elapsedMs,
        etaMs: force ? undefined : est.etaMs, fraction: force ? 1 : est.fraction,
      });
    };
    let margined = 0, marginedPositions = 0;
    const ticker = options.onProgress ? setInterval(() => progress(false), progressMs) : undefined;
    ticker?.unref();
    /** Ends the progress ticker; rethrows its argument when given one (a failed pump). */
    const stopTicker = (e?: unknown): void => {
      if (ticker) clearInterval(ticker);
      if (e !== undefined) throw e;
    };

    const dispatch = (task: PackedTask) => {
      const entry: InFlight = { task, promise: Promise.resolve() };
      timings.tasks++;
      if (task.n === 0) {
        entry.outcome = { ok: true, result: emptyResult() };
        margined += task.ids.length;
        marginedPositions += task.positions;
      } else {
        const t: MarginTask = {
          kind: 'margin', engine: this.id, memory: this.memory, module: this.module, context: this.context,
          n: task.n, offsets: task.offsets, instr: task.instr, qty: task.qty, detail: detail || want.rows === 'ndjson',
        };
        if (want.rows) {
          const ids = task.preErrors.size === 0 ? task.ids : task.ids.filter((_, k) => task.slots[k] >= 0);
          const joined = joinIds(ids);
          t.rows = { format: want.rows, ids: joined.text, idLengths: joined.lengths, raw: options.csvRaw === true, currency: options.currency === true };
        }
        const plan = this.options.faults?.find((f) => f.task === task.index);
        const fault = (attempt: number) => (plan && attempt < plan.failures ? plan.kind ?? 'exit' : undefined);
        running++;
        entry.promise = runTwice(this.executor, t, fault, (cause) => {
          s.retried++;
          warn(`task ${task.index} (${task.ids.length} portfolios from ${show(task.ids[0])}) failed: ${cause}; running it again`);
        }).then((o) => {
          entry.outcome = o as Outcome;
          running--;
          margined += task.ids.length;
          marginedPositions += task.positions;
          // The positions are not needed any more (the rows may wait a while): let them go.
          task.offsets = task.instr = EMPTY_I32;
          task.qty = EMPTY_F64;
          kick();
        });
      }
      queue.push(entry);
      if (entry.outcome !== undefined) kick();
    };

    const make = async (entry: InFlight) => {
      const w0 = performance.now();
      const { task, outcome } = entry;
      if (outcome!.ok) timings.kernel += outcome!.result.ms;
      else {
        s.failedTasks++;
        warn(`task ${task.index} (${task.ids.length} portfolios from ${show(task.ids[0])}) failed twice: ${outcome!.cause}; its portfolios are error rows`);
      }
      const specials = this.specials(task, outcome!);
      s.errors += specials?.size ?? 0;
      s.portfolios += task.ids.length;
      s.positions += task.positions;
      lastId = task.ids[task.ids.length - 1];
      const delivering = deliver(task, outcome!, specials);
      timings.rows += performance.now() - w0;
      if (delivering) {
        const d0 = performance.now();
        await delivering;
        timings.drain += performance.now() - d0;
      }
      progress(false);
    };

    // The writer: the oldest task's rows (and those of the done tasks after it) are made and
    // delivered as soon as it is done, whatever the input is doing.
    let writing: Promise<void> = Promise.resolve();
    let writeError: unknown;
    const writable = (e: InFlight) => e.outcome !== undefined;
    const writeDone = async () => {
      while (writeError === undefined && queue.length > 0 && writable(queue[0])) {
        const entry = queue.shift()!;
        try { await make(entry); } catch (e) { writeError = e; }
      }
    };
    function kick(): void { writing = writing.then(writeDone); }

    /** Waits until a task in flight is done. */
    const waitRunning = async () => {
      const w0 = performance.now();
      await queue.find((e) => e.outcome === undefined)!.promise;
      timings.wait += performance.now() - w0;
    };

    /**
     * Dispatches ready tasks while fewer than maxInFlight run, waiting for one to finish as needed;
     * at the end (`last`), waits until every task is written.
     */
    const pump = async (last: boolean) => {
      for (;;) {
        if (writeError !== undefined) throw writeError;
        while (ready.length > 0 && running < maxInFlight) dispatch(ready.shift()!);
        kick();
        if (ready.length === 0) break;
        await waitRunning();
      }
      if (last) {
        while (running > 0) await waitRunning();
        kick();
        await writing;
      }
      if (writeError !== undefined) throw writeError;
    };

    /**
     * The first pass said the input is contiguous, so the readers emit in increasing seq and never
     * amend; anything else is a fault of the scan, never a second row for one portfolio.
     */
    const notContiguous = (seq: number) => {
      throw new Error(`internal: portfolio ${seq} came back in input the first pass found contiguous`);
    };
    const onEmit = (e: PortfolioEmit) => {
      if (e.amends || e.seq <= packer.lastSeq) notContiguous(e.seq);
      packer.add(e.seq, e.portfolio);
      if (packer.full) ready.push(packer.take()!);
    };
    const onEmits = (emits: readonly PortfolioEmit[]) => { for (let k = 0; k < emits.length; k++) onEmit(emits[k]); };
    /** The CSV reader delivers here: portfolios as reusable columns, everything else as emits. */
    const csvSink: CsvSink = {
      portfolio: (seq, id, codes, instruments, quantities, n) => {
        if (seq <= packer.lastSeq) notContiguous(seq);
        packer.addResolved(seq, id, codes, instruments, quantities, n);
        if (packer.full) ready.push(packer.take()!);
      },
      emit: onEmit,
    };

    let stopped = false;
    let failure: unknown;
    /** The stream being read (the input, or the engine's own over a file). */
    let reading: Readable | undefined = input instanceof Readable ? input : undefined;
    const onAbort = () => {
      stopped = true;
      // A stream waiting for its next chunk (standard input) must be woken up: end it.
      reading?.destroy();
    };
    let spooled: string | undefined;
    /** Unsorted input: the whole file, grouped by id. */
    let book: UnsortedBook | undefined;
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) stopped = true;
    try {
      if (isByteStream(input) || isFileInput(input)) {
        const source = options.source ?? (isFileInput(input) ? input.path : 'portfolios.csv');
        const ndjson = (options.inputFormat ?? (isNdjsonName(source) ? 'ndjson' : 'csv')) === 'ndjson';
        // The first pass: is every portfolio contiguous? (A stream that is not a file is spooled.)
        const p0 = performance.now();
        const first = await firstPass(input as Readable | BatchFile, ndjson, options.spoolDir, (r) => { reading = r; }, () => stopped,
          (path) => { spooled = path; }, (n) => { bytes = n; });
        timings.parse += performance.now() - p0;
        bytes = first.bytes;
        totalBytes ??= first.bytes;
        if (!stopped) {
          s.unsorted = !first.contiguous;
          const grouped = s.unsorted ? new UnsortedBook(this.market) : undefined;
          book = grouped;
          const sink: CsvSink = grouped ? grouped.sink : csvSink;
          const reader = ndjson ? new NdjsonPortfolioReader(source) : new CsvPortfolioReader(source, { resolve: packer.resolve, sink });
          const feeder = new LineFeeder(reader, source);
          const take = grouped ? (emits: readonly PortfolioEmit[]) => { for (let k = 0; k < emits.length; k++) grouped.emit(emits[k]); } : onEmits;
          reading = createReadStream(first.path, { highWaterMark: 1 << 20 });
          for await (const chunk of reading as AsyncIterable<Buffer>) {
            const p1 = performance.now();
            feeder.push(chunk, take);
            bytes = feeder.bytes;
            timings.parse += performance.now() - p1;
            if (stopped) break;
            if (!grouped) await pump(false);
            if (stopped) break;
          }
          if (!stopped) {
            const p1 = performance.now();
            feeder.end(take, warn);
            timings.parse += performance.now() - p1;
          }
          if (grouped && !stopped) {
            // Every portfolio whole: margin them in order of first appearance.
            book = undefined;
            readTotal = grouped.size;
            for (let seq = 0; seq < grouped.size && !stopped; seq++) {
              const p1 = performance.now();
              grouped.deliver(seq, packer);
              timings.parse += performance.now() - p1;
              if (packer.full) {
                ready.push(packer.take()!);
                await pump(false);
              }
            }
          }
        }
      } else {
        let seq = 0;
        // Objects are grouped by id and checked first (groupPortfoliosAsync), as in-process.
        const items = groupPortfoliosAsync(input as Iterable<PortfolioLike> | AsyncIterable<PortfolioLike>, () => stopped);
        let p0 = performance.now();
        if (!stopped) {
          for await (const p of items) {
            if (stopped) break;
            packer.add(seq++, p);
            if (packer.full) {
              ready.push(packer.take()!);
              timings.parse += performance.now() - p0;
              await pump(false);
              p0 = performance.now();
              if (stopped) break;
            }
          }
        }
        timings.parse += performance.now() - p0;
      }
    } catch (e) {
      if (!stopped) failure = e; // an input ended by the abort errors; that is the stop, not a failure
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (reading !== input) reading?.destroy();
      if (spooled !== undefined) await rm(spooled, { force: true }).catch(() => {});
    }
    if (failure !== undefined) {
      // A file-level input error: the portfolios read before it are complete; margin and write
      // them, then report it. Any other failure (the output broke): write nothing more.
      if (isInputError(failure)) {
        if (book) {
          // Unsorted input: the portfolios read before the error, as far as they were read.
          readTotal = book.size;
          for (let seq = 0; seq < book.size; seq++) {
            book.deliver(seq, packer);
            if (packer.full) ready.push(packer.take()!);
          }
        }
        const last = packer.take();
        if (last) ready.push(last);
        await pump(true).catch(stopTicker);
        Object.assign(failure as object, { written: s.portfolios });
      } else {
        ready.length = 0;
        await pump(true).catch(() => {});
      }
      stopTicker();
      throw failure;
    }
    if (stopped) {
      // Write what is in flight (its rows are computed or about to be); drop the rest.
      const next = ready[0]?.ids[0] ?? packer.firstPending;
      ready.length = 0;
      await pump(true).catch(stopTicker);
      s.stoppedAt = { reason: 'aborted', portfolios: s.portfolios, lastPortfolio: lastId, nextPortfolio: next, bytes };
    } else {
      const last = packer.take();
      if (last) ready.push(last);
      await pump(true).catch(stopTicker);
    }
    stopTicker();
    timings.total = performance.now() - t0;
    progress(true);
    return s;
  }

  /**
   * The rows of a task that are errors, by index in the task (undefined when there are none):
   * portfolios decided here (unreadable, unknown instrument), those that failed in the worker, and
   * all of them when the task failed twice.
   */
  private specials(task: PackedTask, outcome: Outcome): Map<number, MarginError> | undefined {
    const method = this.method;
    let out: Map<number, MarginError> | undefined;
    const set = (k: number, e: MarginError) => { (out ??= new Map()).set(k, e); };
    const r = outcome.ok ? outcome.result : undefined;
    let failed: Map<number, { message: string; code: MarginError['code'] }> | undefined;
    if (r && r.failed.length > 0) failed = new Map(Array.from(r.failed, (p, k) => [p, { message: r.messages[k], code: r.codes[k] }]));
    for (const [k, e] of task.preErrors) set(k, e);
    if (!r || failed) {
      for (let k = 0; k < task.ids.length; k++) {
        const j = task.slots[k];
        if (j < 0 || out?.has(k)) continue;
        if (!r) {
          const cause = (outcome as { cause: string }).cause;
          set(k, { ok: false, portfolio: task.ids[k], method, code: 'E_INTERNAL', message: `not margined: its task failed twice (${cause})` });
        } else {
          const why = failed!.get(j);
          if (why !== undefined) set(k, { ok: false, portfolio: task.ids[k], method, code: why.code, message: why.message });
        }
      }
    }
    return out;
  }
}

/** Builds a batch engine: the market's scenarios and cube, and its worker pool (or none, threads 1). */
export function createBatchEngine(options: BatchEngineOptions): Promise<BatchEngine> {
  return BatchEngine.create(options);
}

/**
 * Runs a task; on failure (the worker died or threw) runs it once more, alone on a fresh worker;
 * then reports the cause.
 */
async function runTwice(
  executor: Executor, task: Task, fault: (attempt: number) => FaultKind | undefined, onRetry: ((cause: string) => void) | undefined,
): Promise<{ ok: true; result: TaskResult } | { ok: false; cause: string }> {
  let cause = '';
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const f = fault(attempt);
      const t = f === undefined ? task : { ...task, fault: f };
      const result = await (attempt === 0 ? executor.run(t) : executor.retry(t));
      return { ok: true, result };
    } catch (e) {
      cause = oneLine((e as Error)?.message ?? String(e));
      if (attempt === 0) onRetry?.(cause);
    }
  }
  return { ok: false, cause };
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

const EMPTY_I32 = new Int32Array(0);
const EMPTY_F64 = new Float64Array(0);

function emptyResult(): MarginTaskResult {
  const z = new Float64Array(0);
  return { kind: 'margin', im: z, mm: z, a: z, b: z, failed: new Int32Array(0), messages: [], codes: [], ms: 0 };
}

function isInputError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'InputError';
}

function isByteStream(input: BatchInput): boolean {
  if (input instanceof Readable) return !input.readableObjectMode;
  return false;
}

function isFileInput(input: BatchInput): input is BatchFile {
  return !(input instanceof Readable) && typeof input === 'object' && input !== null
    && typeof (input as { path?: unknown }).path === 'string' && typeof (input as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
    && typeof (input as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function';
}

/** An fs.ReadStream opened from a path, from its start, not read yet: a file the run can read again. */
function fileStreamPath(input: Readable): string | undefined {
  if (!(input instanceof ReadStream)) return undefined;
  const r = input as ReadStream & { start?: number; end?: number };
  const path = typeof r.path === 'string' ? r.path : undefined;
  return path !== undefined && path !== '' && r.bytesRead === 0 && (r.start === undefined || r.start === 0) && (r.end === undefined || r.end === Infinity)
    ? path : undefined;
}

/**
 * The first pass over a byte input: whether its portfolios are contiguous (ContiguityScan), and the
 * file to read them from. A file (by path, or an fs.ReadStream opened from one) is scanned in place;
 * another stream is copied to a temporary file in `spoolDir` on the way (`spooled` hears of its path
 * before the first byte is written, so the caller removes it whatever happens).
 */
async function firstPass(
  input: Readable | BatchFile, ndjson: boolean, spoolDir: string | undefined, reading: (r: Readable) => void,
  stopped: () => boolean, spooled: (path: string) => void, scanned: (bytes: number) => void,
): Promise<{ path: string; contiguous: boolean; bytes: number }> {
  const scan = new ContiguityScan(ndjson);
  let path = isFileInput(input) ? input.path : fileStreamPath(input);
  let stream: Readable;
  if (isFileInput(input)) {
    stream = createReadStream(input.path, { highWaterMark: 1 << 20 });
    reading(stream);
  } else {
    stream = input;
  }
  if (stopped()) return { path: path ?? '', contiguous: true, bytes: 0 };
  if (path !== undefined) {
    for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
      scan.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      scanned(scan.bytes);
      if (stopped()) break;
    }
    return { path, contiguous: scan.end(), bytes: scan.bytes };
  }
  path = join(spoolDir ?? tmpdir(), `.margin-engine-spool-${randomUUID()}`);
  spooled(path);
  const out = await open(path, 'wx', 0o600);
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      scan.push(b);
      scanned(scan.bytes);
      await out.write(b);
      if (stopped()) break;
    }
  } finally {
    await out.close();
  }
  return { path, contiguous: scan.end(), bytes: scan.bytes };
}

/**
 * Unsorted input, held whole until it ends: each portfolio's positions as the reader gives them,
 * in file order, then delivered to the packer in order of first appearance with the same netting,
 * checks and messages as contiguous input (and as parsePortfolios then marginAll in-process).
 * Memory, held until the input ends: 12 bytes a position (its instrument's index and quantity),
 * 12 bytes a run of a portfolio's rows that are next to each other in the file (a fully shuffled
 * file: a run per row), the typed arrays growing by doubling (up to twice that); per portfolio its
 * id (a JavaScript string, some 16 to 24 bytes plus its length, and 8 for its slot) and 12 bytes
 * (first and last run, count): about 45 bytes plus the id; error portfolios keep their message.
 * Besides this, the reader's id index (parse.ts SeenIds) as for contiguous input.
 */
class UnsortedBook {
  private ids: string[] = [];
  private head = new Int32Array(1024).fill(-1);
  private tail = new Int32Array(1024).fill(-1);
  private counts = new Int32Array(1024);
  private segStart = new Int32Array(1024);
  private segLen = new Int32Array(1024);
  private segNext = new Int32Array(1024);
  private segs = 0;
  private codes = new Int32Array(1 << 14);
  private qty = new Float64Array(1 << 14);
  private nPos = 0;
  /** E_PORTFOLIO portfolios: the first bad row's message and the bad rows. */
  private readonly errors = new Map<number, { first: string; bad: number }>();
  /** The first unknown instrument of a portfolio, in file order. */
  private readonly unknown = new Map<number, string>();
  private scratchCodes = new Int32Array(256);
  private scratchQty = new Float64Array(256);

  constructor(private readonly market: ResolvedMarket) {}

  /** Portfolios (seqs 0 .. size-1). */
  get size(): number { return this.ids.length; }

  /** The CSV reader's sink. */
  readonly sink: CsvSink = {
    portfolio: (seq, id, codes, instruments, quantities, n) => {
      this.open(seq, id);
      if (this.errors.has(seq) || this.unknown.has(seq)) { this.counts[seq] += n; return; }
      for (let k = 0; k < n; k++) {
        if (codes[k] < 0) { this.unknown.set(seq, instruments[k]); this.counts[seq] += n; return; }
      }
      this.append(seq, codes, quantities, n);
    },
    emit: (e) => this.emit(e),
  };

  /** An emit (NDJSON, or the CSV reader's errors). */
  emit(e: PortfolioEmit): void {
    const p = e.portfolio;
    this.open(e.seq, p.id);
    if (p.error !== undefined) {
      const known = this.errors.get(e.seq);
      if (known) known.bad += e.badRows ?? 1;
      else this.errors.set(e.seq, { first: e.firstError ?? p.error, bad: e.badRows ?? 1 });
      return;
    }
    const n = p.positions.length;
    if (this.errors.has(e.seq) || this.unknown.has(e.seq)) { this.counts[e.seq] += n; return; }
    if (this.scratchCodes.length < n) {
      this.scratchCodes = new Int32Array(n * 2);
      this.scratchQty = new Float64Array(n * 2);
    }
    const index = this.market.instruments.index;
    for (let k = 0; k < n; k++) {
      const i = index.get(p.positions[k].instrument);
      if (i === undefined) { this.unknown.set(e.seq, p.positions[k].instrument); this.counts[e.seq] += n; return; }
      this.scratchCodes[k] = i;
      this.scratchQty[k] = p.positions[k].quantity;
    }
    this.append(e.seq, this.scratchCodes, this.scratchQty, n);
  }

  /** Gives portfolio `seq`, whole, to the packer. */
  deliver(seq: number, packer: TaskPacker): void {
    const id = this.ids[seq];
    const err = this.errors.get(seq);
    if (err) { packer.error(seq, id, 'E_PORTFOLIO', withMoreErrors(err.first, err.bad - 1)); return; }
    const unknown = this.unknown.get(seq);
    if (unknown !== undefined) { packer.error(seq, id, 'E_UNKNOWN_INSTRUMENT', `unknown instrument ${show(unknown)}`); return; }
    const n = this.counts[seq];
    if (this.scratchCodes.length < n) {
      this.scratchCodes = new Int32Array(n * 2);
      this.scratchQty = new Float64Array(n * 2);
    }
    let at = 0;
    for (let g = this.head[seq]; g >= 0; g = this.segNext[g]) {
      const s0 = this.segStart[g], len = this.segLen[g];
      this.scratchCodes.set(this.codes.subarray(s0, s0 + len), at);
      this.scratchQty.set(this.qty.subarray(s0, s0 + len), at);
      at += len;
    }
    packer.addResolved(seq, id, this.scratchCodes, NO_INSTRUMENTS, this.scratchQty, n);
  }

  private open(seq: number, id: string): void {
    if (seq < this.ids.length) return;
    this.ids[seq] = id;
    if (seq >= this.head.length) {
      const size = Math.max(seq + 1, this.head.length * 2);
      this.head = growI32(this.head, size, -1);
      this.tail = growI32(this.tail, size, -1);
      this.counts = growI32(this.counts, size, 0);
    }
  }

  private append(seq: number, codes: Int32Array | Float64Array, quantities: Float64Array, n: number): void {
    this.counts[seq] += n;
    if (n === 0) return;
    if (this.nPos + n > this.codes.length) {
      const cap = Math.max(this.nPos + n, this.codes.length * 2);
      const c = new Int32Array(cap), q = new Float64Array(cap);
      c.set(this.codes.subarray(0, this.nPos));
      q.set(this.qty.subarray(0, this.nPos));
      this.codes = c;
      this.qty = q;
    }
    this.codes.set(codes.subarray(0, n), this.nPos);
    this.qty.set(quantities.subarray(0, n), this.nPos);
    const g = this.segs++;
    if (g >= this.segStart.length) {
      const size = this.segStart.length * 2;
      this.segStart = growI32(this.segStart, size, 0);
      this.segLen = growI32(this.segLen, size, 0);
      this.segNext = growI32(this.segNext, size, 0);
    }
    this.segStart[g] = this.nPos;
    this.segLen[g] = n;
    this.segNext[g] = -1;
    if (this.tail[seq] >= 0) this.segNext[this.tail[seq]] = g;
    else this.head[seq] = g;
    this.tail[seq] = g;
    this.nPos += n;
  }
}

const NO_INSTRUMENTS: readonly string[] = Object.freeze([]);

function growI32(a: Int32Array, size: number, fill: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  if (fill !== 0) b.fill(fill, a.length);
  b.set(a);
  return b;
}

/** Waits for `out` to drain; rejects when it errors or closes first. */
function drained(out: Writable): Promise<void> {
  if (!out.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (e?: Error) => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
      if (e) reject(e); else resolve();
    };
    const onDrain = () => done();
    const onError = (e: Error) => done(e);
    const onClose = () => done(new Error('the output was closed before the run ended'));
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}

/**
 * Row ranges for the cube build: `parts` ranges of about equal cost (an option is revalued with
 * Black-Scholes-Merton in every scenario; a linear instrument costs a multiplication).
 */
export function cubeParts(market: ResolvedMarket, parts: number): [number, number][] {
  const kind = market.instruments.kind;
  const n = kind.length;
  if (n === 0) return [];
  const cost = (i: number) => (kind[i] === KIND_CALL || kind[i] === KIND_PUT ? 1 : 0.02);
  let total = 0;
  for (let i = 0; i < n; i++) total += cost(i);
  const out: [number, number][] = [];
  let first = 0, acc = 0;
  for (let i = 0; i < n; i++) {
    acc += cost(i);
    if (acc >= (total * (out.length + 1)) / parts && out.length < parts - 1) {
      out.push([first, i + 1 - first]);
      first = i + 1;
    }
  }
  if (first < n) out.push([first, n - first]);
  return out;
}

export type { MarginError };
