/**
 * `margin-engine run`: its arguments and help, and how it reads the portfolios and writes the
 * rows. Every run (grid, es, fhs; with or without stress scenarios and allocation) goes through
 * the batch engine over a stream (runStreaming): the input is read and the output written as
 * streams (memory flat whatever the file size), on `--threads N` workers (1: in-process, same
 * results), with progress on standard error when it is a terminal and nothing there otherwise but
 * warnings and the error summary.
 * SIGINT, SIGTERM and SIGHUP stop a run cleanly (io/signals.ts): rows already computed are written
 * (a file output is kept as NAME.partial), standard error says where the run stopped, and the exit
 * status is 128 + the signal's number (130, 143, 129; a second signal exits at once).
 */
import { parseArgs } from 'node:util';
import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { isNdjsonName } from '../portfolio/read.js';
import { loadMethodPreset } from '../presets.js';
import type { MethodOptions } from '../models/setup.js';
import { validateStress } from '../market/stress-spec.js';
import { parseHistoryCsv } from '../history/parse.js';
import { readJson } from '../market/validate.js';
import type { EsSpec, FhsSpec, GridSpec, ResolvedMarket, StressSpec } from '../market/types.js';
import type { OutputFormat } from '../io/output.js';
import { OutputTarget, UsageError } from '../io/target.js';
import type { Interrupts } from '../io/signals.js';
import { MAX_THREADS_PER_CORE, createBatchEngine, maxThreads, type BatchFile, type BatchMethod, type BatchProgress } from '../batch/engine.js';
import type { Method } from '../results.js';
import { OUT_OPTIONS, OUTPUT_OPTIONS_TEXT } from './args.js';
import { outputFormat } from './outputs.js';
import { loadGridFile, loadMarket, readText } from './inputs.js';

/** The command's help section (usage, what it does, every option with its default). */
export const RUN_HELP = `Usage:
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
  --history FILE        fhs only, required: price history, CSV date,underlying,price[,vol]
  --stress FILE         named stress scenarios (JSON stress block), for any method (default: the
                        market's risk.stress, if any). Adds stress_loss,stress_scenario; with
                        "floor": true the initial margin is at least cover x the worst stress loss
  --allocation          each position's share of the initial margin (Euler allocation), as an
                        "allocation" list on each NDJSON line (default off; needs NDJSON output)
${OUTPUT_OPTIONS_TEXT}
  --threads N           worker threads, 1 to 4 x the number of cores (default: the number of cores;
                        1 runs in-process); every method, with or without --stress and --allocation`;

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

function loadStress(path: string, market: ResolvedMarket): StressSpec {
  const source = path === '-' ? 'stdin' : path;
  return validateStress(readJson(readText(path, '--stress'), source), source, '', market);
}

/** `margin-engine run`; returns the exit status (errors are thrown, main maps them to 2 or 1). */
export async function run(argv: string[], interrupts: Interrupts): Promise<number> {
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
    const spec = values.grid ? loadGridFile(values.grid, market) : values.preset ? loadMethodPreset(method, values.preset, market) : undefined;
    const history = method === 'fhs'
      ? parseHistoryCsv(readText(values.history!, '--history'), values.history === '-' ? 'stdin' : values.history) : undefined;
    // Every method through the batch engine: streamed input and output, --threads workers.
    return await runStreaming({
      market, method, portfolios: values.portfolios, inputFormat: inFormat, output: out, format, csvRaw: raw, threads, interrupts,
      grid: method === 'grid' ? spec as GridSpec | undefined : undefined,
      es: method === 'es' ? spec as EsSpec | undefined : undefined,
      fhs: method === 'fhs' ? spec as FhsSpec | undefined : undefined,
      history, stress: stress ?? null, allocation: values.allocation === true,
    });
  } catch (e) {
    throw out.failed ?? e;
  } finally {
    out.discard();
  }
}

export interface StreamingRunOptions extends MethodOptions {
  market: ResolvedMarket;
  method: BatchMethod;
  /** The --portfolios argument ("-": standard input). */
  portfolios: string;
  /** Input format of the portfolios (default: from the name, .ndjson/.jsonl NDJSON, else CSV). */
  inputFormat?: 'csv' | 'ndjson';
  /** The output, opened before any work; committed here when the run ends well. */
  output: OutputTarget;
  format: OutputFormat;
  /** Write CSV text fields without the formula guard. */
  csvRaw?: boolean;
  threads?: number;
  /** The signals that stop the run. */
  interrupts: Interrupts;
  /** Where progress and diagnostics go (standard error). */
  stderr?: NodeJS.WriteStream;
}

