/**
 * What crosses the worker boundary of the batch engine: tasks (typed arrays and the shared memory,
 * never per-position objects) and results (typed arrays, errors as plain data). Custom error
 * classes do not survive a postMessage, so a portfolio that fails in a worker comes back as an index,
 * a one-line message and its error code, and the main thread makes the error row.
 */
import { serialize, deserialize } from 'node:v8';
import type { EsSpec, GridSpec, PresetId, ResolvedMarket, StressSpec } from '../market/types.js';
import type { CubeLayout } from '../cube/cube.js';
import type { ErrorCode } from '../errors.js';
import type { MarginOk, Method } from '../results.js';
import type { GroupColumns } from '../models/grid.js';

/** Every method runs in the batch engine. */
export type BatchMethod = Method;

/**
 * Everything a worker needs to margin portfolios of one engine, serialized once into a
 * SharedArrayBuffer (a task carries a reference to it, not a copy).
 */
export interface EngineContext {
  /** Unique per engine: workers keep one set of kernels, arena and model per engine id. */
  id: string;
  method: BatchMethod;
  market: ResolvedMarket;
  grid?: GridSpec;
  es?: EsSpec;
  /** fhs: the tail's parameters (the scenario set is the cube layout's, built from the history). */
  tail?: { confidence: number; maintenanceRatio: number; preset?: PresetId };
  /** Where the cube and its inputs (which stay allocated) are in the shared memory. */
  layout: CubeLayout;
  /** Named stress scenarios: the block and where its cube (built once by the engine) is in the shared memory. */
  stress?: { spec: StressSpec; layout: CubeLayout };
  /** Attach the Euler allocation of the initial margin to every ok result. */
  allocation?: boolean;
  /** Offset of the SharedHeap header the workers take their scratch regions from. */
  heapAt: number;
}

/**
 * A test-only fault-injection hook: the worker that receives a task marked `exit` ends its thread
 * (process.exit in a worker thread), one marked `throw` throws. Never set outside tests.
 */
export type FaultKind = 'exit' | 'throw';

interface TaskBase {
  engine: string;
  /** The engine's shared memory, compiled module and serialized context (all shared, not copied). */
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  context: SharedArrayBuffer;
  fault?: FaultKind;
}

/** Build rows first .. first+count-1 of the cube. */
export interface CubeTask extends TaskBase {
  kind: 'cube';
  first: number;
  count: number;
}

/**
 * Margin n portfolios: portfolio p holds the resolved, netted positions offsets[p] ..
 * offsets[p+1]-1 of (instr, qty). With `detail`, grid results include the group breakdown.
 */
export interface MarginTask extends TaskBase {
  kind: 'margin';
  n: number;
  offsets: Int32Array;
  instr: Int32Array;
  qty: Float64Array;
  detail: boolean;
  /**
   * Also format the rows (run()): the portfolios' ids (joined, with their lengths) and the output
   * format. The result then carries the rows' text and where each ends.
   */
  rows?: { format: 'csv' | 'ndjson'; ids: string; idLengths: Int32Array; raw?: boolean; currency?: boolean; stress?: boolean };
}

export type Task = CubeTask | MarginTask;

export interface CubeTaskResult {
  kind: 'cube';
  /** Time in the kernel, ms. */
  ms: number;
}

/**
 * Grid group breakdowns of a task's portfolios, as GroupColumns (src/models/grid.ts): portfolio p's
 * groups are gStart[p] .. gStart[p+1]-1; group g's underlyings uStart[g] .. uStart[g+1]-1.
 */
export interface PackedGroups extends GroupColumns {
  gStart: Int32Array;
}

export interface MarginTaskResult {
  kind: 'margin';
  /** Per portfolio: initial and maintenance margin (NaN for a failed one). */
  initialMargin: Float64Array;
  maintenanceMargin: Float64Array;
  /** Grid: per portfolio, the worst point (-1: none); es, fhs: empty. */
  worstPoint: Float64Array;
  /** es, fhs: per portfolio, value at risk and expected shortfall of the loss; grid: empty. */
  var: Float64Array;
  es: Float64Array;
  /**
   * Portfolios that failed in the worker (indices into the task), why, and the model's error code
   * for it (the code margin() gives in-process: E_PORTFOLIO for an inverse contract or a P&L that
   * is not finite, E_INTERNAL for a kernel status): plain data, messages[k] and codes[k] for failed[k].
   */
  failed: Int32Array;
  messages: string[];
  codes: ErrorCode[];
  detail?: PackedGroups;
  /**
   * With stress scenarios or allocation (and no MarginTask.rows): the ok results as objects
   * (portfolio id '', set by the main thread), by task index; undefined for a failed one.
   */
  results?: (MarginOk | undefined)[];
  /** With MarginTask.rows: the rows, back to back; row j ends at rowEnds[j] (a failed one is empty). */
  text?: string;
  rowEnds?: Int32Array;
  /** Time in the margin loop (and formatting), ms. */
  ms: number;
}

export type TaskResult = CubeTaskResult | MarginTaskResult;

/** The context as shared bytes. */
export function packContext(ctx: EngineContext): SharedArrayBuffer {
  const bytes = serialize(ctx);
  const sab = new SharedArrayBuffer(bytes.length);
  new Uint8Array(sab).set(bytes);
  return sab;
}

export function unpackContext(sab: SharedArrayBuffer): EngineContext {
  return deserialize(new Uint8Array(sab)) as EngineContext;
}
