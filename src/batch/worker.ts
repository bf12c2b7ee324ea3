/**
 * The batch engine's worker (a Piscina task handler; Piscina loads the built dist/src/batch/worker.js).
 *
 * Per engine, a worker keeps one instance of the kernels over the engine's shared memory, one arena
 * of its own in that memory (regions taken from the shared heap, so no two workers write the same
 * bytes), and one model built over the shared cube: the same GridModel / EsModel class, and the
 * same marginResolved / tailResolved method, that margin() runs in-process. It is made on the
 * engine's first task in this worker (a cube task) and warmed up before its first margin task, then
 * kept.
 *
 * The main thread runs the same handler in-process for `threads: 1`, so both paths share every line.
 */
import { isMainThread } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { instantiateKernels, type KernelExports } from '../wasm/module.js';
import { Arena, SharedHeap } from '../wasm/arena.js';
import { cubeOf, fillCubeRows, scenariosOf, type CubeLayout } from '../cube/cube.js';
import { GridModel, type GridBreakdown } from '../models/grid.js';
import { EsModel, TailModel, type TailNumbers } from '../models/tail.js';
import { StressTest } from '../models/stress.js';
import { ComposedModel } from '../models/compose.js';
import type { MarginOk } from '../results.js';
import type { PresetId, ResolvedMarket } from '../market/types.js';
import type { ErrorCode } from '../errors.js';
import { formatRow, okResult, splitIds } from './rows.js';
import { unpackContext, type BatchMethod, type CubeTask, type MarginTask, type MarginTaskResult, type PackedGroups, type Task, type TaskResult } from './protocol.js';

interface WorkerContext {
  market: ResolvedMarket;
  method: BatchMethod;
  kernels: KernelExports;
  layout: CubeLayout;
  grid?: GridModel;
  /** es or fhs. */
  es?: TailModel;
  /** The preset the engine's block came from (stated in every ok result). */
  preset?: PresetId;
  /** With stress scenarios or allocation: the method's model with them on top (the one margin() runs in-process). */
  composed?: ComposedModel;
  breakdown?: GridBreakdown;
  numbers: TailNumbers;
  /** Whether warmUp has run (before the first margin task). */
  warm?: boolean;
}

/** Engines whose context this thread keeps, most recently used last. */
const contexts = new Map<string, WorkerContext>();
/** How many engines' contexts a thread keeps (a pool shared by several engines evicts the oldest). */
const MAX_CONTEXTS = 4;

function contextOf(task: Task): WorkerContext {
  const c = contextOfEngine(task);
  // Warmed up before the first margin task, not during the cube build (whose time it would add to).
  if (task.kind === 'margin' && !c.warm) {
    warmUp(c, c.market.instruments.ids.length);
    c.warm = true;
  }
  return c;
}

function contextOfEngine(task: Task): WorkerContext {
  const hit = contexts.get(task.engine);
  if (hit) {
    contexts.delete(task.engine);
    contexts.set(task.engine, hit);
    return hit;
  }
  const ctx = unpackContext(task.context);
  const kernels = instantiateKernels(task.module, task.memory);
  const arena = new Arena(kernels, { heap: SharedHeap.attach(task.memory, ctx.heapAt), regionBytes: 256 * 1024 });
  const cube = cubeOf(arena, ctx.layout);
  const c: WorkerContext = {
    market: ctx.market, method: ctx.method, kernels, layout: ctx.layout, numbers: { var: 0, es: 0, initialMargin: 0, maintenanceMargin: 0 },
  };
  if (ctx.method === 'grid') {
    c.grid = GridModel.overCube(ctx.market, ctx.grid!, arena, cube);
    c.breakdown = c.grid.newBreakdown();
  } else if (ctx.method === 'es') {
    c.es = EsModel.overCube(ctx.market, ctx.es!, arena, scenariosOf(task.memory, ctx.layout), cube);
  } else {
    c.es = new TailModel('fhs', ctx.market, arena, scenariosOf(task.memory, ctx.layout), ctx.tail!.confidence,
      ctx.tail!.maintenanceRatio, cube);
    c.es.preset = ctx.tail!.preset;
  }
  c.preset = ctx.grid?.preset ?? ctx.es?.preset ?? ctx.tail?.preset;
  if (ctx.stress || ctx.allocation) {
    const stress = ctx.stress
      ? new StressTest(ctx.market, ctx.stress.spec, { arena, cube: cubeOf(arena, ctx.stress.layout) }) : undefined;
    c.composed = new ComposedModel((c.grid ?? c.es)!, { stress, allocation: ctx.allocation });
  }
  contexts.set(task.engine, c);
  while (contexts.size > MAX_CONTEXTS) contexts.delete(contexts.keys().next().value!);
  return c;
}

