#!/usr/bin/env node
/**
 * The command line (docs/methods.md §16, §17). Exit status: 0 when the run completed (even with error
 * rows), 2 for an unusable market file or arguments (an output that cannot be written or is one of
 * the inputs included), 130, 143 or 129 for a run stopped by SIGINT, SIGTERM or SIGHUP (the rows
 * computed before it are written, a file as NAME.partial), 1 for anything else (an output that
 * failed while written: one line naming it). A closed standard output (EPIPE) exits 0 quietly.
 */
import { parseArgs } from 'node:util';
import { mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isInputError } from './errors.js';
import { parseMarket } from './market/load.js';
import { isNdjsonName, parsePortfolios, parsePortfoliosCsv, parsePortfoliosNdjson } from './portfolio/parse.js';
import { createGridModel } from './models/grid.js';
import { createEsModel } from './models/tail.js';
import { loadMethodPreset, loadPreset, methodPresetNames, presetNames } from './presets.js';
import { createMarginModel } from './models/create.js';
import { validateStress } from './market/stress-spec.js';
import { parseHistoryCsv } from './history/parse.js';
import { readJson } from './market/validate.js';
import type { EsSpec, FhsSpec, GridSpec, StressSpec } from './market/types.js';
import { CALIBRATE_HELP, calibrateCommand, loadGridFile } from './dim/command.js';
import { ACCOUNTS_COMMAND_HELP, REPLAY_COMMAND_HELP, accountsCommand, replayCommand } from './book/command.js';
import { chooseFormat, formatResults, type OutputFormat } from './io/output.js';
import { OutputError, OutputTarget, UsageError } from './io/target.js';
import { Interrupts, chunkedMap } from './io/signals.js';
import { runStreaming } from './batch/cli-run.js';
import { MAX_THREADS_PER_CORE, maxThreads } from './batch/engine.js';
import { formatValuations, valueMarket } from './valuation.js';
import { packageFile } from './paths.js';
import type { MarginModel } from './models/model.js';
import type { Method, MarginResult } from './results.js';
import type { ResolvedMarket } from './market/types.js';

const VERSION: string = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')).version;

/** The commands' help sections: usage, what it does, every option with its default. */
const RUN_HELP = `Usage:
  margin-engine run --market FILE --portfolios FILE [--method grid|es|fhs] [--preset NAME | --grid FILE]
                    [--history FILE] [--stress FILE] [--allocation] [--out FILE] [--format csv|ndjson]
                    [--input-format csv|ndjson] [--csv-raw] [--threads N]

Margins every portfolio of --portfolios against --market (JSON snapshot) and writes one row per
portfolio, in input order: portfolio,method,initial_margin,maintenance_margin,status,error, then
worst_point (grid) or var,es (es, fhs), then stress_loss,stress_scenario when stress scenarios
apply, then currency (the market's). NDJSON lines carry the same fields (snake_case) and, for the
grid, the per-group breakdown.

Options:
  --market FILE         market snapshot (JSON); - reads standard input. Required
  --portfolios FILE     portfolios: CSV "portfolio,instrument,quantity", or NDJSON, UTF-8 (limits in
                        the README), rows in any order (one row per portfolio id, in order of first
                        appearance); - reads standard input (to its end before any row). Required
  --input-format F      csv or ndjson (default: from the --portfolios name: .ndjson/.jsonl NDJSON,
                        else CSV; standard input CSV)
  --method M            grid, es or fhs (default grid); the market's risk block for it (or --preset)
                        must exist
  --preset NAME         a shipped preset of the method instead of the market's risk block (default
                        none; grid: ${'${presets}'}; es: ${'${es-presets}'}; fhs: ${'${fhs-presets}'})
  --grid FILE           grid only: the grid block of FILE (as written by calibrate, or a market's
                        risk.grid) instead of the market's risk.grid (default none)
  --history FILE        fhs only, required: price history, CSV date,underlying,price
  --stress FILE         named stress scenarios (JSON stress block), for any method (default: the
                        market's risk.stress, if any). Adds stress_loss,stress_scenario; with
                        "floor": true the initial margin is at least cover x the worst stress loss
  --allocation          each position's share of the initial margin (Euler allocation), as an
                        "allocation" list on each NDJSON line (default off; needs NDJSON output)
${'${OUTPUT_OPTIONS}'}
  --threads N           worker threads, 1 to 4 x the number of cores (default: the number of cores;
                        1 runs in-process). Runs with fhs, stress or allocation run in-process`;

