/**
 * `margin-engine calibrate`: grid scan ranges from a price history (docs/dim.md); the calibration
 * itself is src/dim/calibrate.ts, this file reads the arguments and files and writes the outputs.
 *
 * Every bad argument or file is an InputError naming the flag or file and the field (exit 2).
 */
import { parseArgs } from 'node:util';
import { InputError, show } from '../errors.js';
import { resolveMarket } from '../market/load.js';
import { isObject, own, readJson } from '../market/validate.js';
import { presetJson, presetNames } from '../presets.js';
import { parseHistoryCsv } from '../history/parse.js';
import { OutputTarget } from '../io/target.js';
import type { Interrupts } from '../io/signals.js';
import {
  APC_METHODS, calibrate, calibratedMarket, formatReport, type ApcMethod, type CalibrationOptions,
  type GridSource,
} from '../dim/calibrate.js';
import { formatJson, reportJson } from '../dim/format.js';
import { gridSourceFromFile, readInputFile } from './inputs.js';

/** Usage lines of the command. */
export const CALIBRATE_USAGE = `  margin-engine calibrate --history FILE --market FILE [--base-grid PRESET|FILE] [--previous FILE]
                      [--lambda 0.94] [--k 3] [--mpor-days 2] [--apc none|buffer|stressed-weight|floor]
                      [--buffer-release 0.1] [--buffer-rebuild STEP] [--stressed-period FROM:TO]
                      [--stress-window 250] [--seed-returns 20] [--days-per-year N]
                      [--out FILE] [--report FILE] [--market-out FILE [--refresh-vol]]`;

/** The command's help section (usage, what it does, every option with its default), for the CLI. */
export const CALIBRATE_HELP = `Usage:
${CALIBRATE_USAGE}

Dynamic initial margin: scan ranges from --history, per underlying k x EWMA sigma x sqrt(mpor
days), optionally with an EMIR anti-procyclicality option (--apc), set into the base grid. Writes
the grid block (read it back with run --grid) and a report of what changed and why. See docs/dim.md.
--apc buffer writes a margin multiplier (1.25) into the grid, released while the requirement rises
by --buffer-release or more since --previous, rebuilt when it stops rising; --apc floor warns when
the history is shorter than its 10-year look-back. --refresh-vol annualises the calibrated sigmas
by calendar days, as the ES method scales them (sqrt(horizonDays / 365)): sigma x sqrt(observations
a year), the series' own 365 x returns / calendar days, or --days-per-year N.

Options:
  --history FILE        price history, CSV date,underlying,price; - reads standard input. Required
  --market FILE         market snapshot (JSON); - reads standard input. Required
  --base-grid P|FILE    the grid to calibrate: a preset name or a grid/market file (default: the
                        market's risk.grid)
  --previous FILE       the grid of the previous calibration, for --apc (default none)
  --lambda X            EWMA decay (default 0.94)
  --k X                 scan range multiplier (default 3)
  --mpor-days N         margin period of risk, days (default 2)
  --apc M               none, buffer, stressed-weight or floor (default none)
  --stressed-period FROM:TO  the stressed period, two days YYYY-MM-DD (default none)
  --stress-window N     returns in the stressed window (default 250)
  --seed-returns N      returns that seed the EWMA (default 20)
  --days-per-year N     annualisation (default: from the history; see docs/dim.md)
  --buffer-release X    --apc buffer: the rise since --previous that releases the buffer (default 0.1)
  --buffer-rebuild X    --apc buffer: the most the multiplier rebuilds a calibration (default: all at once)
  --out FILE            the grid block, JSON (default: standard output; - too)
  --report FILE         the report: text, or JSON when FILE ends in .json (default: standard error)
  --market-out FILE     also write the market with the new grid (default none)
  --refresh-vol         with --market-out: the underlyings' vols from the calibrated sigmas (default off)
  Files are written to a temporary file in the same folder and renamed into place when the
  command ends well; an output that is one of the inputs is refused.`;

