/**
 * Reading portfolio files (contract section 3): CSV `portfolio,instrument,quantity`, or NDJSON
 * with one portfolio a line. Both readers are incremental, line-based state machines (a big file
 * can be streamed through them line by line); the whole-text functions are built on them.
 *
 * File-level problems (CSV: empty file, missing or wrong header, a quoted field never closed)
 * throw InputError naming the file. Row-level problems make only their portfolio an error, with a
 * one-line reason naming the row (the 1-based line number in the file) and the field.
 *
 * CSV:
 * - RFC 4180: fields separated by commas, optionally quoted with "..." ("" is a quote inside a
 *   quoted field, which may also hold commas and line breaks); CRLF or LF line ends; a UTF-8
 *   byte-order mark is ignored; blank (or whitespace-only) lines are skipped; nothing is trimmed
 *   (" BTC" is not "BTC"). A line break inside a quoted field is read as "\n" whatever the file
 *   used (and the whole-text functions also take a lone CR as a line break).
 * - The header is exactly `portfolio,instrument,quantity` (case-sensitive: the contract's one
 *   spelling; the message shows what was expected). No extra columns.
 * - quantity: a decimal number, optionally signed, with an optional exponent (`-2`, `0.5`, `.5`,
 *   `1e3`); not empty, no thousands separators or decimal commas, no hex, no Infinity or NaN.
 *   0 is fine. The same instrument twice in a portfolio gives two positions (they add up).
 *   Instrument ids are not checked here (the margin stage reports unknown ones).
 * - A portfolio's rows are contiguous. When its id comes back after another portfolio, that
 *   portfolio becomes an error ("reappears at row N"); exactly one portfolio per distinct id, in
 *   order of first appearance; no row is dropped silently.
 * - A row with an empty portfolio id (or an unreadable one) belongs to no portfolio: it becomes an
 *   error entry of its own with id `row N`, and does not interrupt the portfolio around it.
 * - A portfolio with several bad rows reports the first, and how many more.
 *
 * NDJSON: one portfolio a line, `{"portfolio":"P1","positions":[{"instrument":"BTC-PERP","quantity":-2}]}`,
 * no other fields; blank lines skipped; an unreadable line is an error entry whose id is the
 * line's "portfolio" when it can be read, else `line N`; an id on two lines makes that portfolio
 * an error. An empty file holds no portfolios.
 */
import { InputError, show } from '../errors.js';
import { JsonSyntaxError, parseJsonText } from '../market/validate.js';
import type { ParsedPortfolio, ParsedPosition, PortfolioEmit, PortfolioLineReader } from './types.js';

export type { ParsedPortfolio, ParsedPosition, PortfolioEmit, PortfolioLineReader } from './types.js';

export const CSV_HEADER = 'portfolio,instrument,quantity';
const HEADER_FIELDS = ['portfolio', 'instrument', 'quantity'];
const QUANTITY_RE = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const NONE: readonly PortfolioEmit[] = Object.freeze([]);

/** A quantity as written in a file, or NaN when it is not a finite decimal number. */
export function parseQuantity(s: string): number {
  if (!QUANTITY_RE.test(s)) return NaN;
  const q = Number(s);
  return Number.isFinite(q) ? q + 0 : NaN; // + 0 turns -0 into 0
}

// ---------------------------------------------------------------------------------------------
// Shared bookkeeping: sequence numbers, reappearance, amendments.

interface Seen { seq: number; error: boolean; amended: boolean; firstLine: number }

/** The portfolio being read (CSV), or a reappeared id whose rows are being skipped. */
interface Open {
  id: string;
  seq: number;
  /** Rows of an id that reappeared: consumed, already reported. */
  sink: boolean;
  positions: ParsedPosition[];
  error?: string;
  moreErrors: number;
}

abstract class Reader {
  protected line = 0;
  protected nextSeq = 0;
  protected readonly seen = new Map<string, Seen>();
  protected out: PortfolioEmit[] | undefined;

  get lineNumber(): number { return this.line; }

  protected emit(seq: number, portfolio: ParsedPortfolio, amends = false): void {
    (this.out ??= []).push({ seq, portfolio, amends });
  }

  protected flush(): readonly PortfolioEmit[] {
    const o = this.out;
    this.out = undefined;
    return o ?? NONE;
  }

