/**
 * `margin-engine backtest`: the hypothetical backtest of current positions over a price history
 * (docs/backtesting.md §5); the backtest itself is src/backtest/run.ts, this file reads the
 * arguments and files and writes the outputs. Every bad argument or file is an error naming the
 * flag or file (exit 2); the outputs are written only when the run ends well.
 */
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { resolveMarket } from '../market/load.js';
import { isObject, own, readJson } from '../market/validate.js';
import { validateStress } from '../market/stress-spec.js';
import { loadMethodPreset } from '../presets.js';
import { parseHistoryCsv } from '../history/parse.js';
import { parsePortfolios } from '../portfolio/read.js';
import { OutputTarget, UsageError } from '../io/target.js';
import type { OutputFormat } from '../io/output.js';
import type { Interrupts } from '../io/signals.js';
import type { GridSource } from '../dim/calibrate.js';
import type { EsSpec, FhsSpec, GridSpec } from '../market/types.js';
import type { Method } from '../results.js';
import { runBacktest, type BacktestOptions } from '../backtest/run.js';
import { formatBacktest, timelineChunks } from '../backtest/format.js';
import { OUT_OPTIONS, OUTPUT_OPTIONS_TEXT } from './args.js';
import { isDevice, outputFormat } from './outputs.js';
import { gridSourceFromFile, readBytes, readInputFile } from './inputs.js';

export const BACKTEST_HELP = `Usage:
  margin-engine backtest --market FILE --portfolios FILE --history FILE [--method grid|es|fhs]
                    [--preset NAME | --grid FILE] [--stress FILE] [--from DATE] [--to DATE]
                    [--coverage P] [--step N] [--recalibrate] [--timeline FILE] [--threads N]
                    [--out FILE] [--format csv|ndjson] [--csv-raw]

Backtests the margin of today's portfolios (--portfolios) on today's market (--market) over the
dates of --history: on each backtest date t, the margin M_t with the model as it stood at t (fhs:
scenarios from the history up to t; grid and es: the market's parameters, or with --recalibrate
the calibration at t) against the realized loss L_t of the portfolio under the moves from t to h
history dates later (h: the method's horizonDays, 1 for a grid with horizonDays 0); an exceedance
is L_t > M_t. Writes one row per portfolio, then BOOK (every portfolio-date pooled):
portfolio,method,observations,exceedances,expected,rate,kupiec_lr,kupiec_p,christoffersen_lr,
christoffersen_p,cc_lr,cc_p,zone,worst_shortfall,worst_date,mean_cover,peak_to_trough,max_rise_1,
max_rise_30,status,error. Zones: green when P(X <= x) < 0.95, yellow below 0.9999, else red.
See docs/backtesting.md.

Options:
  --market FILE         market snapshot (JSON). Required
  --portfolios FILE     portfolios, CSV "portfolio,instrument,quantity" or NDJSON (.ndjson/.jsonl). Required
  --history FILE        price history, CSV date,underlying,price: every underlying the book holds. Required
  --method M            grid, es or fhs (default grid)
  --preset NAME         a shipped preset of the method instead of the market's risk block (grid:
                        \${presets}; es: \${es-presets}; fhs: \${fhs-presets})
  --grid FILE           grid only: the grid block of FILE (or a market file's risk.grid)
  --stress FILE         named stress scenarios (JSON stress block): with "floor": true the margin
                        backtested is the floored one (default: the market's risk.stress, if any)
  --from DATE           first backtest date, YYYY-MM-DD (default: the first date the model can be
                        built on: fhs needs its seed, horizon and look-back before it)
  --to DATE             last backtest date (default: the last date with h history dates after it)
  --coverage P          coverage level; the nominal exceedance rate is 1 - P (default: the method's
                        confidence; grid 0.99)
  --step N              use every N-th backtest date (default 1; below h the loss windows overlap
                        and a warning says the tests' independence assumption does not hold)
  --recalibrate         grid: scan ranges of each date from the dynamic initial margin calibration
                        on the history up to it (calibrate's defaults); es: each underlying's vol
                        from its EWMA volatility at the date (lambda 0.94, 20-return seed,
                        annualised by calendar days). Default off (the market's parameters)
  --timeline FILE       also write portfolio,date,margin,loss,exceedance for every portfolio-date
                        (CSV, or NDJSON for .ndjson/.jsonl)
  --threads N           worker threads for fhs and --recalibrate, which build a model per date
                        (default 1: in-process; the same numbers whatever N)
${OUTPUT_OPTIONS_TEXT}`;

