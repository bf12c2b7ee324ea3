/**
 * Reading portfolio files (docs/methods.md §4): CSV `portfolio,instrument,quantity`, or NDJSON
 * with one portfolio a line. Both readers are incremental, line-based state machines (a big file
 * can be streamed through them line by line); the whole-text functions are built on them.
 *
 * File-level problems (CSV: empty file, missing or wrong header, a quoted field still open
 * MAX_RECORD_LINES lines later or longer than MAX_CSV_LINE_BYTES; a line that is not UTF-8, or too
 * long, before the header) throw InputError naming the file. Row-level problems make only their
 * portfolio an error, with a one-line reason naming the row (the 1-based line number in the file)
 * and the field; echoed values are cut (errors.ts show).
 *
 * Limits (every reader, text or bytes): a field (id, instrument, quantity) of at most
 * MAX_FIELD_BYTES, a CSV line of at most MAX_CSV_LINE_BYTES, an NDJSON line of at most
 * MAX_NDJSON_LINE_BYTES, in UTF-8 bytes; past them, an error of the row naming the limit. Parsing
 * is linear in the input (no backtracking regular expression).
 *
 * Ids that are not text: a portfolio id holding a byte that is not UTF-8, U+FFFD (the mark such
 * bytes leave once decoded) or a lone surrogate, or longer than the field limit, names no
 * portfolio: its row is an error entry of its own (`row N`; NDJSON `line N`), so ids that differ
 * only in such bytes are never merged. Such an instrument is an error of its portfolio.
 *
 * The end of the file: a last line without a line end is read whole (the whole-text and stream
 * readers report it through onWarning); a quoted field the file ends inside is an error of its
 * row's portfolio, and the portfolios before it are complete.
 *
 * CSV:
 * - RFC 4180: fields separated by commas, optionally quoted with "..." ("" is a quote inside a
 *   quoted field, which may also hold commas and line breaks); CRLF or LF line ends; a UTF-8
 *   byte-order mark is ignored; blank (or whitespace-only) lines are skipped; nothing is trimmed
 *   (" BTC" is not "BTC"). A line break inside a quoted field is read as "\n" whatever the file
 *   used (and the whole-text functions also take a lone CR as a line break).
 * - The header is exactly `portfolio,instrument,quantity` (case-sensitive: the one spelling of
 *   docs/methods.md §4.1; the message shows what was expected). No extra columns.
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
 * NDJSON: one portfolio a line, `{"portfolio":"P1","positions":[{"instrument":"BTC-PERP","quantity":-2}]}`,
 * no other fields; blank lines skipped; an unreadable line is an error entry whose id is the
 * line's "portfolio" when it can be read, else `line N`; an id on several lines is one portfolio,
 * its positions in line order (the later lines are amending emits). An empty file holds no
 * portfolios.
 *
 * Bytes (streams, src/portfolio/stream.ts): lines can be fed as UTF-8 bytes (pushBytes, or
 * pushLines for a run of LF-ended lines), with the same results as their text. A line that is
 * not valid UTF-8 is a malformed row ("not valid UTF-8 (byte 0xE9 at column 2)") of the portfolio
 * its first field names (read with U+FFFD for the bad bytes; NDJSON: an unreadable line); before
 * the CSV header it is a file-level error (a UTF-16 file, for example). The common CSV row (ASCII,
 * no quote) is read straight from the bytes: no string but the portfolio id when it changes and
 * each distinct instrument once. For the batch engine a CSV reader can also resolve instruments
 * once each (options.resolve) and deliver portfolios as reused columns to a sink (options.sink).
 */
import { checkParseArgs } from '../options.js';
import { InputError, show } from '../errors.js';
import { JsonSyntaxError, parseJsonText } from '../market/validate.js';
import type { ParsedPortfolio, ParsedPosition, PortfolioEmit, PortfolioLineReader } from './types.js';
import { LineFeeder, noFinalNewline } from './stream.js';

