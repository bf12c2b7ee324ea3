/**
 * Where a batch engine's tasks run: in this thread (threads 1) or on a Piscina pool; a task that
 * fails (its worker died or threw) is run once more, alone on a fresh worker, and a task that fails
 * twice makes its portfolios error rows.
 */
import { Piscina } from 'piscina';
import type { MarginError } from '../results.js';
import { packageFile } from '../paths.js';
import { forgetEngine, handle } from './worker.js';
import type { PackedTask } from './pack.js';
import type { BatchMethod, FaultKind, MarginTaskResult, Task, TaskResult } from './protocol.js';
import { oneLine } from './helpers.js';

/** The worker file Piscina loads (the built one: tasks cross threads as JavaScript). */
export function workerFile(): string {
  return packageFile('dist', 'src', 'batch', 'worker.js');
}

export interface Executor {
  readonly workers: number;
  run(task: Task): Promise<TaskResult>;
  /** A task's second attempt, after its first failed: alone on a fresh worker where there are workers. */
  retry(task: Task): Promise<TaskResult>;
  close(engine: string): Promise<void>;
  /** True once close() has been called: a task that fails then is not run again. */
  readonly closed: boolean;
}

/** threads: 1: the worker's handler, called in this thread. */
export class InlineExecutor implements Executor {
  readonly workers = 1;
  closed = false;
  async run(task: Task): Promise<TaskResult> { return handle(task); }
  retry(task: Task): Promise<TaskResult> { return this.run(task); }
  async close(engine: string): Promise<void> { this.closed = true; forgetEngine(engine); }
}

export class PoolExecutor implements Executor {
  private readonly filename = workerFile();
  /**
   * Where second attempts run: a pool of one worker taking one task at a time, made on the first
   * failure. A worker of the main pool holds up to two tasks, so when one task kills its worker the
   * other dies with it; run again alone, the innocent one succeeds and only the task that fails by
   * itself twice becomes error rows.
   */
  private recovery: Piscina | undefined;
  closed = false;
  constructor(private readonly pool: Piscina, private readonly own: boolean) {
    if (own) pool.on('error', lateMessage);
  }
  get workers(): number { return this.pool.maxThreads; }
  run(task: Task): Promise<TaskResult> { return this.send(this.pool, task); }
  retry(task: Task): Promise<TaskResult> {
    // A task cut short by close() (its worker terminated) is not run again on a pool made after it.
    if (this.closed) return Promise.reject(new Error('the engine was closed'));
    // minThreads 1: with 0, a task queued when the pool's only worker had just exited was seen to
    // wait for ever (piscina 5.3.2).
    if (!this.recovery) {
      this.recovery = new Piscina({ filename: this.filename, minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 1, idleTimeout: 2 ** 31 - 1 });
      this.recovery.on('error', lateMessage);
    }
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
    this.closed = true;
    const recovery = this.recovery;
    this.recovery = undefined;
    await Promise.all([recovery?.destroy(), this.own ? this.pool.destroy() : undefined]);
  }
}

/**
 * The 'error' listener of the pools the engine makes. Piscina emits 'error' (and, with no listener,
 * throws it out of a message handler, ending the process) for what no task awaits: a result a
 * worker posts for a task already settled (destroyed by close() while the worker was finishing it:
 * "Unexpected message from Worker", seen under load when standard output closes), a worker exiting
 * with no task on it, a close that timed out. Every task's own failure reaches its promise (and
 * runTwice) instead, so nothing is lost by ignoring these.
 */
function lateMessage(): void {}

/** A margin task's end: its results, or why it failed twice. */
export type Outcome = { ok: true; result: MarginTaskResult } | { ok: false; cause: string };

/**
 * Runs a task; on failure (the worker died or threw) runs it once more, alone on a fresh worker;
 * then reports the cause.
 */
export async function runTwice(
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
      if (executor.closed) break; // closed under it: nothing to run it again on, and no warning
      if (attempt === 0) onRetry?.(cause);
    }
  }
  return { ok: false, cause };
}

/**
 * The rows of a task that are errors, by index in the task (undefined when there are none):
 * portfolios decided here (unreadable, unknown instrument), those that failed in the worker, and
 * all of them when the task failed twice.
 */
export function taskErrors(method: BatchMethod, task: PackedTask, outcome: Outcome): Map<number, MarginError> | undefined {
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