/** Flag names of the calibration options, for messages. */
const FLAGS: Record<string, string> = {
  lambda: '--lambda', k: '--k', mporDays: '--mpor-days', apc: '--apc', stressedPeriod: '--stressed-period',
  stressWindow: '--stress-window', seedReturns: '--seed-returns', daysPerYear: '--days-per-year', bufferRelease: '--buffer-release',
  bufferRebuild: '--buffer-rebuild',
};
const flag = (field: string) => FLAGS[field] ?? field;

const NUMBER_RE = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** A number flag: the number, or the raw text (which the option check then reports as not a number). */
function numberFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  return (NUMBER_RE.test(v) ? Number(v) : v) as number;
}

/** `--base-grid`: a preset name, else a file. */
function baseGrid(v: string): GridSource {
  const names = presetNames();
  if (names.includes(v)) return { raw: presetJson(v), source: `presets/${v}.json`, path: '' };
  try {
    return gridSourceFromFile(v, '--base-grid');
  } catch (e) {
    if (e instanceof InputError && /cannot read/.test(e.message) && !/[/\\.]/.test(v)) {
      throw new InputError(`--base-grid: ${show(v)} is neither a preset (${names.join(', ')}) nor a readable file`, { path: '--base-grid' });
    }
    throw e;
  }
}

/** Parses `FROM:TO` (two days YYYY-MM-DD). */
function stressedPeriod(v: string | undefined): CalibrationOptions['stressedPeriod'] {
  if (v === undefined) return undefined;
  const parts = v.split(':');
  if (parts.length !== 2) {
    throw new InputError(`--stressed-period: expected FROM:TO, two days YYYY-MM-DD such as 2020-02-20:2020-04-30, got ${show(v)}`,
      { path: '--stressed-period' });
  }
  return { from: parts[0], to: parts[1] };
}

/** Runs the command; returns the exit status (errors are thrown, the CLI maps them to 2 or 1). */
export async function calibrateCommand(argv: string[], interrupts?: Interrupts): Promise<number> {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      history: { type: 'string' }, market: { type: 'string' }, 'base-grid': { type: 'string' }, previous: { type: 'string' },
      lambda: { type: 'string' }, k: { type: 'string' }, 'mpor-days': { type: 'string' }, apc: { type: 'string' },
      'stressed-period': { type: 'string' }, 'stress-window': { type: 'string' }, 'seed-returns': { type: 'string' },
      'days-per-year': { type: 'string' }, out: { type: 'string' }, report: { type: 'string' },
      'market-out': { type: 'string' }, 'refresh-vol': { type: 'boolean' }, 'buffer-release': { type: 'string' },
      'buffer-rebuild': { type: 'string' },
    },
  });
  if (!values.history) throw new InputError('calibrate: --history FILE is required (CSV date,underlying,price)', { path: '--history' });
  if (!values.market) throw new InputError('calibrate: --market FILE is required', { path: '--market' });
  if (values.history === '-' && values.market === '-') throw new InputError('--history and --market cannot both read standard input');
  if (values['refresh-vol'] && !values['market-out']) {
    throw new InputError('--refresh-vol: the refreshed vols are written into a market; give --market-out FILE', { path: '--refresh-vol' });
  }
  if (values.apc !== undefined && !APC_METHODS.includes(values.apc as ApcMethod)) {
    throw new InputError(`--apc: expected one of ${APC_METHODS.join(', ')}, got ${show(values.apc)}`, { path: '--apc' });
  }
  // Every output is opened before any work (a temporary file beside it), refused when it is an input.
  const inputs = [
    { flag: '--history', path: values.history }, { flag: '--market', path: values.market }, { flag: '--previous', path: values.previous },
    { flag: '--base-grid', path: values['base-grid'] },
  ];
  const outs: OutputTarget[] = [];
  try {
    outs.push(OutputTarget.open('--out', values.out, inputs));
    if (values['market-out']) outs.push(OutputTarget.open('--market-out', values['market-out'], inputs));
    if (values.report !== undefined) outs.push(OutputTarget.open('--report', values.report, inputs));
    return await calibrateWith({ ...values, history: values.history, market: values.market }, outs, interrupts);
  } catch (e) {
    throw outs.find((o) => o.failed)?.failed ?? e;
  } finally {
    for (const o of outs) o.discard();
  }
}