export type { ParsedPortfolio, ParsedPosition, PortfolioEmit, PortfolioLineReader } from './types.js';

export const CSV_HEADER = 'portfolio,instrument,quantity';
/** Lines a quoted field may span before the reader calls it unclosed (a file-level error). */
export const MAX_RECORD_LINES = 10_000;
const HEADER_FIELDS = ['portfolio', 'instrument', 'quantity'];
/**
 * The longest field (portfolio id, instrument, quantity) accepted, in UTF-8 bytes: a longer one is
 * an error of its row (a portfolio id that long makes its row an entry of its own, `row N`).
 */
export const MAX_FIELD_BYTES = 1024;
/**
 * The longest CSV line accepted, in UTF-8 bytes (three fields at the field limit, quoted, fit many
 * times over): a longer line is an error of its row, read without keeping more than its first bytes.
 */
export const MAX_CSV_LINE_BYTES = 64 * 1024;
/** The longest NDJSON line (one portfolio with all its positions) accepted, in UTF-8 bytes. */
export const MAX_NDJSON_LINE_BYTES = 64 * 1024 * 1024;
const NONE: readonly PortfolioEmit[] = Object.freeze([]);
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

/** Exact powers of ten 10^0 .. 10^22 (every one a double). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** A quantity as written in a file, or NaN when it is not a finite decimal number. */
export function parseQuantity(s: string): number {
  const fast = quantityFast(s);
  if (fast === fast) return fast; // not NaN
  if (!isDecimal(s)) return NaN;
  const q = Number(s);
  return Number.isFinite(q) ? q + 0 : NaN; // + 0 turns -0 into 0
}

/**
 * Whether s is a decimal number `[+-](digits[.digits] | .digits)[(e|E)[+-]digits]`: one pass over
 * its characters (a regular expression for this grammar backtracks quadratically on a long run of
 * digits followed by a bad character).
 */
export function isDecimal(s: string): boolean {
  const n = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 43 || c === 45) c = s.charCodeAt(++i);
  let digits = 0;
  while (c >= 48 && c <= 57) { digits++; c = s.charCodeAt(++i); }
  if (c === 46) {
    c = s.charCodeAt(++i);
    while (c >= 48 && c <= 57) { digits++; c = s.charCodeAt(++i); }
  }
  if (digits === 0) return false;
  if (c === 101 || c === 69) {
    c = s.charCodeAt(++i);
    if (c === 43 || c === 45) c = s.charCodeAt(++i);
    let e = 0;
    while (c >= 48 && c <= 57) { e++; c = s.charCodeAt(++i); }
    if (e === 0) return false;
  }
  return i === n;
}

/** Whether s is longer than `limit` bytes in UTF-8 (linear; no encoding made for short strings). */
export function longerThan(s: string, limit: number): boolean {
  return s.length > limit || (s.length * 3 > limit && Buffer.byteLength(s, 'utf8') > limit);
}

/**
 * Why a portfolio id or instrument cannot be used as text, or undefined: a lone surrogate (no
 * UTF-8 spelling) or U+FFFD, the mark left where bytes that were not UTF-8 were decoded (by this
 * reader or by whoever made the string): two ids that differ only in such bytes would read the same,
 * so such an id is never merged with another.
 */
function unreadableText(s: string): string | undefined {
  if (s.indexOf('\uFFFD') >= 0) return 'holds U+FFFD (bytes that were not UTF-8, decoded as text)';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const d = s.charCodeAt(i + 1);
    if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return 'holds a lone UTF-16 surrogate (not text)';
    i++;
  }
  return undefined;
}

/**
 * The common quantity `[+-]digits[.digits]` with at most 15 digits, without the regular expression
 * (streaming large books spends most of its parse time here otherwise); NaN means "use the general
 * path", never "invalid". Exact: the digits form an integer m < 10^15 < 2^53 and 10^f (f <= 15) is
 * a double, so the one rounding of m / 10^f is the correctly rounded value of the decimal, the
 * double Number(s) returns (Clinger's fast path).
 */