/**
 * Runs the margin path on a small synthetic portfolio until V8 has had the chance to optimise the
 * JavaScript around the kernels and tier the kernels up (wasm starts in the baseline compiler).
 * Results are discarded; only this worker's scratch is written.
 */
function warmUp(c: WorkerContext, nInstruments: number): void {
  const n = Math.min(8, nInstruments);
  if (n === 0) return;
  const instr = Int32Array.from({ length: n }, (_, k) => k);
  const qty = Float64Array.from({ length: n }, (_, k) => (k % 2 === 0 ? 1 : -1));
  const t0 = performance.now();
  for (let r = 0; r < 2000 && performance.now() - t0 < 5; r++) {
    if (c.composed) c.composed.marginNetted('', instr, qty, 0, n);
    else if (c.grid) c.grid.marginResolved(instr, qty, 0, n, c.breakdown!);
    else c.es!.tailResolved(instr, qty, 0, n, c.numbers);
  }
}

function runCube(task: CubeTask): TaskResult {
  const c = contextOf(task);
  const t0 = performance.now();
  fillCubeRows(c.kernels, c.layout, task.first, task.count);
  return { kind: 'cube', ms: performance.now() - t0 };
}

function runMargin(task: MarginTask): MarginTaskResult {
  const c = contextOf(task);
  const { n, offsets, instr, qty } = task;
  const im = new Float64Array(n), mm = new Float64Array(n);
  // Grid: the worst point of each portfolio; es, fhs: its VaR and ES (the other method's arrays empty).
  const wp = new Float64Array(c.grid ? n : 0), va = new Float64Array(c.es ? n : 0), es = new Float64Array(c.es ? n : 0);
  const numbers = { initialMargin: im, maintenanceMargin: mm, worstPoint: wp, var: va, es };
  const failed: number[] = [];
  const messages: string[] = [];
  const codes: ErrorCode[] = [];
  const t0 = performance.now();
  if (c.composed) {
    // Stress scenarios or allocation: whole result objects, from the same marginNetted as in-process.
    const model = c.composed;
    const results: (MarginOk | undefined)[] = new Array(n);
    for (let p = 0; p < n; p++) {
      const r = model.marginNetted('', instr, qty, offsets[p], offsets[p + 1]);
      if (!r.ok) {
        failed.push(p);
        messages.push(r.message);
        codes.push(r.code);
        im[p] = mm[p] = NaN;
        if (c.grid) wp[p] = NaN; else va[p] = es[p] = NaN;
      } else {
        results[p] = r;
        im[p] = r.initialMargin;
        mm[p] = r.maintenanceMargin;
        if (r.method === 'grid') wp[p] = r.worstPoint ?? -1;
        else { va[p] = r.var; es[p] = r.es; }
      }
    }
    return withRows(task, c, { kind: 'margin', ...numbers, failed: Int32Array.from(failed), messages, codes, results }, t0);
  }
  if (c.grid) {
    const model = c.grid, bd = c.breakdown!;
    // Groups and underlyings of a portfolio are at most its positions: the task's positions bound both.
    const detail = task.detail || (task.rows?.format === 'ndjson') ? packedGroups(n, instr.length) : undefined;
    let gAt = 0, uAt = 0;
    for (let p = 0; p < n; p++) {
      const error = model.marginResolved(instr, qty, offsets[p], offsets[p + 1], bd);
      if (error !== undefined) {
        failed.push(p);
        messages.push(error);
        codes.push(model.lastErrorCode);
        im[p] = mm[p] = wp[p] = NaN;
      } else {
        im[p] = bd.initialMargin;
        mm[p] = bd.maintenanceMargin;
        wp[p] = bd.worstPoint;
        if (detail) {
          const G = bd.groups;
          for (let g = 0; g < bd.nGroups; g++) {
            detail.group[gAt] = G.group[g];
            detail.worstPoint[gAt] = G.worstPoint[g];
            detail.scanRisk[gAt] = G.scanRisk[g];
            detail.optionMinimum[gAt] = G.optionMinimum[g];
            detail.charge[gAt] = G.charge[g];
            detail.uStart[gAt] = uAt + G.uStart[g];
            gAt++;
          }
          for (let k = 0; k < bd.nUnderlyings; k++) {
            detail.underlying[uAt] = G.underlying[k];
            detail.loss[uAt] = G.loss[k];
            uAt++;
          }
        }
      }
      if (detail) { detail.gStart[p + 1] = gAt; detail.uStart[gAt] = uAt; }
    }
    return withRows(task, c, { kind: 'margin', ...numbers, failed: Int32Array.from(failed), messages, codes, detail }, t0);
  }
  const model = c.es!, t = c.numbers;
  for (let p = 0; p < n; p++) {
    const error = model.tailResolved(instr, qty, offsets[p], offsets[p + 1], t);
    if (error !== undefined) {
      failed.push(p);
      messages.push(error);
      codes.push(model.lastErrorCode);
      im[p] = mm[p] = va[p] = es[p] = NaN;
    } else {
      im[p] = t.initialMargin;
      mm[p] = t.maintenanceMargin;
      va[p] = t.var;
      es[p] = t.es;
    }
  }
  return withRows(task, c, { kind: 'margin', ...numbers, failed: Int32Array.from(failed), messages, codes }, t0);
}

