/**
 * `margin-engine replay` (docs/accounts.md): the accounts loaded into a continuous margin book,
 * the events of --events applied to it, the status changes, margin calls, what-if answers and
 * rejected events written as NDJSON. Exit status as for `run`: 0 when the run completed (even with
 * rejected events), 2 for an unusable market file or arguments, 1 for anything else (an unreadable
 * or invalid account or event file).
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { MarginBook } from '../book/book.js';
import { replaySteps } from '../book/replay.js';
import { OutputTarget } from '../io/target.js';
import { yieldToEventLoop, type Interrupts } from '../io/signals.js';
import { interrupted, outputFormat } from './outputs.js';
import { asFileError, loadInputs, method, read, usage } from './accounts.js';

/** The command's help section (usage, what it does, every option with its default), for the CLI. */
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
      return interrupted([out], interrupts!, `replayed lines 1 to ${step.value} of ${values.events}; line ${step.value + 1} and the lines after it were not applied`);
    }
    const s = step.value;
    if (interrupts?.received) return interrupted([out], interrupts, `replayed ${s.events} events`);
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