function quantityFast(s: string): number {
  const n = s.length;
  if (n === 0 || n > 17) return NaN;
  let i = 0;
  let c = s.charCodeAt(0);
  const neg = c === 45;
  if (neg || c === 43) i = 1;
  let m = 0, digits = 0, frac = 0, dot = false;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (dot) frac++;
    } else if (c === 46 && !dot) {
      dot = true;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || digits > 15) return NaN;
  const v = frac === 0 ? m : m / POW10[frac];
  return (neg ? -v : v) + 0; // + 0 turns -0 into 0
}

/** quantityFast on the ASCII bytes buf[s, e). */
function quantityFastBytes(buf: Uint8Array, s: number, e: number): number {
  const n = e - s;
  if (n === 0 || n > 17) return NaN;
  let i = s;
  let c = buf[s];
  const neg = c === 45;
  if (neg || c === 43) i++;
  let m = 0, digits = 0, frac = 0, dot = false;
  for (; i < e; i++) {
    c = buf[i];
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (dot) frac++;
    } else if (c === 46 && !dot) {
      dot = true;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || digits > 15) return NaN;
  const v = frac === 0 ? m : m / POW10[frac];
  return (neg ? -v : v) + 0;
}

// ---------------------------------------------------------------------------------------------
// Bytes: lines as UTF-8, for streams (pushBytes).

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');
const encoder = new TextEncoder();
const latin1Decoder = new TextDecoder('latin1');

/** The text of bytes known to be ASCII. */
function asciiText(buf: Uint8Array, s: number, e: number): string {
  return Buffer.isBuffer(buf) ? buf.toString('latin1', s, e) : latin1Decoder.decode(buf.subarray(s, e));
}

/**
 * A line's text, or, when its bytes are not valid UTF-8, the reason (naming the first bad byte and
 * its 1-based column) and the text with each bad sequence replaced by U+FFFD.
 */
function decodeLine(buf: Uint8Array, s: number, e: number): { text: string; invalid?: string } {
  const bytes = buf.subarray(s, e);
  try {
    return { text: utf8Strict.decode(bytes) };
  } catch {
    let at = 0;
    // The first byte from which no valid sequence can be decoded.
    for (let lo = 0; lo < bytes.length;) {
      const len = utf8SequenceLength(bytes, lo);
      if (len === 0) { at = lo; break; }
      lo += len;
    }
    const hex = bytes[at].toString(16).toUpperCase().padStart(2, '0');
    return { text: utf8Lossy.decode(bytes), invalid: `not valid UTF-8 (byte 0x${hex} at column ${at + 1}); portfolio files are UTF-8` };
  }
}

/** Length of the valid UTF-8 sequence starting at b[i], or 0 when none starts there. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  let n: number, min: number;
  if (c >= 0xc2 && c <= 0xdf) { n = 2; min = 0x80; }
  else if (c >= 0xe0 && c <= 0xef) { n = 3; min = 0x800; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4; min = 0x10000; }
  else return 0;
  if (i + n > b.length) return 0;
  let cp = c & (0x7f >> n);
  for (let k = 1; k < n; k++) {
    const d = b[i + k];
    if ((d & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (d & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
/** A code not computed yet (CsvPortfolioReader's resolve). */
const UNRESOLVED = -2;
const FNV_PRIME = 16777619;

/** 1 for the bytes a plain CSV field is made of: ASCII but comma, quote, CR and LF. */
const PLAIN = new Uint8Array(256);
for (let b = 0; b < 128; b++) PLAIN[b] = b === 44 || b === 34 || b === 10 || b === 13 ? 0 : 1;

/**
 * Strings of byte sequences met before, so the common row makes no new instrument string (an
 * interned string also keeps its hash, which makes the instrument lookup that follows cheaper).
 * Bounded: past MAX entries new sequences are decoded without being remembered.
 */