  /** Marks the earlier portfolio `id` as an error, unless it already is one. */
  protected reappeared(id: string, message: string): void {
    const s = this.seen.get(id)!;
    if (s.error || s.amended) return;
    s.amended = true;
    this.emit(s.seq, { id, error: message }, true);
  }
}

// ---------------------------------------------------------------------------------------------
// CSV

/** Splitting one CSV record, possibly over several lines (a quoted field holding line breaks). */
class CsvRecord {
  fields: string[] = [];
  field = '';
  inQuotes = false;
  /** A closing quote was just read: only a comma or the end of the record may follow. */
  closed = false;
  /** The current field has content or an opening quote. */
  started = false;
  error: string | undefined;
  /** @param text the record's first line, for messages. */
  constructor(readonly startLine: number, readonly text: string) {}

  /** Consumes a line; true when the record is complete. */
  feed(line: string, continuation: boolean): boolean {
    if (continuation) this.field += '\n';
    if (!this.inQuotes && !continuation && line.indexOf('"') < 0) {
      this.fields = line.split(',');
      return true;
    }
    let i = 0;
    const n = line.length;
    while (i < n) {
      if (this.inQuotes) {
        const q = line.indexOf('"', i);
        if (q < 0) { this.field += line.slice(i); return false; }
        this.field += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 34) { this.field += '"'; i = q + 2; continue; }
        this.inQuotes = false;
        this.closed = true;
        i = q + 1;
        continue;
      }
      const c = line.charCodeAt(i);
      if (c === 44 /* , */) {
        this.fields.push(this.field);
        this.field = '';
        this.closed = false;
        this.started = false;
        i++;
        continue;
      }
      if (this.closed) {
        this.error = `field ${this.fields.length + 1}: unexpected ${show(line[i])} after a closing quote`;
        return this.stop();
      }
      if (c === 34 /* " */) {
        if (this.started) {
          this.error = `field ${this.fields.length + 1}: a quote inside an unquoted field (quote the whole field and double the quote)`;
          return this.stop();
        }
        this.inQuotes = true;
        this.started = true;
        i++;
        continue;
      }
      this.field += line[i];
      this.started = true;
      i++;
    }
    if (this.inQuotes) return false;
    this.fields.push(this.field);
    return true;
  }

  /** Ends a malformed record at this line; the fields read before the error stay available. */
  private stop(): true {
    this.inQuotes = false;
    return true;
  }
}

/**
 * Reads CSV portfolios line by line. Emits each portfolio when the next one starts (or at end()),
 * followed by the `row N` error entries met inside it; amendments as soon as an id reappears.
 */
export class CsvPortfolioReader extends Reader implements PortfolioLineReader {
  private header = false;
  private record: CsvRecord | undefined;
  private open: Open | undefined;
  /** Error entries (rows with no portfolio id) waiting for the open portfolio to be emitted. */
  private queued: { seq: number; portfolio: ParsedPortfolio }[] = [];

  constructor(readonly source = 'portfolios.csv') { super(); }

