/**
 * The calibration's outputs as JSON: the grid block and market written by `calibrate` (formatJson,
 * JSON for people) and its report (reportJson); the text report is formatReport in calibrate.ts.
 */
import type { CalibrationResult } from './calibrate.js';

/**
 * JSON for people: indented by two spaces, but an array or object that fits on one line of
 * `width` characters (a point, a list of moves) is written on one line.
 */
export function formatJson(value: unknown, width = 100, indent = ''): string {
  const flat = inline(value);
  if (typeof value !== 'object' || value === null || indent.length + flat.length <= width) return flat;
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    return `[\n${value.map((v) => inner + formatJson(v, width, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, width, inner)}`).join(',\n')}\n${indent}}`;
}

/** One-line JSON with a space after each comma and colon: `{ "move": -0.15, "cover": 1 }`. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => inline(v === undefined ? null : v)).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The report as JSON: settings and the per-underlying figures (the grid itself is in --out). */
export function reportJson(r: CalibrationResult): unknown {
  return {
    settings: r.settings, asOf: r.asOf, historyTo: r.historyTo, uncovered: r.uncovered, warnings: r.warnings,
    buffer: r.buffer, underlyings: r.underlyings,
  };
}