function wholeNumber(v: string | undefined, flag: string, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(v) || Number(v) > max) throw new UsageError(`${flag}: expected a whole number from 1 to ${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}

function probability(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!/^(0?\.[0-9]+|[0-9]+(\.[0-9]*)?)$/.test(v) || !(x > 0 && x < 1)) {
    throw new UsageError(`${flag}: expected a number strictly between 0 and 1, got ${JSON.stringify(v)}`);
  }
  return x;
}

/** --timeline's format: from its extension (.csv; .ndjson, .jsonl); standard output and a device CSV; another extension an error. */
function timelineFormatOf(path: string | undefined): OutputFormat {
  if (path === undefined || path === '-') return 'csv';
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.(ndjson|jsonl)$/i.test(path)) return 'ndjson';
  if (isDevice(path)) return 'csv';
  throw new UsageError(`--timeline ${path}: the extension is neither .csv nor .ndjson or .jsonl; name the file so`);
}

/** `margin-engine backtest`; returns the exit status (errors are thrown, main maps them to 2 or 1). */
export async function backtestCommand(argv: string[], interrupts: Interrupts): Promise<number> {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      market: { type: 'string' }, portfolios: { type: 'string' }, history: { type: 'string' }, method: { type: 'string', default: 'grid' },
      preset: { type: 'string' }, grid: { type: 'string' }, stress: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
      coverage: { type: 'string' }, step: { type: 'string' }, recalibrate: { type: 'boolean' }, timeline: { type: 'string' },
      threads: { type: 'string' }, ...OUT_OPTIONS,
    },
  });
  for (const f of ['market', 'portfolios', 'history'] as const) if (!values[f]) throw new UsageError(`backtest: --${f} FILE is required`);
  const method = values.method as Method;
  if (method !== 'grid' && method !== 'es' && method !== 'fhs') throw new UsageError(`--method: expected grid, es or fhs, got ${JSON.stringify(values.method)}`);
  if (values.grid && values.preset) throw new UsageError('--grid: give --preset or --grid, not both');
  if (values.grid && method !== 'grid') throw new UsageError('--grid: a grid file applies to --method grid');
  if (values.recalibrate && method === 'fhs') throw new UsageError('--recalibrate: fhs always rebuilds its scenarios from the history up to each date; --recalibrate is for grid and es');
  const stdin = [values.market, values.portfolios, values.history, values.stress, values.grid].filter((v) => v === '-').length;
  if (stdin > 1) throw new UsageError('only one of --market, --portfolios, --history, --stress and --grid can read standard input');
  const step = wholeNumber(values.step, '--step', 1_000_000);
  const threads = wholeNumber(values.threads, '--threads', Math.max(1, 4 * availableParallelism()));
  const coverage = probability(values.coverage, '--coverage');
  const inputs = [
    { flag: '--market', path: values.market }, { flag: '--portfolios', path: values.portfolios }, { flag: '--history', path: values.history },
    { flag: '--stress', path: values.stress }, { flag: '--grid', path: values.grid },
  ];
  if (values.timeline === '-' && (values.out === undefined || values.out === '-')) {
    throw new UsageError('--timeline -: standard output already takes the statistics; give --out FILE or a --timeline FILE');
  }
  timelineFormatOf(values.timeline);
  const out = OutputTarget.open('--out', values.out, inputs);
  const timeline = values.timeline !== undefined ? OutputTarget.open('--timeline', values.timeline, [...inputs, { flag: '--out', path: values.out }]) : undefined;
  try {
    const format = outputFormat(values.out, values.format);
    const timelineFormat = timelineFormatOf(values.timeline);
    const marketSource = values.market === '-' ? 'stdin' : values.market!;
    const marketJson = readJson(readInputFile(values.market!, '--market'), marketSource);
    const market = resolveMarket(marketJson, marketSource);
    const spec = values.preset ? loadMethodPreset(method, values.preset, market) : undefined;
    let gridBase: GridSource | undefined;
    let grid: unknown = method === 'grid' ? spec : undefined;
    if (values.grid) {
      gridBase = gridSourceFromFile(values.grid, '--grid');
      grid = gridBase.raw;
    } else if (method === 'grid' && !spec) {
      const risk = isObject(marketJson) ? own(marketJson, 'risk') : undefined;
      const g = isObject(risk) ? own(risk, 'grid') : undefined;
      if (g !== undefined) gridBase = { raw: g, source: marketSource, path: 'risk.grid' };
    }
    const stress = values.stress
      ? validateStress(readJson(readInputFile(values.stress, '--stress'), values.stress), values.stress, '', market) : undefined;
    const historySource = values.history === '-' ? 'stdin' : values.history!;
    const history = parseHistoryCsv(readInputFile(values.history!, '--history'), historySource);
    const portfoliosSource = values.portfolios === '-' ? 'stdin' : values.portfolios!;
    const portfolios = parsePortfolios(readBytes(values.portfolios!, '--portfolios'), portfoliosSource);
    const options: BacktestOptions = {
      method, history, from: values.from, to: values.to, coverage, step, recalibrate: values.recalibrate === true, threads,
      signal: interrupts.signal, gridBase: values.recalibrate ? gridBase : undefined,
      grid: grid as GridSpec | undefined, es: method === 'es' ? spec as EsSpec | undefined : undefined,
      fhs: method === 'fhs' ? spec as FhsSpec | undefined : undefined,
      ...(stress ? { stress } : {}),
    };
    const stopped = () => {
      process.stderr.write(`margin-engine: interrupted (${interrupts.received}): the backtest was stopped; nothing was written\n`);
      return interrupts.exitCode;
    };
    let report;
    try {
      report = await runBacktest(market, portfolios, options);
    } catch (e) {
      if ((e as Error).name === 'AbortError' && interrupts.received) return stopped();
      throw e;
    }
    // The run ends here if a signal came while it computed (the pool's last task may have finished
    // first); the outputs are written in one synchronous step, which no signal interrupts.
    if (interrupts.received) return stopped();
    for (const w of report.warnings) process.stderr.write(`margin-engine: warning: ${w}\n`);
    const raw = values['csv-raw'] === true;
    out.write(formatBacktest(report, format, { raw }));
    if (timeline) for (const chunk of timelineChunks(report, timelineFormat, { raw })) timeline.write(chunk);
    if (timeline) await timeline.commit();
    await out.commit();
    return 0;
  } catch (e) {
    throw out.failed ?? timeline?.failed ?? e;
  } finally {
    out.discard();
    timeline?.discard();
  }
}
