/**
 * What the commands share in writing their outputs: the output format they choose from `--out`
 * and `--format`, and the end of a command stopped by a signal (the rows written kept as
 * FILE.partial, standard error saying where it stopped).
 */
import { statSync } from 'node:fs';
import { chooseFormat, type OutputFormat } from '../io/output.js';
import { UsageError, type OutputTarget } from '../io/target.js';
import type { Interrupts } from '../io/signals.js';

/** True for an existing path that is not a regular file (a device, a FIFO): written directly, CSV by default. */
export function isDevice(path: string): boolean {
  try { return !statSync(path).isFile(); } catch { return false; }
}

/** The output format of a command (see chooseFormat); a bad one is a UsageError. */
export function outputFormat(out: string | undefined, format: string | undefined, allowed?: readonly OutputFormat[]): OutputFormat {
  try {
    return chooseFormat(out, format, isDevice, allowed);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * Ends a command that got a signal while it worked: the rows written are kept (FILE.partial) and
 * standard error says so; returns the exit status (128 + the signal's number).
 */
export function interrupted(outs: OutputTarget[], interrupts: Interrupts, what: string): number {
  const kept = outs.map((o) => o.keepPartial()).filter((p): p is string => p !== undefined);
  process.stderr.write(`margin-engine: interrupted (${interrupts.received ?? 'SIGINT'}): ${what}`
    + (kept.length ? `; the rows written are in ${kept.join(', ')}` : '') + '\n');
  return interrupts.exitCode;
}