/**
 * Opens --portfolios for reading before any work, so a missing file fails at once. A regular file
 * is given to the engine by path (it reads it twice: the first pass checks that portfolios are
 * contiguous); standard input and other streams (a FIFO) are spooled by the engine to a temporary
 * file in os.tmpdir(), removed when the run ends.
 */
export function openPortfolios(path: string): { stream: Readable | BatchFile; size?: number; source: string } {
  if (path === '-') return { stream: process.stdin, source: 'stdin' };
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw Object.assign(new Error(`--portfolios ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`), { exit: 1 });
  }
  const st = fstatSync(fd);
  if (st.isFile()) {
    closeSync(fd);
    return { stream: { path }, size: st.size, source: path };
  }
  return { stream: createReadStream('', { fd, highWaterMark: 1 << 20 }), source: path };
}

/** Runs the batch engine from the CLI; returns the exit status. */
export async function runStreaming(o: StreamingRunOptions): Promise<number> {
  const stderr = o.stderr ?? process.stderr;
  const input = openPortfolios(o.portfolios);
  const engine = await createBatchEngine({
    market: o.market, method: o.method, grid: o.grid, es: o.es, fhs: o.fhs, history: o.history, stress: o.stress, allocation: o.allocation,
    threads: o.threads,
  });
  const tty = stderr.isTTY === true;
  let shown = false;
  try {
    const summary = await engine.run(input.stream, o.output.stream(), {
      format: o.format, source: input.source, totalBytes: input.size, signal: o.interrupts.signal, csvRaw: o.csvRaw, currency: true,
      inputFormat: o.inputFormat ?? (isNdjsonName(input.source) ? 'ndjson' : 'csv'),
      onProgress: tty ? (p) => { stderr.write(`\r\x1b[K${progressLine(p)}`); shown = true; } : undefined,
      onWarning: (w) => { stderr.write(`${shown ? '\r\x1b[K' : ''}margin-engine: warning: ${w}\n`); },
    });
    if (shown) stderr.write('\r\x1b[K');
    if (summary.stoppedAt) {
      const at = summary.stoppedAt;
      const partial = o.output.keepPartial();
      stderr.write(`margin-engine: interrupted (${o.interrupts.received ?? 'SIGINT'}): wrote ${at.portfolios} portfolios` +
        (at.lastPortfolio !== undefined ? ` (the last ${JSON.stringify(at.lastPortfolio)})` : '') +
        (at.nextPortfolio !== undefined ? `; ${JSON.stringify(at.nextPortfolio)} and the portfolios after it were not margined` : '; the rest was not margined') +
        ` (stopped after ${at.bytes} bytes of input)` + (partial ? `; the rows written are in ${partial}` : '') + '\n');
      return o.interrupts.exitCode;
    }
    await o.output.commit();
    if (summary.errors > 0) stderr.write(`margin-engine: ${summary.portfolios} portfolios, ${summary.errors} with errors\n`);
    return 0;
  } catch (e) {
    if (shown) stderr.write('\r\x1b[K');
    if (o.output.failed) throw o.output.failed;
    const written = (e as { written?: number }).written;
    if (written !== undefined) {
      throw Object.assign(e as Error, { exit: 1, message: `${(e as Error).message} (the rows of the ${written} portfolios before it were margined; ${o.output.path === undefined ? 'they are written' : 'the output is not written'})` });
    }
    throw Object.assign(e as Error, { exit: (e as { exit?: number }).exit ?? 1 });
  } finally {
    await engine.close();
  }
}

/**
 * One progress line: portfolios margined, their rate (positions/s), the share of the run done and
 * the time left, both from the work done (BatchProgress.fraction, etaMs).
 */
export function progressLine(p: BatchProgress): string {
  const s = p.elapsedMs / 1000;
  const rate = s > 0 ? p.marginedPositions / s : 0;
  let line = `margin-engine: ${p.margined.toLocaleString('en-US')} portfolios done, ${fmtRate(rate)} positions/s`;
  if (p.fraction !== undefined) line += `, ${Math.floor(100 * p.fraction)}%`;
  if (p.etaMs !== undefined) line += `, ETA ${fmtTime(p.etaMs / 1000)}`;
  return line;
}

function fmtRate(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(0);
}

function fmtTime(s: number): string {
  const m = Math.floor(s / 60), r = Math.round(s % 60);
  return m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}
