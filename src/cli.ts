#!/usr/bin/env node
/**
 * The command line (contract section 6). Exit status: 0 when the run completed (even with error
 * rows), 2 for an unusable market file or arguments, 130 for a run stopped by SIGINT (the rows
 * computed before it are written), 1 for anything else.
 */
import { parseArgs } from 'node:util';
import { closeSync, mkdirSync, openSync, readFileSync, realpathSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isInputError } from './errors.js';
import { parseMarket } from './market/load.js';
import { parsePortfolios } from './portfolio/parse.js';
import { createGridModel } from './grid/model.js';
import { createEsModel } from './es/model.js';
import { loadMethodPreset, loadPreset, methodPresetNames, presetNames } from './presets.js';
import { createMarginModel } from './stress/model.js';
import { validateStress } from './stress/spec.js';
import { parseHistoryCsv } from './history/parse.js';
import { readJson } from './market/validate.js';
import type { EsSpec, FhsSpec, GridSpec, StressSpec } from './market/types.js';
import { CALIBRATE_USAGE, calibrateCommand, loadGridFile } from './dim/command.js';
import { ACCOUNTS_HELP, ACCOUNTS_OPTIONS, ACCOUNTS_USAGE, accountsCommand, replayCommand } from './book/command.js';
import { formatFor, formatResults } from './io/output.js';
import { runStreaming } from './batch/cli-run.js';
import { formatValuations, valueMarket } from './valuation.js';
import { packageFile } from './paths.js';
import type { MarginModel } from './model.js';
import type { Method, MarginResult } from './results.js';
import type { ResolvedMarket } from './market/types.js';

const VERSION: string = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')).version;