/** The output options every command that writes rows shares. */
const OUTPUT_OPTIONS_TEXT = `  --out FILE            output file (default: standard output; - too). Written to a temporary file
                        in the same folder and renamed into place when the command ends well; an
                        interrupted run leaves FILE.partial; an output that is an input is refused
  --format F            csv or ndjson (default: from the --out extension, .csv CSV, .ndjson/.jsonl
                        NDJSON; another extension is an error; standard output or a device: CSV)
  --csv-raw             write CSV text fields as they are (default off: an id, message or name
                        beginning with =, +, -, @, a tab or a CR gets a leading ' and is quoted,
                        so that a spreadsheet does not run it as a formula)`;

const VALUE_HELP = `Usage:
  margin-engine value --market FILE [--out FILE] [--format csv|ndjson] [--csv-raw]

Values every instrument of --market: instrument,value,delta,gamma,vega,theta per contract.

Options:
  --market FILE         market snapshot (JSON); - reads standard input. Required
${OUTPUT_OPTIONS_TEXT}`;

const DEMO_HELP = `Usage:
  margin-engine demo [--portfolios N] [--out-dir DIR] [--csv-raw]

The bundled example: a realistic market and a generated book of N portfolios, margined with the
grid; prints a summary and writes DIR/book.csv and DIR/results.csv.

Options:
  --portfolios N        portfolios to generate (default 10000)
  --out-dir DIR         where book.csv and results.csv go (default out)
  --csv-raw             results.csv without the spreadsheet formula guard (default off; see run)`;

const GENERAL = `  -h, --help            help (margin-engine COMMAND --help: that command's options only)
  -V, -v, --version     the version

Exit status: 0 the command completed (even with error rows); 2 unusable market (or history, stress,
grid) file or arguments, including an output that cannot be written or is one of the inputs
(checked before any work); 130, 143, 129 stopped by SIGINT, SIGTERM, SIGHUP (the rows computed are
written, to FILE.partial for --out FILE; standard error says where it stopped); 1 anything else
(an unusable portfolio file; an output that failed while being written, such as a full disk).
A closed standard output (| head) ends the command quietly, exit 0. Progress (when standard error
is a terminal) and diagnostics go to standard error.`;

const COMMANDS = ['run', 'value', 'demo', 'calibrate', 'accounts', 'replay'] as const;

function sections(): Record<string, string> {
  return {
    run: RUN_HELP.replace('${OUTPUT_OPTIONS}', OUTPUT_OPTIONS_TEXT),
    value: VALUE_HELP, demo: DEMO_HELP, calibrate: CALIBRATE_HELP, accounts: ACCOUNTS_COMMAND_HELP, replay: REPLAY_COMMAND_HELP,
  };
}

/** The whole help, or one command's (`margin-engine run --help`). */
function help(command?: string): string {
  let names = '';
  let es = '', fhs = '';
  try {
    names = presetNames().join(', ');
    es = methodPresetNames('es').join(', ');
    fhs = methodPresetNames('fhs').join(', ');
  } catch { names = 'none found'; }
  const fill = (t: string) => t.replace('${presets}', names).replace('${es-presets}', es || 'none').replace('${fhs-presets}', fhs || 'none');
  const all = sections();
  if (command !== undefined && all[command] !== undefined) {
    return fill(`margin-engine ${command} (margin-engine ${VERSION})\n\n${all[command]}\n\nGeneral:\n${GENERAL}\n`);
  }
  return fill(`margin-engine ${VERSION}: risk-based margin for portfolios of derivatives

Commands: ${COMMANDS.join(', ')}. margin-engine COMMAND --help shows one command's options only.

${COMMANDS.map((c) => `== ${c} ==\n${all[c]}`).join('\n\n')}

General:
${GENERAL}
`);
}

