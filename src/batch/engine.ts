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

 *
 * The engine's parts, by role: options.ts (the options, their checks, maxThreads), executor.ts
 * (running tasks in-process or on the pool, the retry, a failed task's error rows), pipeline.ts
 * (the in-order pipeline), first-pass.ts (the first pass, UnsortedBook), helpers.ts.
 */
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { Piscina } from 'piscina';
import { InputError } from '../errors.js';
import type { MarginError, MarginResult } from '../results.js';
import type { ResolvedMarket } from '../market/types.js';
import { buildStressScenarios } from '../scenarios/stress.js';
import { checkCubeFinite, cubeOf, fillCubeRows, layoutCube } from '../cube/cube.js';
import { methodScenarios, type MethodSetup } from '../models/setup.js';
import { Arena, SharedHeap, align } from '../wasm/arena.js';
import { compiledModule, createKernelMemory, instantiateKernels } from '../wasm/module.js';
import { csvHeader, type OutputFormat } from '../io/output.js';
import { formatRow, okResult } from './rows.js';
import { packContext, type BatchMethod, type CubeTask, type EngineContext, type MarginTask, type MarginTaskResult } from './protocol.js';
import { checkEngineOptions, type BatchEngineOptions, type BatchInput, type BatchRunOptions, type BatchSummary } from './options.js';
import { InlineExecutor, PoolExecutor, runTwice, workerFile, type Executor } from './executor.js';
import { runPipeline, type Deliver } from './pipeline.js';
import { cubeParts, drained } from './helpers.js';

export type { BatchMethod, MarginTaskResult, PackedGroups } from './protocol.js';
export {
  MAX_THREADS_PER_CORE, maxThreads,
  type BatchEngineOptions, type BatchRunOptions, type BatchProgress, type BatchTimings, type BatchSummary, type StopPoint,
  type BatchInput, type BatchFile, type FaultPlan,
} from './options.js';
export { workerFile } from './executor.js';
export { cubeParts } from './helpers.js';

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
  /** The method as resolved against the market (its block, stress scenarios, allocation). */
  private readonly setup: MethodSetup;
  private closed = false;

  private constructor(init: {
    options: BatchEngineOptions; setup: MethodSetup; method: BatchMethod; id: string; executor: Executor; memory: WebAssembly.Memory;
    module: WebAssembly.Module; context: SharedArrayBuffer; stride: number; cubeMs: number; cubeKernelMs: number; cubeTasks: number;
  }) {
    this.options = init.options;
    this.setup = init.setup;
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
    const { market, setup, threads } = checkEngineOptions(options);
    const method = setup.method;

    // The shared memory, its heap, and the cube laid out by this thread.
    const module = compiledModule();
    const memory = createKernelMemory();
    const kernels = instantiateKernels(module, memory);
    const heapAt = align(kernels.heapBase(), 64);
    const heap = SharedHeap.create(memory, heapAt);
    const arena = new Arena(kernels, { heap });
    const scen = methodScenarios(arena, market, setup);
    const layout = layoutCube(arena, market, scen);
    // Stress scenarios: their (small) cube built here, once, in the shared memory.
    let stress: EngineContext['stress'];
    if (setup.stress) {
      const stressScen = buildStressScenarios(market, setup.stress);
      const stressLayout = layoutCube(arena, market, stressScen);
      if (!fillCubeRows(kernels, stressLayout, 0, stressLayout.nInstruments)) checkCubeFinite(cubeOf(arena, stressLayout), market, stressScen);
      stress = { spec: setup.stress, layout: stressLayout };
    }
    const id = randomUUID();
    const context = packContext({
      id, method, market, layout, heapAt, stress, allocation: setup.allocation,
      grid: setup.method === 'grid' ? setup.spec : undefined,
      es: setup.method === 'es' ? setup.spec : undefined,
      tail: setup.method === 'fhs'
        ? { confidence: setup.spec.confidence, maintenanceRatio: setup.spec.maintenanceRatio, preset: setup.spec.preset } : undefined,
    });

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
        options, setup, method, id, executor, memory, module, context, stride: scen.stride, cubeMs, cubeKernelMs: kernelMs, cubeTasks: parts.length,
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
    const rowOptions = {
      currency: options.currency ? this.market.currency : undefined, raw: options.csvRaw === true, stress: this.setup.stress !== undefined,
    };
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
      for (let k = 0; k < task.ids.length; k++) out.push(specials?.get(k) ?? okResult(this.market, this.method, task.ids[k], r!, task.slots[k], this.setup.spec.preset));
    }, { detail: this.method === 'grid' });
    return out;
  }

  /**
   * The level under run(): margins portfolios already resolved to the market's instrument indices
   * (portfolio p: positions offsets[p] .. offsets[p+1]-1 of instr and qty, one per instrument) as one
   * task, returning the worker's numbers as they come (per portfolio: initialMargin,
   * maintenanceMargin, and the grid's worstPoint or the tail methods' var and es; with stress
   * scenarios or allocation the whole results; failures by index). No retry: a failure rejects.
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

  private pipeline(
    input: BatchInput, options: BatchRunOptions, deliver: Deliver, want: { detail: boolean; rows?: OutputFormat },
  ): Promise<BatchSummary> {
    return runPipeline({
      closed: this.closed, market: this.market, method: this.method, stress: this.setup.stress !== undefined, stride: this.stride,
      options: this.options, executor: this.executor,
      id: this.id, memory: this.memory, module: this.module, context: this.context,
    }, input, options, deliver, want);
  }
}

/** Builds a batch engine: the market's scenarios and cube, and its worker pool (or none, threads 1). */
export function createBatchEngine(options: BatchEngineOptions): Promise<BatchEngine> {
  return BatchEngine.create(options);
}

export type { MarginError };