const HELP = `margin-engine ${VERSION}: risk-based margin for portfolios of derivatives

Usage:
  margin-engine run   --market FILE --portfolios FILE [--method grid|es|fhs] [--preset NAME | --grid FILE]
                      [--history FILE] [--stress FILE] [--allocation] [--out FILE] [--threads N]
  margin-engine value --market FILE [--out FILE]
  margin-engine demo  [--portfolios N] [--out-dir DIR]
${CALIBRATE_USAGE}
${ACCOUNTS_USAGE}
  margin-engine --help | --version

Commands:
  run     Margin every portfolio of --portfolios (CSV "portfolio,instrument,quantity", or NDJSON
          when the name ends in .ndjson/.jsonl) against --market (JSON snapshot). Writes one row
          per portfolio, in input order: portfolio,method,initial_margin,maintenance_margin,
          status,error, then worst_point (grid) or var,es (es). NDJSON when --out ends in .ndjson
          (with the per-group breakdown for the grid).
  value   Value every instrument of --market: instrument,value,delta,gamma,vega,theta per contract.
  demo    The bundled example: a realistic market and a generated book of N portfolios (default
          10000), margined with the grid; prints a summary and writes DIR/results.csv (default out/).
  calibrate  Dynamic initial margin: scan ranges from --history (CSV date,underlying,price): per
          underlying k x EWMA sigma x sqrt(mpor days), optionally an EMIR anti-procyclicality
          option (--apc), set into the base grid (default the market's risk.grid). Writes the grid
          block (--out, default standard output; read it back with run --grid) and a report of
          what changed and why (--report FILE, .json for JSON; default standard error).
          --market-out FILE writes the market with the new grid (and, with --refresh-vol, the
          underlyings' vols from the calibrated sigmas).
${ACCOUNTS_HELP}

Options:
  --market FILE      market snapshot (JSON); - reads standard input
  --portfolios FILE  portfolios (CSV or NDJSON, UTF-8; limits in the README); - reads standard input
${ACCOUNTS_OPTIONS}
  --method M         grid (default), es or fhs; the market's risk block for it (or --preset)
                     must exist
  --preset NAME      use a shipped preset of the method instead of the market's risk block
                     (grid: ${'${presets}'}; es: ${'${es-presets}'}; fhs: ${'${fhs-presets}'})
  --history FILE     fhs only (required): price history, CSV date,underlying,price
  --stress FILE      named stress scenarios (JSON stress block), for any method; replaces the
                     market's risk.stress. Adds the columns stress_loss,stress_scenario; with
                     "floor": true the initial margin is at least cover x the worst stress loss
  --allocation       each position's share of the initial margin (Euler allocation), written
                     as an "allocation" list on each NDJSON line; needs --out FILE.ndjson
  --grid FILE        grid only: use the grid block of FILE (as written by calibrate, or a
                     market's risk.grid) instead of the market's risk.grid
  --out FILE         output file; - or absent: standard output
  --threads N        worker threads (default: number of cores; 1 runs in-process)
  -h, --help         this text
  -v, --version      the version

Exit status: 0 the run completed (even with error rows), 2 unusable market file or arguments,
130 interrupted (SIGINT: the rows computed are written, standard error says where it stopped),
1 anything else. Progress (when standard error is a terminal) and diagnostics go to standard error.
`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function help(): string {
  let names = '';
  let es = '', fhs = '';
  try {
    names = presetNames().join(', ');
    es = methodPresetNames('es').join(', ');
    fhs = methodPresetNames('fhs').join(', ');
  } catch { names = 'none found'; }
  return HELP.replace('${presets}', names).replace('${es-presets}', es || 'none').replace('${fhs-presets}', fhs || 'none');
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

/** Opens the output before any work, so an unwritable path fails at once. */
function openOutput(path: string | undefined): { write(s: string): void; close(): void; fd?: number } {
  if (!path || path === '-') return { write: (s) => { process.stdout.write(s); }, close: () => {} };
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw new UsageError(`--out ${path}: cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return { write: (s) => { writeSync(fd, s); }, close: () => closeSync(fd), fd };
}

function loadMarket(path: string): ResolvedMarket {
  return parseMarket(readInput(path, '--market'), path === '-' ? 'stdin' : path);
}

function parseThreads(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(v)) throw new UsageError(`--threads: expected a whole number >= 1, got ${JSON.stringify(v)}`);
  return Number(v);
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

async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      market: { type: 'string' }, portfolios: { type: 'string' }, method: { type: 'string', default: 'grid' },
      preset: { type: 'string' }, out: { type: 'string' }, threads: { type: 'string' }, grid: { type: 'string' },
      history: { type: 'string' }, stress: { type: 'string' }, allocation: { type: 'boolean' },
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
  if (values.allocation && formatFor(values.out) !== 'ndjson') {
    throw new UsageError('--allocation: the per-position breakdown is written in NDJSON; use --out FILE.ndjson');
  }
  const stdin = [values.market, values.portfolios, values.history, values.stress].filter((v) => v === '-').length;
  if (stdin > 1 && (values.history === '-' || values.stress === '-')) throw new UsageError('only one of --market, --portfolios, --history and --stress can read standard input');
  parseThreads(values.threads);
  if (values.market === '-' && values.portfolios === '-') throw new UsageError('--market and --portfolios cannot both read standard input');
  const out = openOutput(values.out);
  try {
    const market = loadMarket(values.market);
    const stress = values.stress ? loadStress(values.stress, market) : market.risk.stress;
    if (stress === undefined && !values.allocation && (method === 'grid' || method === 'es')) {
      // The batch engine: streamed input and output, --threads workers (src/batch/cli-run.ts).
      const spec = values.grid ? loadGridFile(values.grid, market) : values.preset ? loadMethodPreset(method, values.preset, market) : undefined;
      return await runStreaming({
        market, method, grid: method === 'grid' ? spec as GridSpec | undefined : undefined, es: method === 'es' ? spec as EsSpec | undefined : undefined,
        portfolios: values.portfolios, outFd: out.fd, format: formatFor(values.out), threads: parseThreads(values.threads),
      });
    }
    if ((parseThreads(values.threads) ?? 1) > 1) {
      const why = method === 'fhs' ? '--method fhs' : stress !== undefined ? 'stress scenarios' : '--allocation';
      process.stderr.write(`margin-engine: warning: --threads ${values.threads} is ignored: runs with ${why} are margined in-process, on one thread\n`);
    }
    const model = makeModel(market, method, values.preset, values.grid,
      { historyPath: values.history, stress, allocation: values.allocation });
    let text: Uint8Array;
    try { text = readInputBytes(values.portfolios, '--portfolios'); } catch (e) { throw Object.assign(e as Error, { exit: 1 }); }
    let portfolios;
    try {
      portfolios = parsePortfolios(text, values.portfolios === '-' ? 'stdin' : values.portfolios,
        { onWarning: (w) => { process.stderr.write(`margin-engine: warning: ${w}\n`); } });
    } catch (e) {
      throw Object.assign(e as Error, { exit: 1 });
    }
    const results = model.marginAll(portfolios);
    out.write(formatResults(results, method, formatFor(values.out), { stress: stress !== undefined }));
    const errors = results.filter((r) => !r.ok).length;
    if (errors > 0) process.stderr.write(`margin-engine: ${results.length} portfolios, ${errors} with errors\n`);
  } finally {
    out.close();
  }
  return 0;
}

async function value(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { market: { type: 'string' }, out: { type: 'string' } } });
  if (!values.market) throw new UsageError('value: --market FILE is required');
  const out = openOutput(values.out);
  try {
    const market = loadMarket(values.market);
    out.write(formatValuations(valueMarket(market), formatFor(values.out)));
  } finally {
    out.close();
  }
  return 0;
}

async function demo(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { portfolios: { type: 'string', default: '10000' }, 'out-dir': { type: 'string', default: 'out' } } });
  const count = Number(values.portfolios);
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--portfolios: expected a whole number >= 1, got ${JSON.stringify(values.portfolios)}`);
  const { generateBook } = await import('./demo/book.js');
  const dir = values['out-dir']!;
  mkdirSync(dir, { recursive: true });
  const marketPath = packageFile('examples', 'market.json');
  const t0 = performance.now();
  const marketText = readFileSync(marketPath, 'utf8');
  const market = parseMarket(marketText, 'examples/market.json');
  const bookText = generateBook(JSON.parse(marketText), { portfolios: count, seed: 1 });
  const bookPath = join(dir, 'book.csv');
  const outPath = join(dir, 'results.csv');
  mkdirSync(dirname(bookPath), { recursive: true });
  const bookOut = openOutput(bookPath); bookOut.write(bookText); bookOut.close();
  const t1 = performance.now();
  const model = createGridModel(market);
  const t2 = performance.now();
  const portfolios = parsePortfolios(bookText, bookPath);
  const t3 = performance.now();
  const results = model.marginAll(portfolios);
  const t4 = performance.now();
  const out = openOutput(outPath); out.write(formatResults(results, 'grid', 'csv')); out.close();
  const t5 = performance.now();
  printSummary(market, results, { positions: portfolios.reduce((n: number, p) => n + (p.positions?.length ?? 0), 0), bookPath, outPath,
    times: { generate: t1 - t0, cube: t2 - t1, parse: t3 - t2, margin: t4 - t3, write: t5 - t4, total: t5 - t0 },
    cube: `${model.cube.nInstruments} instruments x ${model.cube.nScen} scenarios` });
  return 0;
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
  process.stdout.write(lines.join('\n') + '\n');
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      process.stdout.write(help());
      return command === undefined ? 2 : 0;
    }
    if (command === '-v' || command === '--version') { process.stdout.write(`${VERSION}\n`); return 0; }
    if (rest.includes('-h') || rest.includes('--help')) { process.stdout.write(help()); return 0; }
    switch (command) {
      case 'run': return await run(rest);
      case 'value': return await value(rest);
      case 'demo': return await demo(rest);
      case 'calibrate': return await calibrateCommand(rest);
      case 'accounts': return await accountsCommand(rest);
      case 'replay': return await replayCommand(rest);
      default: throw new UsageError(`unknown command ${JSON.stringify(command)}; expected run, value, demo, calibrate, accounts or replay (see --help)`);
    }
  } catch (e) {
    const err = e as Error & { code?: string; exit?: number };
    process.stderr.write(`margin-engine: ${err.message}\n`);
    if (err.exit) return err.exit;
    if (err instanceof UsageError || err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
      || err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return 2;
    if (isInputError(e)) return 2;
    return 1;
  }
}

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
