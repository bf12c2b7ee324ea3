/**
 * The `accounts` and `replay` commands (docs/accounts.md). Exit status as for `run`: 0 when the
 * run completed (even with error rows or rejected events), 2 for an unusable market file or
 * arguments, 1 for anything else (an unreadable or invalid account or event file).
 */
import { parseArgs } from 'node:util';
import { readFileSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { InputError } from '../errors.js';
import { parseAccountMarket } from '../accounts/market.js';
import { parseAccounts } from '../accounts/parse.js';
import { marginAccountsEach } from '../accounts/margin.js';
import { formatAccounts } from '../accounts/report.js';
import type { AccountMethod } from '../accounts/types.js';
import { MarginBook } from './book.js';
import { replaySteps } from './replay.js';
import { chooseFormat, type OutputFormat } from '../io/output.js';
import { OutputTarget } from '../io/target.js';
import { yieldToEventLoop, type Interrupts } from '../io/signals.js';
import type { AccountMargin } from '../accounts/types.js';

/** The commands' help sections (usage, what they do, every option with its default), for the CLI. */
export const ACCOUNTS_COMMAND_HELP = `Usage:
  margin-engine accounts --market FILE --accounts FILE [--method grid|es] [--out FILE] [--format csv|ndjson] [--csv-raw]

Margins every account of --accounts: equity (collateral after haircuts, none on the account's own
numeraire; cash, unrealised P&L, option value), requirement and status under the account's mode,
and the isolated, cross and portfolio requirements side by side. CSV, or NDJSON with every mode
and the standalone items.

Options:
  --market FILE         market snapshot (JSON); - reads standard input. Required
  --accounts FILE       accounts (JSON, or NDJSON when the name ends in .ndjson); - reads standard
                        input. Required
  --method M            grid or es (default grid)
  --out FILE            output file (default: standard output; - too). Written to a temporary file
                        in the same folder and renamed into place when the command ends well; an
                        interrupted run leaves FILE.partial; an output that is an input is refused
  --format F            csv or ndjson (default: from the --out extension, .csv CSV, .ndjson/.jsonl
                        NDJSON; another extension is an error; standard output or a device: CSV)
  --csv-raw             write CSV text fields as they are (default off: an id or message beginning
                        with =, +, -, @, a tab or a CR gets a leading ' and is quoted)`;

export const REPLAY_COMMAND_HELP = `Usage:
  margin-engine replay --market FILE --accounts FILE --events FILE [--method grid|es] [--out FILE]

Loads the accounts into a continuous margin book, applies the events of --events (NDJSON: price,
vol, trade, transfer, whatif), and writes the status changes, margin calls, what-if answers and
rejected events as NDJSON.

Options:
  --market FILE         market snapshot (JSON); - reads standard input. Required
  --accounts FILE       accounts (JSON, or NDJSON when the name ends in .ndjson). Required
  --events FILE         events (NDJSON), one a line; - reads standard input. Required
  --method M            grid or es (default grid)
  --out FILE            output file, NDJSON (.ndjson or .jsonl; default: standard output; - too).
                        Written to a temporary file and renamed into place when the command ends
                        well; an interrupted run leaves FILE.partial; an output that is an input is
                        refused`;

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

function outputFormat(out: string | undefined, format: string | undefined, allowed?: readonly OutputFormat[]): OutputFormat {
  const isDevice = (p: string) => { try { return !statSync(p).isFile(); } catch { return false; } };
  try {
    return chooseFormat(out, format, isDevice, allowed);
  } catch (e) {
    throw usage((e as Error).message);
  }
}

/** A command that got a signal while it worked: the rows written are kept as FILE.partial; the exit status. */
function interrupted(out: OutputTarget, interrupts: Interrupts, what: string): number {
  const kept = out.keepPartial();
  process.stderr.write(`margin-engine: interrupted (${interrupts.received ?? 'SIGINT'}): ${what}${kept ? `; the rows written are in ${kept}` : ''}\n`);
  return interrupts.exitCode;
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

export async function accountsCommand(argv: string[], interrupts?: Interrupts): Promise<number> {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      market: { type: 'string' }, accounts: { type: 'string' }, method: { type: 'string', default: 'grid' }, out: { type: 'string' },
      format: { type: 'string' }, 'csv-raw': { type: 'boolean' },
    },
  });
  const m = method(values.method);
  if (values.market === '-' && values.accounts === '-') throw usage('--market and --accounts cannot both read standard input');
  const out = OutputTarget.open('--out', values.out, [{ flag: '--market', path: values.market }, { flag: '--accounts', path: values.accounts }]);
  try {
    const format = outputFormat(values.out, values.format);
    const { am, file } = loadInputs(values, 'accounts');
    // In chunks, yielding to the event loop between them, so that a signal stops the run with the
    // rows of the accounts margined so far.
    const rows: AccountMargin[] = [];
    for (const r of marginAccountsEach(am, file, { method: m })) {
      rows.push(r);
      if (rows.length % 64 === 0) {
        await yieldToEventLoop();
        if (interrupts?.received) break;
      }
    }
    out.write(formatAccounts(rows, format, { raw: values['csv-raw'] === true }));
    if (interrupts?.received) {
      return interrupted(out, interrupts, `margined ${rows.length} of ${file.accounts.length} accounts; the rest were not margined`);
    }
    await out.commit();
    const errors = rows.filter((r) => !r.ok).length;
    const calls = rows.filter((r) => r.ok && r.status !== 'healthy').length;
    process.stderr.write(`margin-engine: ${rows.length} accounts, ${calls} not healthy${errors ? `, ${errors} with errors` : ''}\n`);
  } catch (e) {
    throw out.failed ?? e;
  } finally {
    out.discard();
  }
  return 0;
}

export async function replayCommand(argv: string[], interrupts?: Interrupts): Promise<number> {
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
  const out = OutputTarget.open('--out', values.out, [
    { flag: '--market', path: values.market }, { flag: '--accounts', path: values.accounts }, { flag: '--events', path: values.events },
  ]);
  try {
    outputFormat(values.out, undefined, ['ndjson']);
    const t0 = performance.now();
    const { am, file } = loadInputs(values, 'replay');
    const book = asFileError(() => new MarginBook(am, file, { method: m }));
    const events = read(values.events, '--events', 1);
    const t1 = performance.now();
    let buf = '';
    const write = (line: string) => { buf += line; if (buf.length > 1 << 16) { out.write(buf); buf = ''; } };
    // Every 256 lines the event loop runs, so that a signal stops the replay there.
    const steps = replaySteps(book, events, values.events === '-' ? 'stdin' : values.events, write);
    let step = steps.next();
    while (!step.done) {
      await yieldToEventLoop();
      if (interrupts?.received) break;
      step = steps.next();
    }
    out.write(buf);
    const t2 = performance.now();
    if (step.done !== true) {
      return interrupted(out, interrupts!, `replayed lines 1 to ${step.value} of ${values.events}; line ${step.value + 1} and the lines after it were not applied`);
    }
    const s = step.value;
    if (interrupts?.received) return interrupted(out, interrupts, `replayed ${s.events} events`);
    await out.commit();
    process.stderr.write(`margin-engine: ${book.size} accounts loaded in ${(t1 - t0).toFixed(1)} ms; ${s.events} events in `
      + `${(t2 - t1).toFixed(1)} ms: ${s.applied} applied, ${s.rejected} rejected, ${s.statusChanges} status changes, `
      + `${s.marginCalls} margin calls, ${s.whatIfs} what-ifs\n`);
  } catch (e) {
    throw out.failed ?? e;
  } finally {
    out.discard();
  }
  return 0;
}
