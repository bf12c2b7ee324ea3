/**
 * Replaying an event stream through a margin book (`margin-engine replay`): every status change,
 * margin call, what-if answer and rejected event becomes one NDJSON line (docs/accounts.md,
 * "Replay output"). Lines are numbered by the event's line in the input; line 0 is the book as
 * loaded (accounts already not healthy).
 */
import { InputError, isInputError } from '../errors.js';
import { given } from '../options.js';
import type { AccountStatus } from '../accounts/types.js';
import { MarginBook, type StatusChange, type WhatIfResult } from './book.js';
import { parseEventLine } from './events.js';

export interface ReplaySummary {
  /** Non-blank event lines read. */
  events: number;
  applied: number;
  rejected: number;
  statusChanges: number;
  marginCalls: number;
  whatIfs: number;
}

const SEVERITY: Record<AccountStatus, number> = { healthy: 0, margin_call: 1, liquidation: 2 };

function stamp(o: Record<string, unknown>, event: number, t: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { type: o.type, event };
  if (t !== undefined) out.t = t;
  return Object.assign(out, o);
}

/** The NDJSON lines of one status change: the change, and a margin call when the account got worse. */
export function statusLines(c: StatusChange, event: number, t?: string): string[] {
  const lines = [JSON.stringify(stamp({
    type: 'status', account: c.account, from: c.from, to: c.to, numeraire: c.numeraire, equity: c.equity,
    initial_margin: c.initialMargin, maintenance_margin: c.maintenanceMargin, excess: c.excess,
  }, event, t))];
  if (c.to !== 'healthy' && (c.from === null || SEVERITY[c.to] > SEVERITY[c.from])) {
    lines.push(JSON.stringify(stamp({
      type: 'margin_call', account: c.account, status: c.to, numeraire: c.numeraire, call: -c.excess,
    }, event, t)));
  }
  return lines;
}

export function whatIfLine(w: WhatIfResult, event: number, t?: string): string {
  return JSON.stringify(stamp({
    type: 'whatif', account: w.account, numeraire: w.numeraire, orders: w.orders, status: w.after.status, equity: w.after.equity,
    initial_margin: w.after.initialMargin, maintenance_margin: w.after.maintenanceMargin, excess: w.after.excess,
    current_status: w.before.status, current_initial_margin: w.before.initialMargin, accepted: w.accepted,
  }, event, t));
}

export function errorLine(message: string, event: number, t?: string): string {
  return JSON.stringify(stamp({ type: 'error', code: 'E_INPUT', message: message.replace(/[\r\n]+/g, ' ') }, event, t));
}

/**
 * Applies the events of `text` (NDJSON) in order and writes the output lines (each ending in a
 * newline) through `write`. Bad lines and rejected events give error lines; the replay goes on.
 */
export function replay(book: MarginBook, text: string, source: string, write: (line: string) => void): ReplaySummary {
  checkReplayArgs(book, text, source, write, 'replay');
  const steps = replaySteps(book, text, source, write);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * The same, yielding the line number every 256 input lines (a caller may stop, or yield to the
 * event loop, there); returns the summary.
 */
export function* replaySteps(book: MarginBook, text: string, source: string, write: (line: string) => void): Generator<number, ReplaySummary> {
  checkReplayArgs(book, text, source, write, 'replaySteps');
  const sum: ReplaySummary = { events: 0, applied: 0, rejected: 0, statusChanges: 0, marginCalls: 0, whatIfs: 0 };
  const emitChanges = (changes: readonly StatusChange[], n: number, t?: string) => {
    for (const c of changes) {
      const ls = statusLines(c, n, t);
      sum.statusChanges++;
      if (ls.length > 1) sum.marginCalls++;
      for (const l of ls) write(l + '\n');
    }
  };
  emitChanges(book.initialStatuses(), 0);
  const lines = text.split(/\r\n|\n|\r/);
  for (let k = 0; k < lines.length; k++) {
    if (k > 0 && k % 256 === 0) yield k;
    let line = lines[k];
    if (k === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.trim() === '') continue;
    const n = k + 1;
    const where = `${source}: line ${n}`;
    sum.events++;
    let ev;
    try {
      ev = parseEventLine(line, where);
    } catch (e) {
      if (!isInputError(e)) throw e;
      sum.rejected++;
      write(errorLine(e.message, n) + '\n');
      continue;
    }
    const r = book.apply(ev);
    if (!r.ok) {
      sum.rejected++;
      write(errorLine(`${where}: ${r.message}`, n, ev.t) + '\n');
      continue;
    }
    sum.applied++;
    emitChanges(r.changes, n, ev.t);
    if (r.whatIf) { sum.whatIfs++; write(whatIfLine(r.whatIf, n, ev.t) + '\n'); }
  }
  return sum;
}

/** The entry guard of replay: a MarginBook, the events' text, its name and a line writer; else an InputError naming `where`. */
function checkReplayArgs(book: unknown, text: unknown, source: unknown, write: unknown, where: string): void {
  const bad = (name: string, what: string, v: unknown): never => {
    throw new InputError(`${where}: ${name}: expected ${what}, got ${given(v)}`, { path: name });
  };
  if (!(book instanceof MarginBook)) bad('book', 'a MarginBook (new MarginBook(market, accounts))', book);
  if (typeof text !== 'string') bad('text', 'the events file\'s text (a string, one JSON event a line)', text);
  if (typeof source !== 'string') bad('source', 'the events file\'s name (a string)', source);
  if (typeof write !== 'function') bad('write', 'a function (line: string) => void', write);
}
