/**
 * `margin-engine accounts` (docs/accounts.md): every account margined under its mode; and the
 * reading of the market and accounts that `replay` shares. Exit status as for `run`: 0 when the
 * run completed (even with error rows), 2 for an unusable market file or arguments, 1 for anything
 * else (an unreadable or invalid account file).
 */
import { parseArgs } from 'node:util';
import { InputError } from '../errors.js';
import { parseAccountMarket } from '../accounts/market.js';
import { parseAccounts } from '../accounts/parse.js';
import { marginAccountsEach } from '../accounts/margin.js';
import { formatAccounts } from '../accounts/report.js';
import type { AccountMargin, AccountMethod } from '../accounts/types.js';
import { OutputTarget } from '../io/target.js';
import { yieldToEventLoop, type Interrupts } from '../io/signals.js';
import { interrupted, outputFormat } from './outputs.js';
import { readText } from './inputs.js';

/** The command's help section (usage, what it does, every option with its default), for the CLI. */
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

/** A bad argument of accounts or replay (an InputError, exit 2). */
export function usage(message: string): InputError {
  return new InputError(message);
}

/** A file's text, or standard input's; one that cannot be read exits with `exit`. */
export function read(path: string, what: string, exit: number): string {
  return readText(path, what, (m) => Object.assign(usage(m), { exit }));
}

/** `--method`: grid or es. */
export function method(v: string | undefined): AccountMethod {
  if (v !== 'grid' && v !== 'es') throw usage(`--method: expected grid or es, got ${JSON.stringify(v)}`);
  return v;
}

/** Errors in the account or event file exit with 1 (the market and arguments were usable). */
export function asFileError<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw Object.assign(e as Error, { exit: 1 });
  }
}

/** `--market` and `--accounts`: the account market (exit 2 when unusable) and the accounts (exit 1). */
export function loadInputs(values: { market?: string; accounts?: string }, cmd: string) {
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
      return interrupted([out], interrupts, `margined ${rows.length} of ${file.accounts.length} accounts; the rest were not margined`);
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
