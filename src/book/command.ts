/**
 * The `accounts` and `replay` commands (docs/accounts.md). Exit status as for `run`: 0 when the
 * run completed (even with error rows or rejected events), 2 for an unusable market file or
 * arguments, 1 for anything else (an unreadable or invalid account or event file).
 */
import { parseArgs } from 'node:util';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { InputError } from '../errors.js';
import { parseAccountMarket } from '../accounts/market.js';
import { parseAccounts } from '../accounts/parse.js';
import { marginAccounts } from '../accounts/margin.js';
import { formatAccounts } from '../accounts/report.js';
import type { AccountMethod } from '../accounts/types.js';
import { MarginBook } from './book.js';
import { replay } from './replay.js';

/** Usage lines of the commands, for the CLI's help text. */
export const ACCOUNTS_USAGE = `  margin-engine accounts --market FILE --accounts FILE [--method grid|es] [--out FILE]
  margin-engine replay   --market FILE --accounts FILE --events FILE [--method grid|es] [--out FILE]`;

/** What the commands do, for the CLI's help text. */
export const ACCOUNTS_HELP = `  accounts  Margin every account of --accounts (JSON, or NDJSON when the name ends in .ndjson):
          equity (collateral after haircuts, none on the account's own numeraire; cash, unrealised
          P&L, option value), requirement and status under the account's mode, and the isolated,
          cross and portfolio requirements side by side. CSV, or NDJSON (with every mode and the standalone items) when --out ends in .ndjson.
  replay  Load the accounts into a continuous margin book, apply the events of --events (NDJSON:
          price, vol, trade, transfer, whatif), and write the status changes, margin calls,
          what-if answers and rejected events as NDJSON.`;

/** Their options, for the CLI's help text. */
export const ACCOUNTS_OPTIONS = `  --accounts FILE    accounts (JSON, or NDJSON when the name ends in .ndjson); - reads standard input
  --events FILE      replay: events (NDJSON), one a line; - reads standard input`;

function usage(message: string): InputError {
  return new InputError(message);
}

function read(path: string, what: string, exit: number): string {
  try {
    return path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (e) {
    const err = usage(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    throw Object.assign(err, { exit });
  }
}

/** Buffered output to a file or standard output, opened before any work. */
function output(path: string | undefined): { write(s: string): void; close(): void } {
  let buf = '';
  let fd: number | undefined;
  if (path && path !== '-') {
    try {
      fd = openSync(path, 'w');
    } catch (e) {
      throw usage(`--out ${path}: cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  const flush = () => {
    if (buf === '') return;
    if (fd === undefined) process.stdout.write(buf); else writeSync(fd, buf);
    buf = '';
  };
  return {
    write: (s) => { buf += s; if (buf.length > 1 << 16) flush(); },
    close: () => { flush(); if (fd !== undefined) closeSync(fd); },
  };
}

function method(v: string | undefined): AccountMethod {
  if (v !== 'grid' && v !== 'es') throw usage(`--method: expected grid or es, got ${JSON.stringify(v)}`);
  return v;
}

/** Errors in the account or event file exit with 1 (the market and arguments were usable). */
function asFileError<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw Object.assign(e as Error, { exit: 1 });
  }
}

function loadInputs(values: { market?: string; accounts?: string }, cmd: string) {
  if (!values.market) throw usage(`${cmd}: --market FILE is required`);
  if (!values.accounts) throw usage(`${cmd}: --accounts FILE is required`);
  const am = parseAccountMarket(read(values.market, '--market', 2), values.market === '-' ? 'stdin' : values.market);
  const text = read(values.accounts, '--accounts', 1);
  const file = asFileError(() => parseAccounts(text, values.accounts === '-' ? 'stdin' : values.accounts!, am.market));
  return { am, file };
}

export async function accountsCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: { market: { type: 'string' }, accounts: { type: 'string' }, method: { type: 'string', default: 'grid' }, out: { type: 'string' } },
  });
  const m = method(values.method);
  if (values.market === '-' && values.accounts === '-') throw usage('--market and --accounts cannot both read standard input');
  const out = output(values.out);
  try {
    const { am, file } = loadInputs(values, 'accounts');
    const rows = marginAccounts(am, file, { method: m });
    out.write(formatAccounts(rows, values.out && /\.(ndjson|jsonl)$/i.test(values.out) ? 'ndjson' : 'csv'));
    const errors = rows.filter((r) => !r.ok).length;
    const calls = rows.filter((r) => r.ok && r.status !== 'healthy').length;
    process.stderr.write(`margin-engine: ${rows.length} accounts, ${calls} not healthy${errors ? `, ${errors} with errors` : ''}\n`);
  } finally {
    out.close();
  }
  return 0;
}

export async function replayCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      market: { type: 'string' }, accounts: { type: 'string' }, events: { type: 'string' }, method: { type: 'string', default: 'grid' },
      out: { type: 'string' },
    },
  });
  const m = method(values.method);
  if (!values.events) throw usage('replay: --events FILE is required');
  if ([values.market, values.accounts, values.events].filter((v) => v === '-').length > 1) {
    throw usage('only one of --market, --accounts and --events can read standard input');
  }
  const out = output(values.out);
  try {
    const t0 = performance.now();
    const { am, file } = loadInputs(values, 'replay');
    const book = asFileError(() => new MarginBook(am, file, { method: m }));
    const events = read(values.events, '--events', 1);
    const t1 = performance.now();
    const s = replay(book, events, values.events === '-' ? 'stdin' : values.events, out.write);
    const t2 = performance.now();
    process.stderr.write(`margin-engine: ${book.size} accounts loaded in ${(t1 - t0).toFixed(1)} ms; ${s.events} events in `
      + `${(t2 - t1).toFixed(1)} ms: ${s.applied} applied, ${s.rejected} rejected, ${s.statusChanges} status changes, `
      + `${s.marginCalls} margin calls, ${s.whatIfs} what-ifs\n`);
  } finally {
    out.close();
  }
  return 0;
}
