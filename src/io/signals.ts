/**
 * SIGINT, SIGTERM and SIGHUP stop a command cleanly: the first one aborts `signal` (the command
 * stops at its next chunk of work, writes the rows computed so far and says where it stopped),
 * and the process exits with 128 + the signal's number (130, 143, 129); a second one exits at
 * once, keeping the rows written so far as NAME.partial (io/target.ts).
 */
import { keepPartialsOnExit } from './target.js';

export const SIGNAL_EXITS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
export type StopSignal = keyof typeof SIGNAL_EXITS;

export class Interrupts {
  private readonly controller = new AbortController();
  /** The first signal received, if any. */
  received: StopSignal | undefined;
  private readonly handlers = new Map<StopSignal, () => void>();

  /** Aborted on the first signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The exit status for the signal received (130 when none was, for a caller that stops anyway). */
  get exitCode(): number {
    return SIGNAL_EXITS[this.received ?? 'SIGINT'];
  }

  install(): this {
    for (const name of Object.keys(SIGNAL_EXITS) as StopSignal[]) {
      const h = () => {
        if (this.received !== undefined) process.exit(SIGNAL_EXITS[this.received]);
        this.received = name;
        keepPartialsOnExit();
        this.controller.abort();
      };
      this.handlers.set(name, h);
      process.on(name, h);
    }
    return this;
  }

  uninstall(): void {
    for (const [name, h] of this.handlers) process.off(name, h);
    this.handlers.clear();
  }
}

/** Lets the event loop run (signals, I/O) between chunks of synchronous work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Maps `items` through `f` in chunks of `chunk`, yielding to the event loop between chunks, and
 * stops early when `signal` is aborted: the results of the items done, in order.
 */
export async function chunkedMap<T, R>(items: readonly T[], f: (chunk: readonly T[]) => R[], signal: AbortSignal | undefined,
  chunk = 64): Promise<{ results: R[]; stopped: boolean }> {
  const results: R[] = [];
  for (let at = 0; at < items.length; at += chunk) {
    if (signal?.aborted) return { results, stopped: true };
    const out = f(items.slice(at, at + chunk));
    for (const r of out) results.push(r);
    await yieldToEventLoop();
  }
  return { results, stopped: signal?.aborted === true && results.length < items.length };
}