class ByteInterner {
  private static readonly MAX = 1 << 16;
  private table = new Int32Array(1 << 10).fill(-1);
  private hashes = new Int32Array(1 << 9);
  private starts = new Int32Array(1 << 9);
  private lens = new Int32Array(1 << 9);
  private bytes = new Uint8Array(1 << 14);
  private used = 0;
  readonly strings: string[] = [];
  /** A consumer's value per entry (CsvPortfolioReader: the resolved code), made on first use. */
  readonly codes: (number | undefined)[] = [];

  /** FNV-1a of buf[s, e), cut to 30 bits (a small integer for V8: no boxing). */
  static hash(buf: Uint8Array, s: number, e: number): number {
    let h = FNV_OFFSET;
    for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i], FNV_PRIME);
    return h & 0x3fffffff;
  }

  /** The text of the ASCII bytes buf[s, e), whose hash is `hash` when >= 0. */
  get(buf: Uint8Array, s: number, e: number, hash = -1): string {
    const k = this.entry(buf, s, e, hash);
    return k >= 0 ? this.strings[k] : asciiText(buf, s, e);
  }

  /** The entry of the ASCII bytes buf[s, e) (made when new), or -1 when the interner is full. */
  entry(buf: Uint8Array, s: number, e: number, hash = -1): number {
    const h = hash >= 0 ? hash : ByteInterner.hash(buf, s, e);
    const mask = this.table.length - 1;
    const n = e - s;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const k = this.table[slot];
      if (k < 0) break;
      if (this.hashes[k] !== h || this.lens[k] !== n) continue;
      const at = this.starts[k];
      let i = 0;
      const bytes = this.bytes;
      while (i < n && bytes[at + i] === buf[s + i]) i++;
      if (i === n) return k;
    }
    const k = this.strings.length;
    if (k >= ByteInterner.MAX) return -1;
    const text = asciiText(buf, s, e);
    if (k >= this.hashes.length) {
      this.hashes = grow(this.hashes, k * 2);
      this.starts = grow(this.starts, k * 2);
      this.lens = grow(this.lens, k * 2);
    }
    if (this.used + n > this.bytes.length) {
      const b = new Uint8Array(Math.max(this.bytes.length * 2, this.used + n));
      b.set(this.bytes);
      this.bytes = b;
    }
    this.bytes.set(buf.subarray(s, e), this.used);
    this.hashes[k] = h;
    this.starts[k] = this.used;
    this.lens[k] = n;
    this.used += n;
    this.strings.push(text);
    this.codes.push(undefined);
    if ((k + 1) * 2 > this.table.length) this.rehash();
    else this.place(k);
    return k;
  }

  private place(k: number): void {
    const mask = this.table.length - 1;
    let slot = this.hashes[k] & mask;
    while (this.table[slot] >= 0) slot = (slot + 1) & mask;
    this.table[slot] = k;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2).fill(-1);
    for (let k = 0; k < this.strings.length; k++) this.place(k);
  }
}

