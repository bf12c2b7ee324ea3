/**
 * The CSV portfolio reader (docs/methods.md §4.1): `portfolio,instrument,quantity`, an
 * incremental, line-based state machine fed text lines (push) or UTF-8 bytes (pushBytes, pushLines).
 *
 * CSV:
 * - RFC 4180: fields separated by commas, optionally quoted with "..." ("" is a quote inside a
 *   quoted field, which may also hold commas and line breaks); CRLF or LF line ends; a UTF-8
 *   byte-order mark is ignored; blank (or whitespace-only) lines are skipped; nothing is trimmed
 *   (" BTC" is not "BTC"). A line break inside a quoted field is read as "\n" whatever the file
 *   used (and the whole-text functions also take a lone CR as a line break).
 * - The header is exactly `portfolio,instrument,quantity` (case-sensitive: the specification's
 *   one spelling; the message shows what was expected). No extra columns.
 * - quantity: a decimal number, optionally signed, with an optional exponent (`-2`, `0.5`, `.5`,
 *   `1e3`); not empty, no thousands separators or decimal commas, no hex, no Infinity or NaN.
 *   0 is fine. The same instrument twice in a portfolio gives two positions (they add up).
 *   Instrument ids are not checked here (the margin stage reports unknown ones).
 * - A portfolio's rows need not be contiguous (exports are often unsorted): exactly one portfolio
 *   per distinct id, in order of first appearance, its positions in file order; no row is dropped
 *   silently. When an id comes back after another portfolio, the reader emits its new rows under
 *   the first block's seq with `amends: true` (readAll merges them; so does the batch engine).
 * - A row with an empty portfolio id (or an unreadable one) belongs to no portfolio: it becomes an
 *   error entry of its own with id `row N`, and does not interrupt the portfolio around it.
 * - A portfolio with several bad rows reports the first, and how many more.
 *
 * Bytes: the common row (ASCII, no quote) is read straight from the bytes: no string but the
 * portfolio id when it changes and each distinct instrument once. For the batch engine a reader
 * can also resolve instruments once each (options.resolve) and deliver portfolios as reused
 * columns to a sink (options.sink).
 */
import { InputError, show } from '../errors.js';
import type { ParsedPortfolio, ParsedPosition, PortfolioEmit, PortfolioLineReader } from './types.js';
import { MAX_CSV_LINE_BYTES, MAX_FIELD_BYTES, MAX_RECORD_LINES } from './limits.js';
import { parseQuantity, quantityFastBytes } from './number.js';
import { asciiText, decodeLine, longerThan, unreadableText, utf8Lossy } from './utf8.js';
import { ByteInterner, FNV_OFFSET, FNV_PRIME, ownString } from './intern.js';
import { NONE, Reader, idProblem, withMoreErrors } from './reader.js';

export const CSV_HEADER = 'portfolio,instrument,quantity';
const HEADER_FIELDS = ['portfolio', 'instrument', 'quantity'];
const NO_POSITIONS: ParsedPosition[] = Object.freeze([]) as unknown as ParsedPosition[];
const NO_STRINGS: string[] = Object.freeze([]) as unknown as string[];
const NO_NUMBERS: number[] = Object.freeze([]) as unknown as number[];

/**
 * Where a CSV reader in sink mode puts what it reads, in file order, instead of returning emits:
 * no allocation per portfolio read without error.
 */
export interface CsvSink {
  /**
   * A portfolio read without error: positions k < n are instruments[k] (codes[k] its resolve()
   * value) with quantities[k]. The arrays are the reader's and valid only during the call.
   */
  portfolio(seq: number, id: string, codes: Int32Array, instruments: readonly string[], quantities: Float64Array, n: number): void;
  /** Every other emit (errors, entries of their own, amendments), in order with the portfolios. */
  emit(e: PortfolioEmit): void;
}