  push(rawLine: string): readonly PortfolioEmit[] {
    this.line++;
    let line = rawLine;
    if (this.line === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    const rec = this.record;
    if (rec) {
      if (!rec.feed(line, true)) return NONE;
      this.record = undefined;
      this.onRecord(rec);
      return this.flush();
    }
    if (line.trim() === '') return NONE;
    const r = new CsvRecord(this.line, line);
    if (!r.feed(line, false)) { this.record = r; return NONE; }
    this.onRecord(r);
    return this.flush();
  }

  end(): readonly PortfolioEmit[] {
    if (this.record) {
      throw new InputError(`${this.source}: row ${this.record.startLine}: a quoted field opened on this row is never closed`,
        { file: this.source, path: `row ${this.record.startLine}` });
    }
    if (!this.header) {
      throw new InputError(`${this.source}: empty file: expected the header "${CSV_HEADER}" on the first line`,
        { file: this.source, path: 'line 1' });
    }
    this.close();
    return this.flush();
  }

  private onRecord(r: CsvRecord): void {
    if (!this.header) {
      if (r.error !== undefined || r.fields.length !== 3 || r.fields.some((f, i) => f !== HEADER_FIELDS[i])) {
        const got = show(r.text);
        throw new InputError(`${this.source}: line ${r.startLine}: expected the header "${CSV_HEADER}", got ${got}`,
          { file: this.source, path: `line ${r.startLine}` });
      }
      this.header = true;
      return;
    }
    const row = r.startLine;
    const f = r.fields;
    let error: string | undefined;
    let position: ParsedPosition | undefined;
    if (r.error !== undefined) error = `row ${row}: ${r.error}`;
    else if (f.length !== 3) error = `row ${row}: expected 3 fields (${CSV_HEADER}), got ${f.length}`;
    else if (f[0] === '') error = `row ${row}: empty portfolio id`;
    else if (f[1] === '') error = `row ${row}: empty instrument`;
    else {
      const q = parseQuantity(f[2]);
      if (Number.isNaN(q)) error = `row ${row}: quantity ${show(f[2])} is not a finite number`;
      else position = { instrument: f[1], quantity: q };
    }
    const id = f.length > 0 ? f[0] : '';
    if (id === '') {
      // No portfolio to charge the row to: an error entry of its own.
      const entry = { seq: this.nextSeq++, portfolio: { id: `row ${row}`, error: error ?? `row ${row}: empty portfolio id` } };
      if (this.open && !this.open.sink) this.queued.push(entry);
      else this.emit(entry.seq, entry.portfolio);
      return;
    }
    this.row(id, row, position, error);
  }

  private row(id: string, row: number, position: ParsedPosition | undefined, error: string | undefined): void {
    const o = this.open;
    if (o && o.id === id) {
      if (o.sink) return;
      if (error === undefined) o.positions.push(position!);
      else if (o.error === undefined) o.error = error;
      else o.moreErrors++;
      return;
    }
    this.close();
    if (this.seen.has(id)) {
      this.reappeared(id, `portfolio ${show(id)} reappears at row ${row} after other portfolios; its rows must be contiguous`);
      this.open = { id, seq: -1, sink: true, positions: [], moreErrors: 0 };
      return;
    }
    const seq = this.nextSeq++;
    this.seen.set(id, { seq, error: false, amended: false, firstLine: row });
    this.open = { id, seq, sink: false, positions: error === undefined ? [position!] : [], error, moreErrors: 0 };
  }

  /** Emits the open portfolio (if any) and the error entries queued behind it. */
  private close(): void {
    const o = this.open;
    this.open = undefined;
    if (o && !o.sink) {
      if (o.error !== undefined) {
        this.seen.get(o.id)!.error = true;
        const more = o.moreErrors > 0 ? ` (and ${o.moreErrors} more bad row${o.moreErrors > 1 ? 's' : ''})` : '';
        this.emit(o.seq, { id: o.id, error: o.error + more });
      } else {
        this.emit(o.seq, { id: o.id, positions: o.positions });
      }
    }
    for (const q of this.queued) this.emit(q.seq, q.portfolio);
    this.queued = [];
  }
}

// ---------------------------------------------------------------------------------------------
// NDJSON

const PORTFOLIO_FIELDS = ['portfolio', 'positions'];
const POSITION_FIELDS = ['instrument', 'quantity'];
const ID_IN_LINE = /"portfolio"\s*:\s*("(?:[^"\\]|\\.)*")/;

/** Reads NDJSON portfolios line by line; each line's portfolio is emitted at once. */
export class NdjsonPortfolioReader extends Reader implements PortfolioLineReader {
  constructor(readonly source = 'portfolios.ndjson') { super(); }

  push(rawLine: string): readonly PortfolioEmit[] {
    this.line++;
    let line = rawLine;
    if (this.line === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.trim() === '') return NONE;
    const n = this.line;
    const r = readLine(line, n);
    const id = r.id;
    if (id === undefined) {
      this.emit(this.nextSeq++, { id: `line ${n}`, error: r.error! });
      return this.flush();
    }
    if (this.seen.has(id)) {
      const first = this.seen.get(id)!.firstLine;
      this.reappeared(id, `portfolio ${show(id)} appears again at line ${n} (first at line ${first}); a portfolio must be on one line`);
      return this.flush();
    }
    const seq = this.nextSeq++;
    this.seen.set(id, { seq, error: r.error !== undefined, amended: false, firstLine: n });
    this.emit(seq, r.error !== undefined ? { id, error: r.error } : { id, positions: r.positions! });
    return this.flush();
  }

  end(): readonly PortfolioEmit[] {
    return NONE;
  }
}

