/**
 * Result rows as the contract's CLI writes them (section 6): CSV or NDJSON, the contract's six
 * columns first, then the method's own (worst_point for the grid, var and es for simulations),
 * then, when stress scenarios apply, stress_loss and stress_scenario (the worst named scenario).
 * NDJSON lines also carry the details: the grid's groups, the stress losses by scenario
 * (`stress`), and the per-position Euler allocation (`allocation`) when it was computed.
 */
import type { MarginResult, Method } from '../results.js';

export const BASE_COLUMNS = ['portfolio', 'method', 'initial_margin', 'maintenance_margin', 'status', 'error'] as const;

/** Which optional columns a run writes. */
export interface OutputOptions {
  /** Stress scenarios apply: add stress_loss and stress_scenario (default: when some result has stress). */
  stress?: boolean;
}

/** The columns after the contract's six, by method (and stress columns when asked for). */
export function extraColumns(method: Method, opts: OutputOptions = {}): string[] {
  const cols = method === 'grid' ? ['worst_point'] : ['var', 'es'];
  return opts.stress ? [...cols, 'stress_loss', 'stress_scenario'] : cols;
}

/** Quotes a CSV field when it holds a comma, quote, CR or LF (RFC 4180). */
export function csvField(s: string): string {
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
  return [...BASE_COLUMNS, ...extraColumns(method, opts)].join(',') + '\n';
}

function cell(r: MarginResult & { ok: true }, c: string): string {
  switch (c) {
    case 'worst_point': return num(r.worstPoint);
    case 'var': return num(r.var);
    case 'es': return num(r.es);
    case 'stress_loss': return num(r.stress?.loss);
    case 'stress_scenario': return r.stress ? csvField(oneLine(r.stress.scenario)) : '';
    default: return '';
  }
}

export function csvRow(r: MarginResult, opts: OutputOptions = {}): string {
  const extra = extraColumns(r.method, opts);
  const cells: string[] = [csvField(r.portfolio), r.method];
  if (r.ok) {
    cells.push(num(r.initialMargin), num(r.maintenanceMargin), 'ok', '');
    for (const c of extra) cells.push(cell(r, c));
  } else {
    cells.push('', '', 'error', csvField(oneLine(r.message)));
    for (let c = 0; c < extra.length; c++) cells.push('');
  }
  return cells.join(',') + '\n';
}

/** One NDJSON line: the contract's columns as fields, plus the method's details (grid: groups). */
export function ndjsonRow(r: MarginResult): string {
  const o: Record<string, unknown> = { portfolio: r.portfolio, method: r.method };
  if (r.ok) {
    o.initial_margin = r.initialMargin;
    o.maintenance_margin = r.maintenanceMargin;
    o.status = 'ok';
    o.error = null;
    if (r.method === 'grid') { o.worst_point = r.worstPoint ?? null; o.groups = r.groups ?? []; }
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
  return JSON.stringify(o) + '\n';
}

export type OutputFormat = 'csv' | 'ndjson';

export function formatFor(path: string | undefined): OutputFormat {
  return path && /\.(ndjson|jsonl)$/i.test(path) ? 'ndjson' : 'csv';
}

/** All rows of a run as one text. */
export function formatResults(results: readonly MarginResult[], method: Method, format: OutputFormat, opts: OutputOptions = {}): string {
  if (format === 'ndjson') return results.map(ndjsonRow).join('');
  const o: OutputOptions = { stress: opts.stress ?? results.some((r) => r.ok && r.stress !== undefined) };
  return csvHeader(method, o) + results.map((r) => csvRow(r, o)).join('');
}
