/**
 * Reading a price history (CSV `date,underlying,price`, one daily close a row) for filtered
 * historical simulation, and aligning it on the dates every underlying shares.
 *
 * The file (every problem throws an InputError `<source>: row N: ...`, N the 1-based line):
 * - The header is exactly `date,underlying,price`, or `date,underlying,price,vol` with an implied
 *   vol (at-the-money or a vol index, annualised decimal, > 0) on every row: fhs then also moves
 *   the underlying's option vols (docs/methods.md §9.3). A UTF-8 byte-order mark is ignored, CRLF or LF
 *   line ends, blank lines skipped, nothing trimmed. A field may be quoted ("..." with "" for a
 *   quote inside) but not span lines.
 * - `date` is `YYYY-MM-DD`, a day that exists. `underlying` is a non-empty id. `price` is a
 *   decimal number (`97000`, `0.25`, `1e3`) that must be > 0: a zero or negative close has no
 *   log return.
 * - Limits, as for portfolio files: a line of at most MAX_CSV_LINE_BYTES (64 KiB) and fields of at
 *   most MAX_FIELD_BYTES (1 KiB) in UTF-8; parsing is linear in the size of the text.
 * - Rows may come in any order; the same (date, underlying) twice is an error naming both rows.
 * - A file with a header and no rows has no prices: an error.
 *
 * Alignment (alignHistory): the dates of a history are the union of the dates of the underlyings
 * asked for; each of them needs a price on every one of those dates (a missing one is a gap, an
 * error naming the underlying, the date and a row where another underlying has that date; gaps
 * are never filled). Underlyings of the file that are not asked for are ignored. A date after the
 * market's asOf (its UTC calendar day) is an error: a history must not look ahead.
 */
import { InputError, show } from '../errors.js';
import { checkTextArgs } from '../options.js';
import { someIds } from '../market/validate.js';
import { MAX_CSV_LINE_BYTES, MAX_FIELD_BYTES } from '../portfolio/limits.js';
import { isDecimal } from '../portfolio/number.js';
import { longerThan } from '../portfolio/utf8.js';
import { DAY_RE, dayNumber, dayOfMs, dayString } from '../math/days.js';

export const HISTORY_HEADER = 'date,underlying,price';
/** The header of a history with implied vols. */
export const HISTORY_VOL_HEADER = 'date,underlying,price,vol';
const HEADER_FIELDS = ['date', 'underlying', 'price', 'vol'];

/** One underlying's closes, ascending by date. */
export interface PriceSeries {
  /** Day numbers (days since 1970-01-01), strictly ascending. */
  days: Int32Array;
  prices: Float64Array;
  /** Implied vols on the same dates, when the file has the vol column. */
  vols?: Float64Array;
  /** The 1-based line of each price in the file. */
  rows: Int32Array;
}

export interface PriceHistory {
  /** Where it came from, for messages ("history.csv"). */
  source: string;
  /** Underlying ids in order of first appearance in the file. */
  underlyings: string[];
  series: Map<string, PriceSeries>;
}


function rowError(source: string, row: number, detail: string): never {
  throw new InputError(`${source}: row ${row}: ${detail}`, { file: source, path: `row ${row}` });
}

/** Splits one CSV line (quoted fields allowed, not across lines); a string is an error reason. */
function splitLine(line: string): string[] | string {
  if (line.indexOf('"') < 0) return line.split(',');
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return `field ${fields.length + 1}: a quoted field is not closed on its line`;
        field += line.slice(i, q);
        if (line[q + 1] === '"') { field += '"'; i = q + 2; continue; }
        i = q + 1;
        break;
      }
      if (i < line.length && line[i] !== ',') return `field ${fields.length + 1}: unexpected ${show(line[i])} after a closing quote`;
    } else {
      const c = line.indexOf(',', i);
      field = line.slice(i, c < 0 ? line.length : c);
      if (field.includes('"')) return `field ${fields.length + 1}: a quote inside an unquoted field`;
      i = c < 0 ? line.length : c;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
    if (i === line.length) { fields.push(''); return fields; }
  }
}

