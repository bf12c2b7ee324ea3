// Synthetic price histories for the tests: calendar dates and the CSV text of price paths.
import { dayNumber, dayString } from '../../src/math/days.js';

/** The asOf day of the tests' markets. */
export const END = '2026-11-20';

/** n consecutive calendar days ending on `end`. */
export function days(n: number, end = END): string[] {
  const e = dayNumber(end);
  return Array.from({ length: n }, (_, i) => dayString(e - n + 1 + i));
}

/** CSV text (date,underlying,price) of price paths keyed by underlying, on `dates`. */
export function csv(paths: Record<string, number[]>, dates = days(Object.values(paths)[0].length)): string {
  const lines = ['date,underlying,price'];
  dates.forEach((d, t) => { for (const [u, p] of Object.entries(paths)) lines.push(`${d},${u},${p[t]}`); });
  return lines.join('\n') + '\n';
}
