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
 * - Streaming: run() reads CSV or NDJSON as a byte stream through the incremental readers, packs
 *   portfolios into tasks of resolved, netted positions (typed arrays), keeps a bounded number of
 *   tasks running (reading waits when they are all busy, writing waits for the output's 'drain'),
 *   and writes each task's rows once every earlier task's rows are written and the reader is a
 *   fixed number of portfolios past them (so a reappearing id is handled the same whatever the
 *   timing): input order, memory flat in the size of the input. Workers format their own rows.
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
import { Piscina } from 'piscina';
import { InputError, show } from '../errors.js';
import { KIND_CALL, KIND_PUT } from '../layout.js';
import type { EsInput, EsSpec, GridInput, GridSpec, ResolvedMarket } from '../market/types.js';
import { checkMarket, esOption, gridOption } from '../options.js';
import type { MarginError, MarginResult } from '../results.js';
import type { PortfolioLike } from '../model.js';
import { buildGridScenarios } from '../scenarios/grid.js';
import { buildMonteCarloScenarios } from '../scenarios/monte-carlo.js';
import { checkCubeFinite, cubeOf, layoutCube } from '../cube/cube.js';
import { Arena, SharedHeap, align } from '../wasm/arena.js';
import { compiledModule, createKernelMemory, instantiateKernels } from '../wasm/module.js';
import { CsvPortfolioReader, NdjsonPortfolioReader, isNdjsonName, type CsvSink } from '../portfolio/parse.js';
import { LineFeeder } from '../portfolio/stream.js';
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
  /**
   * Portfolios read past a portfolio before its row is written (default 100,000): a portfolio id
   * that comes back within that many portfolios makes its portfolio an error row, as in-process;
   * further away its first rows were margined alone and written, and an error row is added for the
   * rows that came back. A count of portfolios, not a time, so the output does not depend on
   * threads or timing. It bounds the rows held in memory.
   */
  reappearWindow?: number;
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
  /** Non-fatal events (a task retried, a portfolio id that reappeared too late to amend its row, a last line without a line end). */
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
  /** Portfolio ids that reappeared after their row was written (each adds an error row; see run()). */
  lateReappearances: number;
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
export type BatchInput = Readable | Iterable<PortfolioLike> | AsyncIterable<PortfolioLike>;

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
   * File-level input errors (no header, a quoted field never closed, a line longer than 64 MiB)
   * reject with an InputError (its `written` says how many rows were written before it) after the
   * rows of the portfolios read before them are written. A portfolio id that comes back after
   * other portfolios makes its portfolio an error row when it comes back within `reappearWindow`
   * portfolios (rows are held that long); further away the first row is out and cannot be taken
   * back: an error row for the reappearing rows is added where they are, counted in
   * `lateReappearances` and reported through onWarning.
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
    const s: BatchSummary = { portfolios: 0, errors: 0, positions: 0, retried: 0, failedTasks: 0, lateReappearances: 0, timings };
    const queue: InFlight[] = [];
    const ready: PackedTask[] = [];
    /** Reader seqs amended into errors before their rows were made. */
    const amended = new Map<number, string>();
    const window = Math.max(0, this.options.reappearWindow ?? 100_000);
    /** All input is read (or the run stops): every done task may be written. */
    let final = false;
    let running = 0;
    let lastId: string | undefined;
    let bytes = 0;
    let lastProgress = -Infinity;
    const progressMs = options.progressMs ?? 200;
    const warn = options.onWarning ?? (() => {});

    const progress = (force: boolean) => {
      if (!options.onProgress) return;
      const now = performance.now();
      if (!force && now - lastProgress < progressMs) return;
      lastProgress = now;
      const elapsedMs = now - t0;
      const total = options.totalBytes;
      const read = packer.lastSeq + 1;
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
      const specials = this.specials(task, outcome!, amended);
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
    // delivered as soon as it is done and the reader is `window` portfolios past it (or the input is
    // over), whatever the input is doing (standard input may be idle).
    let writing: Promise<void> = Promise.resolve();
    let writeError: unknown;
    const writable = (e: InFlight) => e.outcome !== undefined && (final || packer.lastSeq - e.task.lastSeq >= window);
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
        final = true;
        kick();
        await writing;
      }
      if (writeError !== undefined) throw writeError;
    };

    const onEmit = (e: PortfolioEmit) => {
      if (e.amends) {
        const message = e.portfolio.error!;
        if (packer.lastSeq - e.seq < window) amended.set(e.seq, message);
        else {
          // Its row is out (or may be): the reappearing rows become an error row of their own, here.
          s.lateReappearances++;
          packer.error(-1, e.portfolio.id, 'E_PORTFOLIO', `${message} (its first rows were already margined alone and written)`);
          warn(`${message}: its first rows were already margined alone and written; an error row is added for the rest`);
        }
        return;
      }
      packer.add(e.seq, e.portfolio);
      if (packer.full) ready.push(packer.take()!);
    };
    const onEmits = (emits: readonly PortfolioEmit[]) => { for (let k = 0; k < emits.length; k++) onEmit(emits[k]); };
    /** The CSV reader delivers here: portfolios as reusable columns, everything else as emits. */
    const csvSink: CsvSink = {
      portfolio: (seq, id, codes, instruments, quantities, n) => {
        packer.addResolved(seq, id, codes, instruments, quantities, n);
        if (packer.full) ready.push(packer.take()!);
      },
      emit: onEmit,
    };

    let stopped = false;
    let failure: unknown;
    const onAbort = () => {
      stopped = true;
      // A stream waiting for its next chunk (standard input) must be woken up: end it.
      if (input instanceof Readable) input.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) stopped = true;
    try {
      if (isByteStream(input)) {
        const source = options.source ?? 'portfolios.csv';
        const ndjson = (options.inputFormat ?? (isNdjsonName(source) ? 'ndjson' : 'csv')) === 'ndjson';
        const reader = ndjson ? new NdjsonPortfolioReader(source) : new CsvPortfolioReader(source, { resolve: packer.resolve, sink: csvSink });
        const feeder = new LineFeeder(reader, source);
        const chunks = input as AsyncIterable<Uint8Array | string>;
        if (!stopped) {
          for await (const chunk of chunks) {
            const p0 = performance.now();
            feeder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, onEmits);
            bytes = feeder.bytes;
            timings.parse += performance.now() - p0;
            if (stopped) break;
            await pump(false);
            if (stopped) break;
          }
          if (!stopped) {
            const p0 = performance.now();
            feeder.end(onEmits, warn);
            timings.parse += performance.now() - p0;
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
    }
    if (failure !== undefined) {
      // A file-level input error: the portfolios read before it are complete; margin and write
      // them, then report it. Any other failure (the output broke): write nothing more.
      if (isInputError(failure)) {
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
   * portfolios decided here (unreadable, unknown instrument), amended ones (their id came back
   * later), those that failed in the worker, and all of them when the task failed twice.
   */
  private specials(task: PackedTask, outcome: Outcome, amended: Map<number, string>): Map<number, MarginError> | undefined {
    const method = this.method;
    let out: Map<number, MarginError> | undefined;
    const set = (k: number, e: MarginError) => { (out ??= new Map()).set(k, e); };
    const r = outcome.ok ? outcome.result : undefined;
    let failed: Map<number, { message: string; code: MarginError['code'] }> | undefined;
    if (r && r.failed.length > 0) failed = new Map(Array.from(r.failed, (p, k) => [p, { message: r.messages[k], code: r.codes[k] }]));
    for (const [k, e] of task.preErrors) set(k, e);
    if (amended.size > 0) {
      for (let k = 0; k < task.ids.length; k++) {
        const seq = task.seqs[k];
        const message = seq >= 0 ? amended.get(seq) : undefined;
        if (message === undefined) continue;
        amended.delete(seq);
        set(k, { ok: false, portfolio: task.ids[k], method, code: 'E_PORTFOLIO', message });
      }
    }
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