/** Parses a price history from CSV text; `source` names it in messages. */
export function parseHistoryCsv(text: string, source = 'history.csv'): PriceHistory {
  checkTextArgs(text, source, 'parseHistoryCsv', 'the price history\'s CSV text (date,underlying,price)');
  const lines = text.split('\n');
  let header = false;
  let nf = 3;
  const raw = new Map<string, { day: number; price: number; vol: number; row: number }[]>();
  const seen = new Map<string, Map<number, number>>();
  const order: string[] = [];
  for (let k = 0; k < lines.length; k++) {
    const row = k + 1;
    let line = lines[k];
    if (k === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (longerThan(line, MAX_CSV_LINE_BYTES)) {
      rowError(source, row, `the line is ${Buffer.byteLength(line, 'utf8')} bytes long; the limit is ${MAX_CSV_LINE_BYTES} bytes`);
    }
    if (line.trim() === '') continue;
    const f = splitLine(line);
    if (!header) {
      if (typeof f === 'string' || (f.length !== 3 && f.length !== 4) || f.some((x, i) => x !== HEADER_FIELDS[i])) {
        throw new InputError(`${source}: line ${row}: expected the header "${HISTORY_HEADER}" or "${HISTORY_VOL_HEADER}", got ${show(line)}`,
          { file: source, path: `line ${row}` });
      }
      header = true;
      nf = f.length;
      continue;
    }
    if (typeof f === 'string') rowError(source, row, f);
    if (f.length !== nf) rowError(source, row, `expected ${nf} fields (${nf === 3 ? HISTORY_HEADER : HISTORY_VOL_HEADER}), got ${f.length}`);
    const [ds, id, ps] = f;
    for (let i = 0; i < nf; i++) {
      if (longerThan(f[i], MAX_FIELD_BYTES)) rowError(source, row, `${HEADER_FIELDS[i]}: ${show(f[i])} is longer than the limit of ${MAX_FIELD_BYTES} bytes`);
    }
    const day = dayNumber(ds);
    if (Number.isNaN(day)) {
      rowError(source, row, `date: expected a day YYYY-MM-DD such as "2026-11-20", got ${show(ds)}${DAY_RE.test(ds) ? ' (no such day)' : ''}`);
    }
    if (id === '') rowError(source, row, 'underlying: expected a non-empty underlying id, got ""');
    const price = isDecimal(ps) ? Number(ps) : NaN;
    if (!Number.isFinite(price)) rowError(source, row, `price: expected a decimal number, got ${show(ps)}`);
    if (!(price > 0)) {
      rowError(source, row, `price: ${id} closes at ${ps} on ${ds}; a price must be > 0 (its log return is undefined)`);
    }
    let vol = NaN;
    if (nf === 4) {
      vol = isDecimal(f[3]) ? Number(f[3]) : NaN;
      if (!(Number.isFinite(vol) && vol > 0)) {
        rowError(source, row, `vol: expected the implied vol of ${id} on ${ds}, a decimal number > 0 (0.6 is 60 %), got ${show(f[3])}`);
      }
    }
    let byDay = seen.get(id);
    if (!byDay) { byDay = new Map(); seen.set(id, byDay); raw.set(id, []); order.push(id); }
    const before = byDay.get(day);
    if (before !== undefined) rowError(source, row, `a second price for ${id} on ${ds}; row ${before} already gives one`);
    byDay.set(day, row);
    raw.get(id)!.push({ day, price, vol, row });
  }
  if (!header) {
    throw new InputError(`${source}: empty file: expected the header "${HISTORY_HEADER}" on the first line`, { file: source, path: 'line 1' });
  }
  if (order.length === 0) throw new InputError(`${source}: no prices: the file has a header and no rows`, { file: source });
  const series = new Map<string, PriceSeries>();
  for (const id of order) {
    const pts = raw.get(id)!.sort((a, b) => a.day - b.day);
    const ps: PriceSeries = {
      days: Int32Array.from(pts, (p) => p.day),
      prices: Float64Array.from(pts, (p) => p.price),
      rows: Int32Array.from(pts, (p) => p.row),
    };
    if (nf === 4) ps.vols = Float64Array.from(pts, (p) => p.vol);
    series.set(id, ps);
  }
  return { source, underlyings: order, series };
}

/** Prices of some underlyings on the dates they all share. */
export interface AlignedHistory {
  source: string;
  /** Dates, ascending (YYYY-MM-DD). */
  dates: string[];
  days: Int32Array;
  ids: string[];
  /** prices[k][t]: close of ids[k] on dates[t]. */
  prices: Float64Array[];
  /** vols[k][t]: implied vol of ids[k] on dates[t], when the history has the vol column. */
  vols?: Float64Array[];
}

/**
 * Aligns `ids` of a history on their dates (see the file comment): throws InputError for an id the
 * history lacks, a gap, or a date after `asOfMs` (the market's asOf, ms since the epoch).
 */
export function alignHistory(history: PriceHistory, ids: readonly string[], asOfMs?: number): AlignedHistory {
  const src = history.source;
  const series = ids.map((id) => {
    const s = history.series.get(id);
    if (!s) {
      throw new InputError(
        `${src}: no prices for underlying ${show(id)} of the market; the history has ${someIds(history.underlyings)}`,
        { file: src, path: id });
    }
    return s;
  });
  const all = new Set<number>();
  for (const s of series) for (const d of s.days) all.add(d);
  const days = Int32Array.from([...all].sort((a, b) => a - b));
  if (asOfMs !== undefined && days.length > 0) {
    const asOfDay = dayOfMs(asOfMs);
    const last = days[days.length - 1];
    if (last > asOfDay) {
      const k = series.findIndex((s) => s.days[s.days.length - 1] === last);
      const s = series[k];
      rowError(src, s.rows[s.rows.length - 1], `date ${dayString(last)} is after the market's asOf ${dayString(asOfDay)}; `
        + 'a history must end on or before it');
    }
  }
  const prices = series.map((s, k) => {
    if (s.days.length === days.length) return s.prices;
    // The first date of the union that this series lacks, and a row of another series that has it.
    let t = 0;
    while (t < s.days.length && s.days[t] === days[t]) t++;
    const missing = days[t];
    let other = '';
    for (let j = 0; j < series.length && other === ''; j++) {
      const i = indexOf(series[j].days, missing);
      if (i >= 0) other = `${ids[j]} has one (row ${series[j].rows[i]})`;
    }
    throw new InputError(
      `${src}: ${ids[k]} has no price on ${dayString(missing)}, a date on which ${other}; every underlying needs a price `
      + 'on every date of the history (gaps are not filled)', { file: src, path: ids[k] });
  });
  const out: AlignedHistory = { source: src, dates: Array.from(days, dayString), days, ids: [...ids], prices };
  if (series.length > 0 && series.every((s) => s.vols)) out.vols = series.map((s) => s.vols!);
  return out;
}

function indexOf(days: Int32Array, day: number): number {
  let lo = 0, hi = days.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (days[mid] === day) return mid;
    if (days[mid] < day) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}