/** One NDJSON line: its portfolio id when readable, and its positions or the reason it is unusable. */
function readLine(line: string, n: number): { id?: string; positions?: ParsedPosition[]; error?: string } {
  let v: unknown;
  try {
    v = parseJsonText(line);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    return { id: idFromBrokenLine(line), error: `line ${n}: invalid JSON at column ${e.column}: ${e.reason}` };
  }
  const shape = '{"portfolio": ..., "positions": [...]}';
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return { error: `line ${n}: expected a JSON object ${shape}, got ${show(v)}` };
  }
  const o = v as Record<string, unknown>;
  const has = (k: string) => Object.prototype.hasOwnProperty.call(o, k);
  const pid = has('portfolio') ? o.portfolio : undefined;
  const id = typeof pid === 'string' && pid !== '' ? pid : undefined;
  const bad = (error: string) => ({ id, error: `line ${n}: ${error}` });
  for (const k of Object.keys(o)) {
    if (!PORTFOLIO_FIELDS.includes(k)) return bad(`unknown field ${show(k)}; expected "portfolio" and "positions"`);
  }
  if (id === undefined) return bad(`portfolio: expected a non-empty string, got ${show(pid)}`);
  const list = has('positions') ? o.positions : undefined;
  if (!Array.isArray(list)) return bad(`positions: expected a list of {"instrument": ..., "quantity": ...}, got ${show(list)}`);
  const positions: ParsedPosition[] = [];
  for (let k = 0; k < list.length; k++) {
    const p = list[k];
    const at = `positions[${k}]`;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) {
      return bad(`${at}: expected a JSON object {"instrument": ..., "quantity": ...}, got ${show(p)}`);
    }
    const po = p as Record<string, unknown>;
    for (const f of Object.keys(po)) {
      if (!POSITION_FIELDS.includes(f)) return bad(`${at}: unknown field ${show(f)}; expected "instrument" and "quantity"`);
    }
    const instrument = Object.prototype.hasOwnProperty.call(po, 'instrument') ? po.instrument : undefined;
    if (typeof instrument !== 'string' || instrument === '') {
      return bad(`${at}.instrument: expected a non-empty string, got ${show(instrument)}`);
    }
    const quantity = Object.prototype.hasOwnProperty.call(po, 'quantity') ? po.quantity : undefined;
    if (typeof quantity !== 'number' || !Number.isFinite(quantity)) {
      return bad(`${at}.quantity: expected a finite number, got ${show(quantity)}`);
    }
    positions.push({ instrument, quantity: quantity + 0 });
  }
  return { id, positions };
}

/** The "portfolio" string of a line that is not valid JSON, when it can still be read. */
function idFromBrokenLine(line: string): string | undefined {
  const m = ID_IN_LINE.exec(line);
  if (!m) return undefined;
  try {
    const id: unknown = JSON.parse(m[1]);
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Whole texts

/** Splits text into lines at CRLF, LF or CR. */
function lines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

/** Runs a whole text through a reader: one portfolio per distinct id, in order of first appearance. */
export function readAll(reader: PortfolioLineReader, text: string): ParsedPortfolio[] {
  const out: ParsedPortfolio[] = [];
  const take = (emits: readonly PortfolioEmit[]) => { for (const e of emits) out[e.seq] = e.portfolio; };
  for (const line of lines(text)) take(reader.push(line));
  take(reader.end());
  return out;
}

/** Parses CSV portfolios (`portfolio,instrument,quantity`). */
export function parsePortfoliosCsv(text: string, source = 'portfolios.csv'): ParsedPortfolio[] {
  return readAll(new CsvPortfolioReader(source), text);
}

/** Parses NDJSON portfolios (one `{"portfolio": ..., "positions": [...]}` a line). */
export function parsePortfoliosNdjson(text: string, source = 'portfolios.ndjson'): ParsedPortfolio[] {
  return readAll(new NdjsonPortfolioReader(source), text);
}

/** True when `source` names an NDJSON file (.ndjson or .jsonl); anything else is read as CSV. */
export function isNdjsonName(source: string): boolean {
  return /\.(ndjson|jsonl)$/i.test(source);
}

/** A line reader for `source`, chosen by its extension. */
export function portfolioReader(source: string): PortfolioLineReader {
  return isNdjsonName(source) ? new NdjsonPortfolioReader(source) : new CsvPortfolioReader(source);
}

/** Parses portfolios, as NDJSON when `source` ends in .ndjson or .jsonl, else as CSV. */
export function parsePortfolios(text: string, source = 'portfolios.csv'): ParsedPortfolio[] {
  return readAll(portfolioReader(source), text);
}
