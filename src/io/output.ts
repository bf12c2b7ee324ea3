/**
 * Result rows as the CLI writes them (docs/methods.md §16.1): CSV or NDJSON, the six common
 * columns first, then the method's own (worst_point for the grid, var and es for simulations),
 * then, when stress scenarios apply, stress_loss and stress_scenario (the worst named scenario).
 * NDJSON lines also carry the details: the grid's groups, the stress losses by scenario
 * (`stress`), and the per-position Euler allocation (`allocation`) when it was computed. The last
 * column (and NDJSON field) is `currency`, the market's currency, when the caller gives it.
 * Every NDJSON field name is snake_case, as the CSV columns.
 *
 * CSV text fields (ids, error messages, scenario names) that a spreadsheet would run as a formula
 * (they begin with =, +, -, @, a tab or a CR) are written with a leading single quote, and quoted
 * (OWASP's advice on CSV injection), unless `raw` is set. Numbers are never changed.
 */
import type { MarginResult, Method } from '../results.js';
import { InputError } from '../errors.js';
import { checkMethod, checkOptions, checkResult, given } from '../options.js';

export const BASE_COLUMNS = ['portfolio', 'method', 'initial_margin', 'maintenance_margin', 'status', 'error'] as const;

/** Which optional columns a run writes. */
export interface OutputOptions {
  /** Stress scenarios apply: add stress_loss and stress_scenario (default: when some result has stress). */
  stress?: boolean;
  /** The market's currency: add it as the last column `currency` (and an NDJSON field), on every row. */
  currency?: string;
  /** Write CSV text fields as they are, without the formula-injection guard (for machine consumers). */
  raw?: boolean;
}

/** The columns after the six common ones (docs/methods.md §16.1), by method (and stress columns when asked for). */
export function extraColumns(method: Method, opts: OutputOptions = {}): string[] {
  const cols = method === 'grid' ? ['worst_point'] : ['var', 'es'];
  if (opts.stress) cols.push('stress_loss', 'stress_scenario');
  if (opts.currency !== undefined) cols.push('currency');
  return cols;
}

/** A text field a spreadsheet would take for a formula: it begins with =, +, -, @, a tab or a CR. */
export function isFormulaLike(s: string): boolean {
  return /^[=+\-@\t\r]/.test(s);
}

/**
 * A CSV text field: quoted when it holds a comma, quote, CR or LF (RFC 4180); and, unless `raw`,
 * a field a spreadsheet would run as a formula gets a leading single quote and is quoted (OWASP).
 * For text only: numbers are written as they are.
 */