/** Formats the task's rows when asked (MarginTask.rows), with the code the main thread uses. */
function withRows(task: MarginTask, c: WorkerContext, r: Omit<MarginTaskResult, 'ms'>, t0: number): MarginTaskResult {
  const res = r as MarginTaskResult;
  if (task.rows) {
    const ids = splitIds(task.rows.ids, task.rows.idLengths);
    const failed = new Set(r.failed);
    const rowEnds = new Int32Array(task.n);
    let text = '';
    for (let j = 0; j < task.n; j++) {
      if (!failed.has(j)) {
        const opts = { currency: task.rows.currency ? c.market.currency : undefined, raw: task.rows.raw, stress: task.rows.stress };
        text += formatRow(task.rows.format, okResult(c.market, c.method, ids[j], res, j, c.preset), opts);
      }
      rowEnds[j] = text.length;
    }
    res.text = text;
    res.rowEnds = rowEnds;
    res.detail = undefined; // in the text already
    res.results = undefined;
  }
  res.ms = performance.now() - t0;
  return res;
}

function packedGroups(n: number, maxGroups: number): PackedGroups {
  return {
    gStart: new Int32Array(n + 1), group: new Int32Array(maxGroups), worstPoint: new Int32Array(maxGroups),
    scanRisk: new Float64Array(maxGroups), optionMinimum: new Float64Array(maxGroups), charge: new Float64Array(maxGroups),
    uStart: new Int32Array(maxGroups + 1), underlying: new Int32Array(maxGroups), loss: new Float64Array(maxGroups),
  };
}

/** Drops this thread's context of an engine (an in-process engine being closed). */
export function forgetEngine(engine: string): void {
  contexts.delete(engine);
}

/** Runs one task in this thread (a worker, or the main thread for an in-process engine). */
export function handle(task: Task): TaskResult {
  if (task.fault !== undefined && !isMainThread) {
    // Fault injection for tests (protocol.ts FaultKind): never set outside tests.
    if (task.fault === 'exit') process.exit(70);
    throw new Error('injected fault');
  }
  return task.kind === 'cube' ? runCube(task) : runMargin(task);
}

/** The buffers of a result, to transfer rather than copy. */
export function transferables(r: TaskResult): ArrayBuffer[] {
  if (r.kind !== 'margin') return [];
  const list = [r.initialMargin, r.maintenanceMargin, r.worstPoint, r.var, r.es, r.failed];
  if (r.rowEnds) list.push(r.rowEnds);
  if (r.detail) list.push(...Object.values(r.detail) as (Int32Array | Float64Array)[]);
  return list.map((x) => x.buffer as ArrayBuffer);
}

/** The Piscina handler: the result's buffers are transferred back, not copied. */
export default function piscinaTask(task: Task): unknown {
  const result = handle(task);
  return move({ [transferableSymbol]: transferables(result), [valueSymbol]: result } as never);
}