export interface CsvReaderOptions {
  /**
   * Emit each portfolio's positions as columns (`columns`, with an empty `positions`) instead of one
   * object per position: what a stream consumer that packs them into arrays wants.
   */
  columns?: boolean;
  /**
   * Columns mode: a function of an instrument id (for example its index in a market, -1 when
   * unknown) whose results the columns carry as `codes`; called once per distinct instrument met
   * by the byte path, so a consumer makes no lookup per row.
   */
  resolve?: (instrument: string) => number;
  /** Deliver everything to this sink, in order (push and end then return nothing); needs `resolve`. */
  sink?: CsvSink;
}

/** A code not computed yet (CsvPortfolioReader's resolve). */
const UNRESOLVED = -2;

/** 1 for the bytes a plain CSV field is made of: ASCII but comma, quote, CR and LF. */
const PLAIN = new Uint8Array(256);
for (let b = 0; b < 128; b++) PLAIN[b] = b === 44 || b === 34 || b === 10 || b === 13 ? 0 : 1;

/** The portfolio being read (CSV): a new one, or more rows of one read before (amends). */
interface Open {
  id: string;
  seq: number;
  /** Rows of an id met before (its seq is that portfolio's): they add to it. */
  amends: boolean;
  /** Its positions as columns (objects are made when it is emitted, unless the reader emits columns). */
  instruments: string[];
  quantities: number[];
  /** resolve(instrument) of each position, when the reader has a resolver. */
  codes: number[];
  error?: string;
  moreErrors: number;
}

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
  /** The longest line read (a longer one is an error of its row; see pushOverlong). */
  readonly maxLineBytes = MAX_CSV_LINE_BYTES;
  private header = false;
  private record: CsvRecord | undefined;
  private open: Open | undefined;
  /** Error entries (rows with no portfolio id) waiting for the open portfolio to be emitted. */
  private queued: { seq: number; portfolio: ParsedPortfolio }[] = [];

  /**
   * @param source names the file in messages.
   * @param options columns, resolve, sink: see CsvReaderOptions.
   */
  constructor(readonly source = 'portfolios.csv', options: CsvReaderOptions = {}) {
    super(false);
    this.columns = (options.columns ?? false) || options.sink !== undefined;
    this.resolve = this.columns ? options.resolve : undefined;
    if (options.sink) {
      if (!this.resolve) throw new Error('CsvPortfolioReader: a sink needs a resolve function');
      this.sink = options.sink;
      this.emitTo = options.sink.emit;
    }
  }

  private readonly sink: CsvSink | undefined;
  /** Sink mode: the open portfolio's positions (codes, instruments, quantities), reused. */
  private bufCodes = new Int32Array(256);
  private bufQty = new Float64Array(256);
  private readonly bufInstr: string[] = [];
  private bufN = 0;

  private bufGrow(): void {
    const n = this.bufQty.length;
    const q = new Float64Array(n * 2), c = new Int32Array(n * 2);
    q.set(this.bufQty);
    c.set(this.bufCodes);
    this.bufQty = q;
    this.bufCodes = c;
  }

  /** Sink mode: appends a position of the open portfolio. */
  private bufPush(instrument: string, quantity: number, code: number): void {
    const n = this.bufN;
    if (n === this.bufQty.length) this.bufGrow();
    this.bufQty[n] = quantity;
    this.bufCodes[n] = code === UNRESOLVED ? this.resolve!(instrument) : code;
    this.bufInstr[n] = instrument;
    this.bufN = n + 1;
  }

  private readonly columns: boolean;
  private readonly resolve: ((instrument: string) => number) | undefined;
  /** The resolved code of the instrument of the row being read (UNRESOLVED: none yet). */
  private code = UNRESOLVED;

  push(rawLine: string): readonly PortfolioEmit[] {
    if (longerThan(rawLine, MAX_CSV_LINE_BYTES)) return this.overlong(rawLine.slice(0, MAX_FIELD_BYTES + 2), Buffer.byteLength(rawLine, 'utf8'));
    this.line++;
    let line = rawLine;
    if (this.line === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    const rec = this.record;
    if (rec) {
      this.checkOpenRecord(rec);
      if (!rec.feed(line, true)) return NONE;
      this.record = undefined;
      this.onRecord(rec);
      return this.flush();
    }
    // Fast path, the common row: no quote, exactly three fields (what the general record parser
    // would split it into, without its per-line allocations).
    if (this.header) {
      const c1 = line.indexOf(',');
      const c2 = c1 < 0 ? -1 : line.indexOf(',', c1 + 1);
      if (c2 >= 0 && line.indexOf(',', c2 + 1) < 0 && line.indexOf('"') < 0) {
        this.fields3(this.line, line.slice(0, c1), line.slice(c1 + 1, c2), line.slice(c2 + 1));
        return this.flush();
      }
    }
    if (line.trim() === '') return NONE;
    const r = new CsvRecord(this.line, line);
    if (!r.feed(line, false)) { this.record = r; return NONE; }
    this.onRecord(r);
    return this.flush();
  }

  /**
   * Feeds one physical line given as UTF-8 bytes buf[start, end), without its line terminator:
   * the same as push() of its text. The common row (ASCII, no quote, three fields, once the header
   * is read) is read from the bytes, making no string but the portfolio id when it changes. A line
   * that is not valid UTF-8 is a malformed row of the portfolio named by its first field (read with
   * U+FFFD for the bad bytes); before the header it is a file-level error.
   */
  pushBytes(buf: Uint8Array, start: number, end: number): readonly PortfolioEmit[] {
    if (end - start > MAX_CSV_LINE_BYTES) return this.pushOverlong(buf, start, Math.min(end, start + MAX_FIELD_BYTES + 2), end - start);
    if (this.header && this.record === undefined) {
      let e = end;
      if (e > start && buf[e - 1] === 13) e--;
      let c1 = -1, c2 = -1, plain = true;
      for (let i = start; i < e; i++) {
        const b = buf[i];
        if (b === 44) {
          if (c1 < 0) c1 = i;
          else if (c2 < 0) c2 = i;
          else { plain = false; break; }
        } else if (b === 34 || b > 127) {
          plain = false;
          break;
        }
      }
      if (plain && c2 >= 0) {
        this.plainRow(buf, start, c1, c2, e);
        return this.flush();
      }
    }
    const d = decodeLine(buf, start, end);
    if (d.invalid === undefined) return this.push(d.text);
    return this.pushMalformed(d.text, d.invalid);
  }

  /**
   * Feeds whole lines: buf[start, end) is a run of lines, each ended by LF, with no CR anywhere
   * (what a stream of LF-ended lines gives). The same as pushBytes of each line, in one pass over
   * the bytes (finding a line's end and its commas together).
   */
  pushLines(buf: Uint8Array, start: number, end: number): readonly PortfolioEmit[] {
    let got: PortfolioEmit[] | undefined;
    let pos = start;
    while (pos < end) {
      // Three plain fields, the instrument's hash made on the way (for the interner).
      let i = pos, c1 = -1, c2 = -1, h = FNV_OFFSET;
      while (PLAIN[buf[i]] === 1) i++;
      if (buf[i] === 44) {
        c1 = i++;
        for (let b = buf[i]; PLAIN[b] === 1; b = buf[++i]) h = Math.imul(h ^ b, FNV_PRIME);
        if (buf[i] === 44) {
          c2 = i++;
          while (PLAIN[buf[i]] === 1) i++;
        }
      }
      if (c2 >= 0 && buf[i] === 10 && this.header && this.record === undefined && i - pos <= MAX_CSV_LINE_BYTES) {
        this.plainRow(buf, pos, c1, c2, i, h & 0x3fffffff);
        pos = i + 1;
        continue;
      }
      while (buf[i] !== 10) i++; // the region ends with LF
      const emits = this.pushBytes(buf, pos, i);
      if (emits.length > 0) (got ??= []).push(...emits);
      pos = i + 1;
    }
    const rest = this.flush();
    if (got === undefined) return rest;
    if (rest.length > 0) got.push(...rest);
    return got;
  }

  /**
   * The common row, ASCII, no quote: fields buf[start, c1), (c1, c2), (c2, e); `hash` the
   * instrument's (ByteInterner.hash), when the caller made it.
   */
  private plainRow(buf: Uint8Array, start: number, c1: number, c2: number, e: number, hash = -1): void {
    this.line++;
    const id = c1 === start ? '' : this.idText(buf, start, c1);
    let instrument = '';
    this.code = UNRESOLVED;
    if (c2 - c1 - 1 > MAX_FIELD_BYTES) {
      instrument = asciiText(buf, c1 + 1, c2); // an error (fields3), not remembered
    } else if (c2 > c1 + 1) {
      const k = this.interner.entry(buf, c1 + 1, c2, hash);
      if (k >= 0) {
        instrument = this.interner.strings[k];
        if (this.resolve) this.code = this.interner.codes[k] ??= this.resolve(instrument);
      } else {
        instrument = asciiText(buf, c1 + 1, c2);
      }
    }
    const q = quantityFastBytes(buf, c2 + 1, e);
    const o = this.open;
    if (this.sink !== undefined && o !== undefined && o.id === id && q === q && instrument !== '') {
      // The common case of fields3 and row, written out here: a good position of the open
      // portfolio, in sink mode. (Passing the quantity down the calls would box it: one allocation
      // a row.)
      const n = this.bufN;
      if (n === this.bufQty.length) this.bufGrow();
      this.bufQty[n] = q;
      this.bufCodes[n] = this.code;
      this.bufInstr[n] = instrument;
      this.bufN = n + 1;
      return;
    }
    this.fields3(this.line, id, instrument, q === q ? q : asciiText(buf, c2 + 1, e), this.code);
  }

  /**
   * A quoted field may hold line breaks, but no id or quantity holds thousands: a quote left open
   * (a stray quote in a large file) is reported here, rather than after the rest of the file has
   * been gathered into one field.
   */
  private checkOpenRecord(rec: CsvRecord): void {
    if (this.line - rec.startLine >= MAX_RECORD_LINES) {
      throw new InputError(
        `${this.source}: row ${rec.startLine}: a quoted field opened on this row is still open ${MAX_RECORD_LINES} lines later`,
        { file: this.source, path: `row ${rec.startLine}` });
    }
    if (rec.field.length > MAX_CSV_LINE_BYTES) {
      throw new InputError(
        `${this.source}: row ${rec.startLine}: a quoted field opened on this row is longer than ${MAX_CSV_LINE_BYTES} characters at line ${this.line}`,
        { file: this.source, path: `row ${rec.startLine}` });
    }
  }

  /**
   * A line longer than MAX_CSV_LINE_BYTES (`bytes` long, of which buf[start, end) are the first):
   * an error of its row, charged to the portfolio its first field names when that field is plain and
   * within its first bytes (else an entry of its own). Before the header, or inside a quoted field,
   * a file-level error.
   */
  pushOverlong(buf: Uint8Array, start: number, end: number, bytes: number): readonly PortfolioEmit[] {
    return this.overlong(utf8Lossy.decode(buf.subarray(start, end)), bytes);
  }

  private overlong(head: string, bytes: number): readonly PortfolioEmit[] {
    this.line++;
    const n = this.line;
    const what = `is ${bytes} bytes long; the limit is ${MAX_CSV_LINE_BYTES} bytes`;
    if (!this.header) {
      throw new InputError(`${this.source}: line ${n} ${what}; expected the header "${CSV_HEADER}"`, { file: this.source, path: `line ${n}` });
    }
    const rec = this.record;
    if (rec) {
      throw new InputError(`${this.source}: row ${rec.startLine}: a quoted field opened on this row is still open at line ${n}, which ${what}`,
        { file: this.source, path: `row ${rec.startLine}` });
    }
    const c = head.indexOf(',');
    const id = c > 0 && head.lastIndexOf('"', c) < 0 ? head.slice(0, c) : '';
    this.charge(n, id, '', NaN, `row ${n}: the line ${what}`);
    return this.flush();
  }

  /** A line that could not be read as text (`reason`): its row is malformed. */
  private pushMalformed(text: string, reason: string): readonly PortfolioEmit[] {
    this.line++;
    if (!this.header) {
      throw new InputError(`${this.source}: line ${this.line}: ${reason}`, { file: this.source, path: `line ${this.line}` });
    }
    const rec = this.record;
    if (rec) {
      this.checkOpenRecord(rec);
      rec.error ??= reason;
      if (!rec.feed(text, true)) return NONE;
      this.record = undefined;
      this.onRecord(rec);
      return this.flush();
    }
    const r = new CsvRecord(this.line, text);
    const complete = r.feed(text, false);
    r.error = reason;
    if (!complete) { this.record = r; return NONE; }
    this.onRecord(r);
    return this.flush();
  }

  private readonly interner = new ByteInterner();
  private idBytes = new Uint8Array(64);
  private idLen = -1;
  private idString = '';

  /** The portfolio id in ASCII bytes buf[s, e): the previous row's string when the bytes are the same. */
  private idText(buf: Uint8Array, s: number, e: number): string {
    const n = e - s;
    if (n === this.idLen) {
      const c = this.idBytes;
      let i = 0;
      while (i < n && c[i] === buf[s + i]) i++;
      if (i === n) return this.idString;
    }
    const text = asciiText(buf, s, e);
    if (n > this.idBytes.length) this.idBytes = new Uint8Array(n * 2);
    this.idBytes.set(buf.subarray(s, e));
    this.idLen = n;
    this.idString = text;
    return text;
  }

  end(): readonly PortfolioEmit[] {
    const rec = this.record;
    if (rec && !this.header) {
      throw new InputError(`${this.source}: row ${rec.startLine}: a quoted field opened on this row is never closed`,
        { file: this.source, path: `row ${rec.startLine}` });
    }
    if (rec) {
      // The file ends inside a quoted field: that row (which took in the lines after it) is an error
      // of the portfolio its first field names (an entry of its own when the quote opened there);
      // the portfolios before it are complete.
      this.record = undefined;
      const lines = this.line - rec.startLine + 1;
      rec.error = `a quoted field opened on this row is never closed (the file ends inside it, ${lines} line${lines > 1 ? 's' : ''} on)`;
      this.onRecord(rec);
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
    if (r.error === undefined && f.length === 3) {
      this.fields3(row, f[0], f[1], f[2]);
      return;
    }
    const error = r.error !== undefined ? `row ${row}: ${r.error}` : `row ${row}: expected 3 fields (${CSV_HEADER}), got ${f.length}`;
    this.charge(row, f.length > 0 ? f[0] : '', '', NaN, error);
  }

  /** A record of exactly three well-formed fields; the quantity as text, or already read by the byte path. */
  private fields3(row: number, id: string, instrument: string, quantity: string | number, code = UNRESOLVED): void {
    let error: string | undefined;
    let q = NaN;
    let why: string | undefined;
    if (id === '') error = `row ${row}: empty portfolio id`;
    else if (this.open?.id !== id && (error = idProblem(`row ${row}`, id)) !== undefined) id = ''; // an entry of its own
    else if (instrument === '') error = `row ${row}: empty instrument`;
    else if (longerThan(instrument, MAX_FIELD_BYTES)) error = `row ${row}: instrument ${show(instrument)} is longer than the limit of ${MAX_FIELD_BYTES} bytes`;
    else if ((why = unreadableText(instrument)) !== undefined) error = `row ${row}: instrument ${show(instrument)} ${why}; portfolio files are UTF-8`;
    else if (typeof quantity === 'string' && longerThan(quantity, MAX_FIELD_BYTES)) {
      error = `row ${row}: quantity ${show(quantity)} is longer than the limit of ${MAX_FIELD_BYTES} bytes`;
    } else {
      q = typeof quantity === 'number' ? quantity : parseQuantity(quantity);
      if (Number.isNaN(q)) error = `row ${row}: quantity ${show(quantity)} is not a finite number`;
    }
    this.charge(row, id, instrument, q, error, code);
  }

  /** Charges a row (its position, or its error) to its portfolio. */
  private charge(row: number, id: string, instrument: string, quantity: number, error: string | undefined, code = UNRESOLVED): void {
    const bad = id === '' ? `row ${row}: empty portfolio id` : this.open?.id === id ? undefined : idProblem(`row ${row}`, id);
    if (bad !== undefined) {
      // No portfolio to charge the row to (no id, or one that cannot be trusted to name one): an
      // error entry of its own.
      const entry = { seq: this.nextSeq++, portfolio: { id: `row ${row}`, error: error ?? bad } };
      if (this.open) this.queued.push(entry);
      else this.emit(entry.seq, entry.portfolio);
      return;
    }
    this.row(id, row, instrument, quantity, error, code);
  }

  private row(id: string, row: number, instrument: string, quantity: number, error: string | undefined, code: number): void {
    const o = this.open;
    if (o && o.id === id) {
      if (error === undefined) {
        if (this.sink) this.bufPush(instrument, quantity, code);
        else {
          o.instruments.push(instrument);
          o.quantities.push(quantity);
          if (this.resolve) o.codes.push(code === UNRESOLVED ? this.resolve(instrument) : code);
        }
      }
      else if (o.error === undefined) o.error = error;
      else o.moreErrors++;
      return;
    }
    this.close();
    // An id met before (rows not contiguous): its rows add to that portfolio, under its seq (an
    // amending emit); a new id is a new portfolio, in order of first appearance.
    let seq = this.seen.seq(id);
    const amends = seq >= 0;
    let key = id;
    if (!amends) {
      seq = this.nextSeq++;
      key = ownString(id);
      this.seen.add(key, seq, false, row);
    }
    if (this.sink) {
      this.bufN = 0;
      if (error === undefined) this.bufPush(instrument, quantity, code);
      this.open = { id: key, seq, amends, instruments: NO_STRINGS, quantities: NO_NUMBERS, codes: NO_NUMBERS, error, moreErrors: 0 };
      return;
    }
    this.open = error === undefined
      ? {
        id: key, seq, amends, instruments: [instrument], quantities: [quantity],
        codes: this.resolve ? [code === UNRESOLVED ? this.resolve(instrument) : code] : [], moreErrors: 0,
      }
      : { id: key, seq, amends, instruments: [], quantities: [], codes: [], error, moreErrors: 0 };
  }

  /** Emits the open portfolio (if any) and the error entries queued behind it. */
  private close(): void {
    const o = this.open;
    this.open = undefined;
    if (o) {
      if (o.error !== undefined) {
        this.emit(o.seq, { id: o.id, error: withMoreErrors(o.error, o.moreErrors) }, o.amends, o.error, 1 + o.moreErrors);
      } else if (this.sink) {
        this.sink.portfolio(o.seq, o.id, this.bufCodes, this.bufInstr, this.bufQty, this.bufN);
      } else {
        this.emit(o.seq, this.columns
          ? {
            id: o.id, positions: NO_POSITIONS,
            columns: this.resolve ? { instruments: o.instruments, quantities: o.quantities, codes: o.codes } : { instruments: o.instruments, quantities: o.quantities },
          }
          : { id: o.id, positions: o.instruments.map((instrument, k) => ({ instrument, quantity: o.quantities[k] })) }, o.amends);
      }
    }
    for (const q of this.queued) this.emit(q.seq, q.portfolio);
    this.queued = [];
  }
}