export function csvField(s: string, raw = false): string {
  if (!raw && isFormulaLike(s)) return `"'${s.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A number as the shortest text that reads back to the same double. */
function num(x: number | undefined): string {
  return x === undefined ? '' : String(x);
}

/** Keeps an error reason on one line. */
function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

export function csvHeader(method: Method, opts: OutputOptions = {}): string {
  checkMethod(method, 'csvHeader');
  opts = checkOptions(opts, 'csvHeader');
  return [...BASE_COLUMNS, ...extraColumns(method, opts)].join(',') + '\n';
}

function cell(r: MarginResult & { ok: true }, c: string, opts: OutputOptions): string {
  switch (c) {
    case 'worst_point': return num(r.method === 'grid' ? r.worstPoint : undefined);
    case 'var': return num(r.method === 'grid' ? undefined : r.var);
    case 'es': return num(r.method === 'grid' ? undefined : r.es);
    case 'stress_loss': return num(r.stress?.loss);
    case 'stress_scenario': return r.stress ? csvField(oneLine(r.stress.scenario), opts.raw) : '';
    case 'currency': return csvField(opts.currency ?? '', opts.raw);
    default: return '';
  }
}

export function csvRow(r: MarginResult, opts: OutputOptions = {}): string {
  checkResult(r, 'csvRow');
  opts = checkOptions(opts, 'csvRow');
  const extra = extraColumns(r.method, opts);
  const cells: string[] = [csvField(r.portfolio, opts.raw), r.method];
  if (r.ok) {
    cells.push(num(r.initialMargin), num(r.maintenanceMargin), 'ok', '');
    for (const c of extra) cells.push(cell(r, c, opts));
  } else {
    cells.push('', '', 'error', csvField(oneLine(r.message), opts.raw));
    for (const c of extra) cells.push(c === 'currency' ? csvField(opts.currency ?? '', opts.raw) : '');
  }
  return cells.join(',') + '\n';
}

/** One NDJSON line: the columns of docs/methods.md §16.1 as fields, plus the method's details (grid: groups), snake_case. */
export function ndjsonRow(r: MarginResult, opts: OutputOptions = {}): string {
  checkResult(r, 'ndjsonRow');
  opts = checkOptions(opts, 'ndjsonRow');
  const o: Record<string, unknown> = { portfolio: r.portfolio, method: r.method };
  if (r.ok) {
    o.initial_margin = r.initialMargin;
    o.maintenance_margin = r.maintenanceMargin;
    o.status = 'ok';
    o.error = null;
    if (r.preset) o.preset = { name: r.preset.name, version: r.preset.version };
    if (r.method === 'grid') {
      o.worst_point = r.worstPoint ?? null;
      o.groups = (r.groups ?? []).map((g) => ({
        group: g.group, scan_risk: g.scanRisk, option_minimum: g.optionMinimum, charge: g.charge, worst_point: g.worstPoint,
        underlyings: g.underlyings,
      }));
    }
    else { o.var = r.var ?? null; o.es = r.es ?? null; }
    if (r.stress) {
      const st = r.stress;
      o.stress = {
        scenario: st.scenario, loss: st.loss, floor: st.floor ?? null, floored: st.floored, method_margin: st.methodMargin,
        losses: st.losses,
      };
    }
    if (r.allocation) {
      o.allocation = r.allocation.map((a) => ({
        instrument: a.instrument, quantity: a.quantity, underlying: a.underlying,
        ...(a.group === undefined ? {} : { group: a.group }), initial_margin: a.initialMargin, basis: a.basis,
      }));
    }
  } else {
    o.initial_margin = null;
    o.maintenance_margin = null;
    o.status = 'error';
    o.error = oneLine(r.message);
    o.code = r.code;
  }
  if (opts.currency !== undefined) o.currency = opts.currency;
  return JSON.stringify(o) + '\n';
}

export type OutputFormat = 'csv' | 'ndjson';

export function formatFor(path: string | undefined): OutputFormat {
  return path && /\.(ndjson|jsonl)$/i.test(path) ? 'ndjson' : 'csv';
}

/** All rows of a run as one text. */
export function formatResults(results: readonly MarginResult[], method: Method, format: OutputFormat, opts: OutputOptions = {}): string {
  if (!Array.isArray(results)) {
    throw new InputError(`formatResults: results: expected a list of margin results (from marginAll()), got ${given(results)}`, { path: 'results' });
  }
  checkMethod(method, 'formatResults');
  if (format !== 'csv' && format !== 'ndjson') throw new InputError(`formatResults: format: expected "csv" or "ndjson", got ${given(format)}`, { path: 'format' });
  opts = checkOptions(opts, 'formatResults');
  results.forEach((r, k) => checkResult(r, `formatResults: results[${k}]`));
  if (format === 'ndjson') return results.map((r) => ndjsonRow(r, opts)).join('');
  const o: OutputOptions = { ...opts, stress: opts.stress ?? results.some((r) => r.ok && r.stress !== undefined) };
  return csvHeader(method, o) + results.map((r) => csvRow(r, o)).join('');
}

/**
 * The output format of a command (`--format`, `--out`): `--format` when given (csv or ndjson; an
 * `--out` whose extension says the other one is an error); else from `--out`'s extension (.csv;
 * .ndjson or .jsonl); standard output and a path that is not a regular file (a device, a FIFO) are
 * CSV. Any other extension is an error: nothing is written in a format the name does not say.
 * Throws an Error with `exit: 2` and a message naming the flag.
 */
export function chooseFormat(out: string | undefined, format: string | undefined, isDevice: (path: string) => boolean,
  allowed: readonly OutputFormat[] = ['csv', 'ndjson']): OutputFormat {
  const fail = (m: string) => Object.assign(new Error(m), { exit: 2 });
  if (format !== undefined && !allowed.includes(format as OutputFormat)) {
    throw fail(`--format: expected ${allowed.join(' or ')}, got ${JSON.stringify(format)}`);
  }
  const file = out !== undefined && out !== '-' ? out : undefined;
  const ext = file === undefined ? undefined : /\.(csv)$/i.test(file) ? 'csv' : /\.(ndjson|jsonl)$/i.test(file) ? 'ndjson' : undefined;
  if (format !== undefined) {
    if (ext !== undefined && ext !== format) throw fail(`--out ${file}: the name says ${ext}, --format says ${format}; give one that agrees`);
    return format as OutputFormat;
  }
  if (ext !== undefined) {
    if (!allowed.includes(ext)) throw fail(`--out ${file}: this command writes ${allowed.join(' or ')}, not ${ext}`);
    return ext;
  }
  if (file === undefined || isDevice(file)) return allowed[0];
  throw fail(`--out ${file}: the extension is neither ${allowed.map((f) => (f === 'csv' ? '.csv' : '.ndjson or .jsonl')).join(' nor ')}; `
    + `name the file so, or give --format ${allowed.join('|')}`);
}