/** The bytes of a file (or of standard input): portfolio files are decoded by their reader, strictly. */
function readInputBytes(path: string, what: string): Uint8Array {
  try {
    return path === '-' ? readFileSync(0) : readFileSync(path);
  } catch (e) {
    throw new UsageError(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function readInput(path: string, what: string): string {
  try {
    return path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** True for an existing path that is not a regular file (a device, a FIFO): written directly, CSV by default. */
function isDevice(path: string): boolean {
  try { return !statSync(path).isFile(); } catch { return false; }
}

/** The output format of a command (see chooseFormat); a bad one is a UsageError. */
function outputFormat(out: string | undefined, format: string | undefined, allowed?: readonly OutputFormat[]): OutputFormat {
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
function interrupted(outs: OutputTarget[], what: string): number {
  const kept = outs.map((o) => o.keepPartial()).filter((p): p is string => p !== undefined);
  process.stderr.write(`margin-engine: interrupted (${interrupts.received ?? 'SIGINT'}): ${what}`
    + (kept.length ? `; the rows written are in ${kept.join(', ')}` : '') + '\n');
  return interrupts.exitCode;
}

function loadMarket(path: string): ResolvedMarket {
  return parseMarket(readInput(path, '--market'), path === '-' ? 'stdin' : path);
}

function parseThreads(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(v)) throw new UsageError(`--threads: expected a whole number >= 1, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n > maxThreads()) {
    throw new UsageError(`--threads: at most ${maxThreads()} (${MAX_THREADS_PER_CORE} per core; this machine has ${availableParallelism()}), got ${v}`);
  }
  return n;
}

function inputFormat(v: string | undefined): 'csv' | 'ndjson' | undefined {
  if (v === undefined) return undefined;
  if (v !== 'csv' && v !== 'ndjson') throw new UsageError(`--input-format: expected csv or ndjson, got ${JSON.stringify(v)}`);
  return v;
}

function makeModel(market: ResolvedMarket, method: Method, preset: string | undefined, gridFile?: string,
  extra: { historyPath?: string; stress?: StressSpec; allocation?: boolean } = {}): MarginModel {
  if (method === 'grid' && gridFile && !extra.stress && !extra.allocation) {
    return createGridModel(market, { grid: loadGridFile(gridFile, market) });
  }
  if (method === 'grid' && !extra.stress && !extra.allocation) {
    return createGridModel(market, { grid: preset ? loadPreset(preset, market) : undefined });
  }
  if (method === 'es' && !preset && !extra.stress && !extra.allocation) return createEsModel(market);
  const spec = gridFile ? loadGridFile(gridFile, market) : preset ? loadMethodPreset(method, preset, market) : undefined;
  let history: string | undefined;
  if (method === 'fhs') history = readInput(extra.historyPath!, '--history');
  return createMarginModel(market, {
    method, grid: method === 'grid' ? spec as GridSpec : undefined, es: method === 'es' ? spec as EsSpec : undefined,
    fhs: method === 'fhs' ? spec as FhsSpec : undefined,
    history: history === undefined ? undefined : parseHistoryCsv(history, extra.historyPath === '-' ? 'stdin' : extra.historyPath),
    stress: extra.stress, allocation: extra.allocation,
  });
}

function loadStress(path: string, market: ResolvedMarket): StressSpec {
  const source = path === '-' ? 'stdin' : path;
  return validateStress(readJson(readInput(path, '--stress'), source), source, '', market);
}

/** The output options of run and value. */
const OUT_OPTIONS = { out: { type: 'string' }, format: { type: 'string' }, 'csv-raw': { type: 'boolean' } } as const;

async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      market: { type: 'string' }, portfolios: { type: 'string' }, method: { type: 'string', default: 'grid' },
      preset: { type: 'string' }, threads: { type: 'string' }, grid: { type: 'string' },
      history: { type: 'string' }, stress: { type: 'string' }, allocation: { type: 'boolean' }, 'input-format': { type: 'string' },
      ...OUT_OPTIONS,
    },
  });
  if (!values.market) throw new UsageError('run: --market FILE is required');
  if (values.grid && values.preset) throw new UsageError('--grid: give --preset or --grid, not both');
  if (values.grid && values.method !== 'grid') throw new UsageError('--grid: a grid file applies to --method grid');
  if (!values.portfolios) throw new UsageError('run: --portfolios FILE is required');
  const method = values.method as Method;
  if (method !== 'grid' && method !== 'es' && method !== 'fhs') {
    throw new UsageError(`--method: expected grid, es or fhs, got ${JSON.stringify(values.method)}`);
  }
  if (method === 'fhs' && !values.history) throw new UsageError('--method fhs needs --history FILE (CSV date,underlying,price)');
  if (values.history && method !== 'fhs') throw new UsageError('--history: a price history applies to --method fhs');
  const inFormat = inputFormat(values['input-format']);
  const stdin = [values.market, values.portfolios, values.history, values.stress].filter((v) => v === '-').length;
  if (stdin > 1 && (values.history === '-' || values.stress === '-')) throw new UsageError('only one of --market, --portfolios, --history and --stress can read standard input');
  const threads = parseThreads(values.threads);
  if (values.market === '-' && values.portfolios === '-') throw new UsageError('--market and --portfolios cannot both read standard input');
  const out = OutputTarget.open('--out', values.out, [
    { flag: '--market', path: values.market }, { flag: '--portfolios', path: values.portfolios }, { flag: '--history', path: values.history },
    { flag: '--stress', path: values.stress }, { flag: '--grid', path: values.grid },
  ]);
  const raw = values['csv-raw'] === true;
  try {
    const format = outputFormat(values.out, values.format);
    if (values.allocation && format !== 'ndjson') {
      throw new UsageError('--allocation: the per-position breakdown is written in NDJSON; use --out FILE.ndjson or --format ndjson');
    }
    const market = loadMarket(values.market);
    const stress = values.stress ? loadStress(values.stress, market) : market.risk.stress;
    if (stress === undefined && !values.allocation && (method === 'grid' || method === 'es')) {
      // The batch engine: streamed input and output, --threads workers (src/batch/cli-run.ts).
      const spec = values.grid ? loadGridFile(values.grid, market) : values.preset ? loadMethodPreset(method, values.preset, market) : undefined;
      return await runStreaming({
        market, method, grid: method === 'grid' ? spec as GridSpec | undefined : undefined, es: method === 'es' ? spec as EsSpec | undefined : undefined,
        portfolios: values.portfolios, inputFormat: inFormat, output: out, format, csvRaw: raw, threads, interrupts,
      });
    }
    if ((threads ?? 1) > 1) {
      const why = method === 'fhs' ? '--method fhs' : stress !== undefined ? 'stress scenarios' : '--allocation';
      process.stderr.write(`margin-engine: warning: --threads ${values.threads} is ignored: runs with ${why} are margined in-process, on one thread\n`);
    }
    const model = makeModel(market, method, values.preset, values.grid,
      { historyPath: values.history, stress, allocation: values.allocation });
    let text: Uint8Array;
    try { text = readInputBytes(values.portfolios, '--portfolios'); } catch (e) { throw Object.assign(e as Error, { exit: 1 }); }
    let portfolios;
    const source = values.portfolios === '-' ? 'stdin' : values.portfolios;
    try {
      const nd = inFormat === undefined ? isNdjsonName(source) : inFormat === 'ndjson';
      const warn = { onWarning: (w: string) => { process.stderr.write(`margin-engine: warning: ${w}\n`); } };
      portfolios = nd ? parsePortfoliosNdjson(text, source, warn) : parsePortfoliosCsv(text, source, warn);
    } catch (e) {
      throw Object.assign(e as Error, { exit: 1 });
    }
    // In chunks, yielding to the event loop between them, so that a signal stops the run with the
    // rows of the portfolios margined so far (the results are those of one marginAll call).
    const { results, stopped } = await chunkedMap(portfolios, (chunk) => model.marginAll(chunk), interrupts.signal);
    const opts = { stress: stress !== undefined, currency: market.currency, raw };
    out.write(formatResults(results, method, format, opts));
    if (stopped || interrupts.received) {
      const next = portfolios[results.length]?.id;
      return interrupted([out], `wrote ${results.length} portfolios` + (results.length ? ` (the last ${JSON.stringify(results[results.length - 1].portfolio)})` : '')
        + (next !== undefined ? `; ${JSON.stringify(next)} and the portfolios after it were not margined` : ''));
    }
    await out.commit();
    const errors = results.filter((r) => !r.ok).length;
    if (errors > 0) process.stderr.write(`margin-engine: ${results.length} portfolios, ${errors} with errors\n`);
    return 0;
  } catch (e) {
    throw out.failed ?? e;
  } finally {
    out.discard();
  }
}

async function value(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { market: { type: 'string' }, ...OUT_OPTIONS } });
  if (!values.market) throw new UsageError('value: --market FILE is required');
  const out = OutputTarget.open('--out', values.out, [{ flag: '--market', path: values.market }]);
  try {
    const format = outputFormat(values.out, values.format);
    const market = loadMarket(values.market);
    out.write(formatValuations(valueMarket(market), format, { raw: values['csv-raw'] === true }));
    if (interrupts.received) return interrupted([out], `valued ${market.instruments.ids.length} instruments`);
    await out.commit();
    return 0;
  } catch (e) {
    throw out.failed ?? e;
  } finally {
    out.discard();
  }
}

async function demo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: { portfolios: { type: 'string', default: '10000' }, 'out-dir': { type: 'string', default: 'out' }, 'csv-raw': { type: 'boolean' } },
  });
  const count = Number(values.portfolios);
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--portfolios: expected a whole number >= 1, got ${JSON.stringify(values.portfolios)}`);
  const { generateBook } = await import('./demo/book.js');
  const dir = values['out-dir']!;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`--out-dir ${dir}: cannot be made (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const bookPath = join(dir, 'book.csv');
  const outPath = join(dir, 'results.csv');
  const bookOut = OutputTarget.open('--out-dir', bookPath);
  const out = OutputTarget.open('--out-dir', outPath);
  try {
    const marketPath = packageFile('examples', 'market.json');
    const t0 = performance.now();
    const marketText = readFileSync(marketPath, 'utf8');
    const market = parseMarket(marketText, 'examples/market.json');
    const bookText = generateBook(JSON.parse(marketText), { portfolios: count, seed: 1 });
    bookOut.write(bookText);
    await bookOut.commit();
    const t1 = performance.now();
    const model = createGridModel(market);
    const t2 = performance.now();
    const portfolios = parsePortfolios(bookText, bookPath);
    const t3 = performance.now();
    const { results, stopped } = await chunkedMap(portfolios, (chunk) => model.marginAll(chunk), interrupts.signal, 256);
    const t4 = performance.now();
    out.write(formatResults(results, 'grid', 'csv', { currency: market.currency, raw: values['csv-raw'] === true }));
    if (stopped || interrupts.received) return interrupted([out], `margined ${results.length} of ${portfolios.length} portfolios`);
    await out.commit();
    const t5 = performance.now();
    printSummary(market, results, { positions: portfolios.reduce((n: number, p) => n + (p.positions?.length ?? 0), 0), bookPath, outPath,
      times: { generate: t1 - t0, cube: t2 - t1, parse: t3 - t2, margin: t4 - t3, write: t5 - t4, total: t5 - t0 },
      cube: `${model.cube.nInstruments} instruments x ${model.cube.nScen} scenarios` });
    return 0;
  } catch (e) {
    throw bookOut.failed ?? out.failed ?? e;
  } finally {
    bookOut.discard();
    out.discard();
  }
}

function printSummary(market: ResolvedMarket, results: MarginResult[], info: {
  positions: number; bookPath: string; outPath: string; cube: string; times: Record<string, number>;
}): void {
  const ok = results.filter((r) => r.ok);
  const total = ok.reduce((s, r) => s + (r.ok ? r.initialMargin : 0), 0);
  const money = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const lines = [
    `margin-engine demo: grid margin on examples/market.json (${market.instruments.ids.length} instruments, ${market.underlyings.ids.length} underlyings)`,
    `  portfolios      ${results.length} (${info.positions} positions), ${ok.length} ok, ${results.length - ok.length} errors`,
    `  cube            ${info.cube}`,
    `  total initial margin  ${money(total)} ${market.currency}`,
    `  largest requirements:`,
    ...[...ok].sort((a, b) => (b.ok ? b.initialMargin : 0) - (a.ok ? a.initialMargin : 0)).slice(0, 5)
      .map((r) => `    ${r.portfolio.padEnd(12)} ${money(r.ok ? r.initialMargin : 0).padStart(16)} ${market.currency}`),
    `  time            generate book ${ms(info.times.generate)}, cube ${ms(info.times.cube)}, parse ${ms(info.times.parse)}, ` +
      `margin ${ms(info.times.margin)}, write ${ms(info.times.write)}; total ${ms(info.times.total)}`,
    `  book            ${info.bookPath}`,
    `  results         ${info.outPath}`,
  ];
  const stdout = OutputTarget.stdout();
  stdout.write(lines.join('\n') + '\n');
}

/** The signals that stop the command running (installed by main). */
const interrupts = new Interrupts();

const PARSE_ERRORS = new Set(['ERR_PARSE_ARGS_UNKNOWN_OPTION', 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE', 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL']);

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const stdout = OutputTarget.stdout();
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      const about = command === 'help' && rest[0] !== undefined ? rest[0] : undefined;
      stdout.write(help(about));
      await stdout.commit();
      return command === undefined ? 2 : 0;
    }
    if (command === '-v' || command === '-V' || command === '--version') { stdout.write(`${VERSION}\n`); await stdout.commit(); return 0; }
    const known = (COMMANDS as readonly string[]).includes(command);
    if (known && (rest.includes('-h') || rest.includes('--help'))) { stdout.write(help(command)); await stdout.commit(); return 0; }
    interrupts.install();
    const commands: Record<string, (a: string[]) => Promise<number>> = {
      run, value, demo, accounts: (a) => accountsCommand(a, interrupts), replay: (a) => replayCommand(a, interrupts),
      calibrate: (a) => calibrateCommand(a, interrupts),
    };
    if (!known) {
      throw new UsageError(`unknown command ${JSON.stringify(command)}; expected run, value, demo, calibrate, accounts or replay (see --help)`);
    }
    const code = await commands[command](rest);
    await stdout.commit();
    return code;
  } catch (e) {
    if (e instanceof OutputError && e.quiet) return e.exit;
    const err = e as Error & { code?: string; exit?: number };
    let message = oneLine(err.message);
    if (typeof err.code === 'string' && PARSE_ERRORS.has(err.code)) {
      message = `${message.replace(/\.$/, '')} (see margin-engine ${command !== undefined && (COMMANDS as readonly string[]).includes(command) ? `${command} ` : ''}--help)`;
    }
    process.stderr.write(`margin-engine: ${message}\n`);
    if (err.exit !== undefined) return err.exit;
    if (err instanceof UsageError || (typeof err.code === 'string' && PARSE_ERRORS.has(err.code))) return 2;
    if (isInputError(e)) return 2;
    return 1;
  } finally {
    interrupts.uninstall();
  }
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').trim();
}

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
