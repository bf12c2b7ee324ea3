/**
 * Result rows as the contract's CLI writes them (section 6): CSV or NDJSON, the contract's six
 * columns first, then the method's own (worst_point for the grid, var and es for simulations).
 */
import type { MarginResult, Method } from '../results.js';

export const BASE_COLUMNS = ['portfolio', 'method', 'initial_margin', 'maintenance_margin', 'status', 'error'] as const;

/** The columns after the contract's six, by method. */
export function extraColumns(method: Method): string[] {
  return method === 'grid' ? ['worst_point'] : ['var', 'es'];
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

export function csvHeader(method: Method): string {
  return [...BASE_COLUMNS, ...extraColumns(method)].join(',') + '\n';
}

export function csvRow(r: MarginResult): string {
  const extra = extraColumns(r.method);
  const cells: string[] = [csvField(r.portfolio), r.method];
  if (r.ok) {
    cells.push(num(r.initialMargin), num(r.maintenanceMargin), 'ok', '');
    for (const c of extra) cells.push(c === 'worst_point' ? num(r.worstPoint) : c === 'var' ? num(r.var) : num(r.es));
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
export function formatResults(results: readonly MarginResult[], method: Method, format: OutputFormat): string {
  if (format === 'ndjson') return results.map(ndjsonRow).join('');
  return csvHeader(method) + results.map(csvRow).join('');
}