async function calibrateWith(values: {
  history: string; market: string; 'base-grid'?: string; previous?: string; lambda?: string; k?: string; 'mpor-days'?: string;
  apc?: string; 'stressed-period'?: string; 'stress-window'?: string; 'seed-returns'?: string; 'days-per-year'?: string;
  report?: string; 'market-out'?: string; 'refresh-vol'?: boolean; 'buffer-release'?: string; 'buffer-rebuild'?: string;
}, outs: OutputTarget[], interrupts: Interrupts | undefined): Promise<number> {
  const [gridOut] = outs;
  const marketOut = values['market-out'] ? outs[1] : undefined;
  const reportOut = values.report !== undefined ? outs[outs.length - 1] : undefined;
  const options: CalibrationOptions = {
    lambda: numberFlag(values.lambda), k: numberFlag(values.k), mporDays: numberFlag(values['mpor-days']),
    apc: values.apc as ApcMethod | undefined, stressedPeriod: stressedPeriod(values['stressed-period']),
    stressWindow: numberFlag(values['stress-window']), seedReturns: numberFlag(values['seed-returns']),
    daysPerYear: numberFlag(values['days-per-year']), bufferRelease: numberFlag(values['buffer-release']),
    bufferRebuild: numberFlag(values['buffer-rebuild']),
  };
  for (const f of ['buffer-release', 'buffer-rebuild'] as const) {
    if (values[f] !== undefined && values.apc !== 'buffer') throw new InputError(`--${f}: applies to --apc buffer only`, { path: `--${f}` });
  }

  const marketSource = values.market === '-' ? 'stdin' : values.market;
  const marketJson = readJson(readInputFile(values.market, '--market'), marketSource);
  const market = resolveMarket(marketJson, marketSource);
  let base: GridSource;
  if (values['base-grid'] !== undefined) base = baseGrid(values['base-grid']);
  else {
    const risk = isObject(marketJson) ? own(marketJson, 'risk') : undefined;
    const grid = isObject(risk) ? own(risk, 'grid') : undefined;
    if (grid === undefined) {
      throw new InputError(`--base-grid: the market ${marketSource} has no risk.grid to calibrate; give --base-grid PRESET or FILE `
        + `(presets: ${presetNames().join(', ')})`, { path: '--base-grid' });
    }
    base = { raw: grid, source: marketSource, path: 'risk.grid' };
  }
  const previous = values.previous !== undefined ? gridSourceFromFile(values.previous, '--previous') : undefined;
  const historySource = values.history === '-' ? 'stdin' : values.history;
  const history = parseHistoryCsv(readInputFile(values.history, '--history'), historySource);

  const result = calibrate({ history, market, base, previous }, options, flag);

  if (interrupts?.received) {
    // Nothing is written: a calibration is one result, not rows.
    process.stderr.write(`margin-engine: interrupted (${interrupts.received}): the calibration is not written\n`);
    return interrupts.exitCode;
  }
  gridOut.write(formatJson(result.grid) + '\n');
  marketOut?.write(formatJson(calibratedMarket(marketJson, result, !!values['refresh-vol'])) + '\n');
  const report = values.report;
  // Warnings go to standard error whatever --report says (the text report repeats them).
  if (report !== undefined) for (const w of result.warnings) process.stderr.write(`margin-engine: WARNING: ${w}\n`);
  if (report === undefined) process.stderr.write(formatReport(result));
  else reportOut!.write(report.endsWith('.json') ? JSON.stringify(reportJson(result), null, 2) + '\n' : formatReport(result));
  for (const o of outs) await o.commit();
  return 0;
}