function grow(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Shared bookkeeping: sequence numbers, reappearance, amendments.

/**
 * A copy of `s` that holds no reference to a larger string. V8 makes a substring of 13 or more
 * characters a view into its parent, so an id cut from a line cut from a streamed chunk would keep
 * the whole chunk alive for as long as the reader remembers the id (every id, for the rest of the
 * file): memory would grow with the file. Concatenating and cutting again flattens into a string
 * of the id's own size.
 */
function ownString(s: string): string {
  return s.length < 13 ? s : (s + ' ').slice(0, -1);
}

/**
 * The ids met so far, each with its seq, whether its portfolio is an error, whether it was amended,
 * and (NDJSON) its line: the id index, the one part of a reader's memory that grows with the file.
 * Kept compact, fast, and off the JavaScript heap (so that it does not make the garbage collector
 * grow the heap with it): an open-addressing table of (hash, seq) in typed arrays, each id's UTF-8
 * bytes in one byte arena (a hash match is confirmed by comparing the bytes), and the rest in typed
 * arrays by seq. Per portfolio: 8 bytes a slot at a load factor of 1/4 to 1/2 (16 to 32 bytes),
 * 8 bytes of arena offset and length, 1 byte of flags, and the
 * id's own bytes: about 30 to 45 bytes plus the id's length.
 */
class SeenIds {
  /** slot -> seq + 1 (0: empty), and the id's hash in the same slot. */
  private slots = new Int32Array(1 << 12);
  private hashes = new Int32Array(1 << 12);
  private count = 0;
  /** The ids' UTF-8 bytes, and where each seq's are. */
  private arena = new Uint8Array(1 << 14);
  private used = 0;
  private starts = new Int32Array(1024);
  private lens = new Int32Array(1024);
  private flags = new Uint8Array(1024);
  private lines: Float64Array | undefined;
  /** The UTF-8 bytes of the id being looked up (key), and their hash. */
  private key = new Uint8Array(256);
  private keyLen = 0;

  constructor(trackLines: boolean) {
    if (trackLines) this.lines = new Float64Array(1024);
  }

  /** Puts id's UTF-8 bytes in `key`; returns their hash (FNV-1a, 30 bits). */
  private encode(id: string): number {
    const n = id.length;
    if (this.key.length < 3 * n) this.key = new Uint8Array(3 * n + 16);
    const key = this.key;
    let h = FNV_OFFSET, len = 0;
    for (let i = 0; i < n; i++) {
      const c = id.charCodeAt(i);
      if (c >= 128) { len = encoder.encodeInto(id, key).written; h = ByteInterner.hash(key, 0, len); this.keyLen = len; return h; }
      key[len++] = c;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    this.keyLen = len;
    return h & 0x3fffffff;
  }

  /** The seq of `id`, or -1 when it was not met. */
  seq(id: string): number {
    const h = this.encode(id);
    return this.find(h);
  }

  /** The seq of the id in `key` (hash h), or -1. */
  private find(h: number): number {
    const mask = this.slots.length - 1;
    const n = this.keyLen, key = this.key, arena = this.arena;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const v = this.slots[slot];
      if (v === 0) return -1;
      if (this.hashes[slot] !== h || this.lens[v - 1] !== n) continue;
      const at = this.starts[v - 1];
      let i = 0;
      while (i < n && arena[at + i] === key[i]) i++;
      if (i === n) return v - 1;
    }
  }

  has(id: string): boolean { return this.seq(id) >= 0; }

  add(id: string, seq: number, error: boolean, line: number): void {
    if ((this.count + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    const h = this.encode(id);
    this.place(h, seq);
    this.count++;
    const n = this.keyLen;
    if (this.used + n > this.arena.length) {
      const a = new Uint8Array(Math.max(this.arena.length * 2, this.used + n));
      a.set(this.arena.subarray(0, this.used));
      this.arena = a;
    }
    this.arena.set(this.key.subarray(0, n), this.used);
    if (seq >= this.flags.length) {
      const size = Math.max(seq + 1, this.flags.length * 2);
      const f = new Uint8Array(size);
      f.set(this.flags);
      this.flags = f;
      this.starts = grow(this.starts, size);
      this.lens = grow(this.lens, size);
      if (this.lines) {
        const l = new Float64Array(size);
        l.set(this.lines);
        this.lines = l;
      }
    }
    this.starts[seq] = this.used;
    this.lens[seq] = n;
    this.used += n;
    this.flags[seq] = error ? ERROR : 0;
    if (this.lines) this.lines[seq] = line;
  }

  private place(h: number, seq: number): void {
    const mask = this.slots.length - 1;
    let slot = h & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = seq + 1;
    this.hashes[slot] = h;
  }

  private rehash(size: number): void {
    const slots = this.slots, hashes = this.hashes;
    this.slots = new Int32Array(size);
    this.hashes = new Int32Array(size);
    for (let k = 0; k < slots.length; k++) if (slots[k] !== 0) this.place(hashes[k], slots[k] - 1);
  }

  isError(seq: number): boolean { return (this.flags[seq] & ERROR) !== 0; }
  setError(seq: number): void { this.flags[seq] |= ERROR; }
}
const ERROR = 1;

/**
 * A portfolio's error message for its first bad row and `more` bad rows after it (one message
 * whatever the number of rows, and however they are spread over the file).
 */
export function withMoreErrors(first: string, more: number): string {
  return more > 0 ? `${first} (and ${more} more bad row${more > 1 ? 's' : ''})` : first;
}

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

abstract class Reader {
  protected line = 0;
  protected nextSeq = 0;
  protected readonly seen: SeenIds;
  protected out: PortfolioEmit[] | undefined;

  constructor(trackLines: boolean) {
    this.seen = new SeenIds(trackLines);
  }

  get lineNumber(): number { return this.line; }

  /** Where emits go instead of the return values of push (a CSV reader with a sink). */
  protected emitTo: ((e: PortfolioEmit) => void) | undefined;

  /** An emit; for an error, its first bad row's message and how many bad rows it stands for (see PortfolioEmit). */
  protected emit(seq: number, portfolio: ParsedPortfolio, amends = false, firstError?: string, badRows?: number): void {
    const e: PortfolioEmit = { seq, portfolio, amends };
    if (portfolio.error !== undefined && (amends || badRows !== undefined)) {
      e.firstError = firstError ?? portfolio.error;
      e.badRows = badRows ?? 1;
    }
    if (this.emitTo) this.emitTo(e);
    else (this.out ??= []).push(e);
  }

  protected flush(): readonly PortfolioEmit[] {
    const o = this.out;
    this.out = undefined;
    return o ?? NONE;
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

/**
 * Why a portfolio id cannot name a portfolio (at `where`, a row or line), or undefined: longer than the field
 * limit, or not text (see unreadableText). Such a row is an error entry of its own.
 */
function idProblem(where: string, id: string): string | undefined {
  if (longerThan(id, MAX_FIELD_BYTES)) return `${where}: portfolio id ${show(id)} is longer than the limit of ${MAX_FIELD_BYTES} bytes`;
  const why = unreadableText(id);
  return why === undefined ? undefined : `${where}: portfolio id ${show(id)} ${why}; portfolio files are UTF-8`;
}

// ---------------------------------------------------------------------------------------------
// NDJSON

const PORTFOLIO_FIELDS = ['portfolio', 'positions'];
const POSITION_FIELDS = ['instrument', 'quantity'];

/** Reads NDJSON portfolios line by line; each line's portfolio is emitted at once. */
export class NdjsonPortfolioReader extends Reader implements PortfolioLineReader {
  /** The longest line read (a longer one is an entry of its own; see pushOverlong). */
  readonly maxLineBytes = MAX_NDJSON_LINE_BYTES;
  constructor(readonly source = 'portfolios.ndjson') { super(false); }

  push(rawLine: string): readonly PortfolioEmit[] {
    if (longerThan(rawLine, MAX_NDJSON_LINE_BYTES)) return this.overlong(Buffer.byteLength(rawLine, 'utf8'));
    this.line++;
    let line = rawLine;
    if (this.line === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.trim() === '') return NONE;
    const n = this.line;
    const r = readLine(line, n);
    return this.entry(n, r.id, r.positions, r.error);
  }

  /** Line n's portfolio: its positions, or the reason it is unusable. */
  private entry(n: number, id: string | undefined, positions: ParsedPosition[] | undefined, error: string | undefined): readonly PortfolioEmit[] {
    const bad = id === undefined ? undefined : idProblem(`line ${n}`, id);
    if (bad !== undefined) {
      // An id that cannot name a portfolio: the line is an entry of its own.
      error = error ?? bad;
      id = undefined;
    }
    if (id === undefined) {
      this.emit(this.nextSeq++, { id: `line ${n}`, error: error! });
      return this.flush();
    }
    const again = this.seen.seq(id);
    if (again >= 0) {
      // An id on an earlier line: this line's positions add to that portfolio (an amending emit).
      this.emit(again, error !== undefined ? { id, error } : { id, positions: positions! }, true);
      return this.flush();
    }
    const seq = this.nextSeq++;
    this.seen.add(id, seq, error !== undefined, n);
    this.emit(seq, error !== undefined ? { id, error } : { id, positions: positions! });
    return this.flush();
  }

  /**
   * Feeds one line given as UTF-8 bytes buf[start, end), without its terminator: the same as push()
   * of its text. A line that is not valid UTF-8 is an unreadable line (an error entry named by its
   * "portfolio" when that can still be read, else `line N`).
   */
  pushBytes(buf: Uint8Array, start: number, end: number): readonly PortfolioEmit[] {
    if (end - start > MAX_NDJSON_LINE_BYTES) return this.overlong(end - start);
    const d = decodeLine(buf, start, end);
    if (d.invalid === undefined) return this.push(d.text);
    this.line++;
    const n = this.line;
    return this.entry(n, idFromBrokenLine(d.text), undefined, `line ${n}: ${d.invalid}`);
  }

  /** A line longer than MAX_NDJSON_LINE_BYTES (`bytes` long): an entry of its own, `line N`. */
  pushOverlong(_buf: Uint8Array, _start: number, _end: number, bytes: number): readonly PortfolioEmit[] {
    return this.overlong(bytes);
  }

  private overlong(bytes: number): readonly PortfolioEmit[] {
    this.line++;
    const n = this.line;
    return this.entry(n, undefined, undefined, `line ${n}: the line is ${bytes} bytes long; the limit is ${MAX_NDJSON_LINE_BYTES} bytes`);
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
    if (longerThan(instrument, MAX_FIELD_BYTES)) return bad(`${at}.instrument: ${show(instrument)} is longer than the limit of ${MAX_FIELD_BYTES} bytes`);
    const why = unreadableText(instrument);
    if (why !== undefined) return bad(`${at}.instrument: ${show(instrument)} ${why}; portfolio files are UTF-8`);
    const quantity = Object.prototype.hasOwnProperty.call(po, 'quantity') ? po.quantity : undefined;
    if (typeof quantity !== 'number' || !Number.isFinite(quantity)) {
      return bad(`${at}.quantity: expected a finite number, got ${show(quantity)}`);
    }
    positions.push({ instrument, quantity: quantity + 0 });
  }
  return { id, positions };
}

/**
 * The "portfolio" string of a line that is not valid JSON, when it can still be read: after the
 * first `"portfolio"` key, within the field limit. One pass (no backtracking search).
 */
function idFromBrokenLine(line: string): string | undefined {
  const key = line.indexOf('"portfolio"');
  if (key < 0) return undefined;
  let i = key + 11;
  const ws = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
  while (ws(line.charCodeAt(i))) i++;
  if (line.charCodeAt(i) !== 58 /* : */) return undefined;
  i++;
  while (ws(line.charCodeAt(i))) i++;
  if (line.charCodeAt(i) !== 34) return undefined;
  const start = i;
  const stop = Math.min(line.length, start + 6 * MAX_FIELD_BYTES + 2);
  for (i = start + 1; i < stop; i++) {
    const c = line.charCodeAt(i);
    if (c === 92 /* \ */) { i++; continue; }
    if (c !== 34) continue;
    try {
      const id: unknown = JSON.parse(line.slice(start, i + 1));
      return typeof id === 'string' && id !== '' ? id : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Whole texts

/**
 * Gathers a reader's emits into one portfolio per seq: an amending emit adds its positions to its
 * portfolio (in file order), or makes it an error (its first bad row's message, with the bad rows
 * of every part counted).
 */
export class EmitMerger {
  readonly out: ParsedPortfolio[] = [];
  /** Error portfolios that may still grow: the first bad row's message and the bad rows so far. */
  private readonly errors = new Map<number, { first: string; bad: number }>();

  take(e: PortfolioEmit): void {
    const p = e.portfolio;
    if (!e.amends) {
      this.out[e.seq] = p;
      if (p.error !== undefined) this.errors.set(e.seq, { first: e.firstError ?? p.error, bad: e.badRows ?? 1 });
      return;
    }
    const prev = this.out[e.seq];
    if (p.error !== undefined) {
      const known = this.errors.get(e.seq);
      const state = known ?? { first: e.firstError ?? p.error, bad: 0 };
      state.bad += e.badRows ?? 1;
      this.errors.set(e.seq, state);
      this.out[e.seq] = { id: prev.id, error: withMoreErrors(state.first, state.bad - 1) };
      return;
    }
    if (prev.error !== undefined) return;
    const more = p.positions;
    const to = prev.positions;
    for (let k = 0; k < more.length; k++) to.push(more[k]);
  }
}

/** Splits text into lines at CRLF, LF or CR. */
function lines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

export interface ParseOptions {
  /** Non-fatal findings (the last line has no line end). */
  onWarning?: (message: string) => void;
}

/**
 * Runs a whole input through a reader: one portfolio per distinct id, in order of first appearance.
 * A text is cut into lines here; bytes (UTF-8) go through the stream's line feeder, exactly as a
 * stream of them would (a byte that is not UTF-8 is an error of its row, never a U+FFFD in an id).
 */
export function readAll(reader: PortfolioLineReader, text: string | Uint8Array, options: ParseOptions = {}): ParsedPortfolio[] {
  const merger = new EmitMerger();
  const take = (emits: readonly PortfolioEmit[]) => { for (const e of emits) merger.take(e); };
  const out = merger.out;
  const source = (reader as { source?: string }).source ?? 'portfolios';
  if (typeof text !== 'string') {
    const feeder = new LineFeeder(reader, source);
    feeder.push(text, take);
    feeder.end(take, options.onWarning);
    return out;
  }
  const all = lines(text);
  // After a final line end there is no line (a stream has none there either).
  const last = all[all.length - 1] === '' ? all.length - 1 : all.length;
  for (let k = 0; k < last; k++) take(reader.push(all[k]));
  if (last === all.length && text !== '') options.onWarning?.(noFinalNewline(source, reader.lineNumber));
  take(reader.end());
  return out;
}

/** Parses CSV portfolios (`portfolio,instrument,quantity`), from a text or UTF-8 bytes. */
export function parsePortfoliosCsv(text: string | Uint8Array, source = 'portfolios.csv', options?: ParseOptions): ParsedPortfolio[] {
  checkParseArgs(text, source, options, 'parsePortfoliosCsv');
  return readAll(new CsvPortfolioReader(source), text, options);
}

/** Parses NDJSON portfolios (one `{"portfolio": ..., "positions": [...]}` a line), from a text or UTF-8 bytes. */
export function parsePortfoliosNdjson(text: string | Uint8Array, source = 'portfolios.ndjson', options?: ParseOptions): ParsedPortfolio[] {
  checkParseArgs(text, source, options, 'parsePortfoliosNdjson');
  return readAll(new NdjsonPortfolioReader(source), text, options);
}

/** True when `source` names an NDJSON file (.ndjson or .jsonl); anything else is read as CSV. */
export function isNdjsonName(source: string): boolean {
  return /\.(ndjson|jsonl)$/i.test(source);
}

/** A line reader for `source`, chosen by its extension. */
export function portfolioReader(source: string): PortfolioLineReader {
  return isNdjsonName(source) ? new NdjsonPortfolioReader(source) : new CsvPortfolioReader(source);
}

/**
 * Parses portfolios, as NDJSON when `source` ends in .ndjson or .jsonl, else as CSV: a text, or
 * the file's bytes (UTF-8; then bytes that are not UTF-8 are errors of their rows, as on a stream).
 */
export function parsePortfolios(text: string | Uint8Array, source = 'portfolios.csv', options?: ParseOptions): ParsedPortfolio[] {
  checkParseArgs(text, source, options, 'parsePortfolios');
  return readAll(portfolioReader(source), text, options);
}
