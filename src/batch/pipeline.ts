/**
 * The in-order pipeline of a batch run: reads the input (a byte stream or file, after the first
 * pass; or portfolio objects), packs portfolios into tasks, keeps a bounded number of tasks in
 * flight, and hands each task's results to the run in input order, as soon as every earlier task's
 * are delivered.
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { show } from '../errors.js';
import type { ResolvedMarket } from '../market/types.js';
import type { MarginError } from '../results.js';
import type { PortfolioLike } from '../models/model.js';
import { CsvPortfolioReader, type CsvSink } from '../portfolio/csv.js';
import { NdjsonPortfolioReader } from '../portfolio/ndjson.js';
import { isNdjsonName } from '../portfolio/read.js';
import { LineFeeder } from '../portfolio/stream.js';
import { groupPortfoliosAsync } from '../portfolio/resolve.js';
import type { PortfolioEmit } from '../portfolio/types.js';
import type { OutputFormat } from '../io/output.js';
import { estimateProgress } from '../io/progress.js';
import { joinIds } from './rows.js';
import { TaskPacker, type PackedTask } from './pack.js';
import type { BatchMethod, MarginTask, MarginTaskResult } from './protocol.js';
import { runTwice, taskErrors, type Executor, type Outcome } from './executor.js';
import { UnsortedBook, firstPass, isByteStream, isFileInput } from './first-pass.js';
import { isInputError } from './helpers.js';
import type { BatchEngineOptions, BatchFile, BatchInput, BatchRunOptions, BatchSummary, BatchTimings } from './options.js';

/** What the pipeline needs of its engine. */
export interface PipelineEngine {
  readonly closed: boolean;
  readonly market: ResolvedMarket;
  readonly method: BatchMethod;
  /** Stress scenarios apply: rows carry the stress columns. */
  readonly stress: boolean;
  readonly stride: number;
  readonly options: BatchEngineOptions;
  readonly executor: Executor;
  readonly id: string;
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly context: SharedArrayBuffer;
}

interface InFlight {
  task: PackedTask;
  promise: Promise<void>;
  outcome?: Outcome;
}

/** What a run does with each task's results, in order; `specials` are its error rows by index. */
export type Deliver = (task: PackedTask, outcome: Outcome, specials: Map<number, MarginError> | undefined) => void | Promise<void>;

/**
 * One run of `engine` over `input` (BatchEngine.run and marginAll): `deliver` is given each task's
 * results, in input order; the summary says what was done.
 */
export async function runPipeline(
  engine: PipelineEngine, input: BatchInput, options: BatchRunOptions, deliver: Deliver, want: { detail: boolean; rows?: OutputFormat },
): Promise<BatchSummary> {
  const detail = want.detail;
  if (engine.closed) throw new Error('batch engine: closed');
  const t0 = performance.now();
  const signal = options.signal;
  const packer = new TaskPacker(engine.market, engine.method, engine.stride, { taskWork: engine.options.taskWork });
  const maxInFlight = Math.max(1, engine.options.maxInFlight ?? 2 * engine.executor.workers + 1);
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
        kind: 'margin', engine: engine.id, memory: engine.memory, module: engine.module, context: engine.context,
        n: task.n, offsets: task.offsets, instr: task.instr, qty: task.qty, detail: detail || want.rows === 'ndjson',
      };
      if (want.rows) {
        const ids = task.preErrors.size === 0 ? task.ids : task.ids.filter((_, k) => task.slots[k] >= 0);
        const joined = joinIds(ids);
        t.rows = { format: want.rows, ids: joined.text, idLengths: joined.lengths, raw: options.csvRaw === true, currency: options.currency === true,
          stress: engine.stress };
      }
      const plan = engine.options.faults?.find((f) => f.task === task.index);
      const fault = (attempt: number) => (plan && attempt < plan.failures ? plan.kind ?? 'exit' : undefined);
      running++;
      entry.promise = runTwice(engine.executor, t, fault, (cause) => {
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
    const specials = taskErrors(engine.method, task, outcome!);
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
        const grouped = s.unsorted ? new UnsortedBook(engine.market) : undefined;
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

const EMPTY_I32 = new Int32Array(0);
const EMPTY_F64 = new Float64Array(0);

function emptyResult(): MarginTaskResult {
  const z = new Float64Array(0);
  return { kind: 'margin', initialMargin: z, maintenanceMargin: z, worstPoint: z, var: z, es: z, failed: new Int32Array(0), messages: [], codes: [], ms: 0 };
}
