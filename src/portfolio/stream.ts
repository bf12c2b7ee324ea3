/**
 * Portfolio files as byte streams: chunks are cut into lines (LF, CRLF or a lone CR, as the
 * whole-text readers of parse.ts cut a text) and fed to a line reader as bytes (pushBytes), so a
 * file of any size is read with memory bounded by the reader's line limit. A line's bytes are
 * handed over without being copied unless the line straddles two chunks. A line longer than the
 * limit is not gathered: its first bytes are kept, the rest counted and dropped, and the reader
 * told (pushOverlong), so a 50 MB line costs no more memory than a short one.
 */
import { InputError } from '../errors.js';
import type { PortfolioEmit, PortfolioLineReader } from './types.js';

/** The longest line accepted (a portfolio file has no line near this long; a binary file might). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export type EmitSink = (emits: readonly PortfolioEmit[]) => void;

/** A line reader with a line limit of its own (the readers of parse.ts). */
interface LimitedReader extends PortfolioLineReader {
  /** The longest line it reads, in bytes. */
  readonly maxLineBytes: number;
  /** A line of `bytes` bytes, longer than maxLineBytes, of which buf[start, end) are the first. */
  pushOverlong(buf: Uint8Array, start: number, end: number, bytes: number): readonly PortfolioEmit[];
}

/** Bytes of an over-long line kept for the reader (enough for a first field at the field limit). */
const OVERLONG_HEAD = 2048;

/** The warning for input that does not end with a line end (the last line was read as it is). */
export function noFinalNewline(source: string, line: number): string {
  return `${source}: the last line (line ${line}) has no line end; it was read as it is (if the file was cut short, its last row is incomplete)`;
}

export class LineFeeder {
  /** Bytes of an unfinished line from earlier chunks. */
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** The last chunk ended in CR: a LF opening the next one ends the same line. */
  private skipLf = false;
  /** Bytes consumed so far. */
  bytes = 0;
  /** An over-long line being skipped: its first bytes, and its length so far (-1: none). */
  private skipHead: Buffer | undefined;
  private skipBytes = -1;
  private readonly limited: LimitedReader | undefined;
  readonly maxLine: number;

  /**
   * @param maxLine the longest line; default the reader's own limit (maxLineBytes) when it has one,
   * else MAX_LINE_BYTES. A longer line goes to the reader's pushOverlong, or (a reader without one)
   * is a file-level InputError.
   */
  constructor(readonly reader: PortfolioLineReader, readonly source: string, maxLine?: number) {
    const r = reader as Partial<LimitedReader>;
    this.limited = typeof r.pushOverlong === 'function' && typeof r.maxLineBytes === 'number' ? r as LimitedReader : undefined;
    this.maxLine = maxLine ?? this.limited?.maxLineBytes ?? MAX_LINE_BYTES;
  }

  /** Feeds a chunk; what the reader emits goes to `sink`, line by line. */
  push(chunk: Uint8Array, sink: EmitSink): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const n = buf.length;
    this.bytes += n;
    let pos = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (n > 0 && buf[0] === 10) pos = 1;
    }
    let cr = -2; // next CR at or after pos; -1 none; -2 not searched yet
    while (pos < n) {
      if (this.skipBytes >= 0) {
        // The rest of an over-long line: count it up to its line end, then hand it over.
        const lf = buf.indexOf(10, pos), c = buf.indexOf(13, pos);
        const end = lf < 0 ? c : c < 0 ? lf : Math.min(lf, c);
        if (end < 0) { this.skipBytes += n - pos; return; }
        this.skipBytes += end - pos;
        this.endOverlong(sink);
        if (buf[end] === 13) {
          if (end + 1 < n) pos = buf[end + 1] === 10 ? end + 2 : end + 1;
          else { pos = n; this.skipLf = true; }
        } else pos = end + 1;
        cr = -2;
        continue;
      }
      if (cr !== -1 && cr < pos) cr = buf.indexOf(13, pos);
      if (cr < 0 && this.carryBytes === 0 && this.reader.pushLines !== undefined) {
        // No CR in the rest of the chunk: hand its whole lines over in one call.
        const last = buf.lastIndexOf(10);
        if (last >= pos) {
          sink(this.reader.pushLines(buf, pos, last + 1));
          pos = last + 1;
        }
        if (pos < n) this.keep(buf.subarray(pos));
        return;
      }
      const lf = buf.indexOf(10, pos);
      let end: number, next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        end = cr;
        if (cr + 1 < n) next = buf[cr + 1] === 10 ? cr + 2 : cr + 1;
        else { next = n; this.skipLf = true; }
      } else if (lf >= 0) {
        end = lf;
        next = lf + 1;
      } else {
        this.keep(buf.subarray(pos));
        return;
      }
      if (this.carryBytes > 0) {
        if (this.carryBytes + (end - pos) > this.maxLine && this.limited) {
          this.startOverlong(buf.subarray(pos, end));
          this.endOverlong(sink);
        } else {
          const line = Buffer.concat([...this.carry, buf.subarray(pos, end)]);
          this.carry = [];
          this.carryBytes = 0;
          this.checkLength(line.length);
          sink(this.reader.pushBytes(line, 0, line.length));
        }
      } else {
        this.checkLength(end - pos);
        sink(this.reader.pushBytes(buf, pos, end));
      }
      pos = next;
    }
  }

  /**
   * Ends the input: feeds an unterminated last line (a truncated file, or one without a final line
   * end: `onWarning` is told), then ends the reader.
   */
  end(sink: EmitSink, onWarning?: (message: string) => void): void {
    if (this.skipBytes >= 0) {
      this.endOverlong(sink);
      onWarning?.(noFinalNewline(this.source, this.reader.lineNumber));
    } else if (this.carryBytes > 0) {
      const line = Buffer.concat(this.carry);
      this.carry = [];
      this.carryBytes = 0;
      sink(this.reader.pushBytes(line, 0, line.length));
      onWarning?.(noFinalNewline(this.source, this.reader.lineNumber));
    }
    sink(this.reader.end());
  }

  private keep(part: Buffer): void {
    if (this.carryBytes + part.length > this.maxLine && this.limited) {
      this.startOverlong(part);
      return;
    }
    // A copy: the chunk's memory may be reused by the stream once we return.
    this.carry.push(Buffer.from(part));
    this.carryBytes += part.length;
    this.checkLength(this.carryBytes);
  }

  /** The line gathered so far (carry) and `part` are too long: keep the first bytes, count the rest. */
  private startOverlong(part: Buffer): void {
    const all = Buffer.concat([...this.carry, part.subarray(0, OVERLONG_HEAD)]);
    this.skipHead = Buffer.from(all.subarray(0, OVERLONG_HEAD));
    this.skipBytes = this.carryBytes + part.length;
    this.carry = [];
    this.carryBytes = 0;
  }

  private endOverlong(sink: EmitSink): void {
    const head = this.skipHead!, bytes = this.skipBytes;
    this.skipHead = undefined;
    this.skipBytes = -1;
    sink(this.limited!.pushOverlong(head, 0, head.length, bytes));
  }

  private checkLength(len: number): void {
    if (len > this.maxLine) {
      const line = this.reader.lineNumber + 1;
      throw new InputError(
        `${this.source}: line ${line} is longer than ${this.maxLine} bytes; expected a portfolio file (CSV or NDJSON)`,
        { file: this.source, path: `line ${line}` });
    }
  }
}

/** Bytes of a CSV line the scan keeps (a portfolio id longer than the field limit names no portfolio). */
const SCAN_CSV_HEAD = 1024 + 2;
/** The field limit of parse.ts (MAX_FIELD_BYTES): a longer id is an entry of its own, never grouped. */
const SCAN_FIELD_BYTES = 1024;
/** The NDJSON line limit of parse.ts (MAX_NDJSON_LINE_BYTES): a longer line names no portfolio. */
const SCAN_NDJSON_LINE_BYTES = 64 * 1024 * 1024;
const PORTFOLIO_KEY = Buffer.from('"portfolio"');

/**
 * The cheap first pass over a portfolio file: whether every portfolio's rows are contiguous (CSV)
 * or every id is on one line (NDJSON), from the bytes alone, without parsing. When it says so, the
 * readers of parse.ts never emit an amendment on the same bytes, so the batch engine can stream
 * the file and write each row as soon as it is margined; otherwise the engine groups the whole file
 * first (unsorted input). The verdict is conservative: what the scan cannot read as cheaply as the
 * reader would (a quote anywhere in a CSV file; a CR that is not part of a CRLF; an NDJSON line
 * with a backslash, or with "portfolio" more than once) counts as not contiguous, which costs
 * memory, never a wrong row.
 *
 * CSV: a line's key is its bytes up to the first comma (the whole line, without its CR, when it
 * has none); empty and whitespace-only keys and keys longer than the field limit are skipped (the
 * reader makes such rows entries of their own, which split no portfolio). NDJSON: the string after
 * the line's one `"portfolio":` key.
 *
 * Memory: the keys met, once each, in a byte arena with an open-addressing table: 8 bytes a slot
 * at a load of 1/4 to 1/2 (16 to 32 bytes), 8 bytes of offset and length, plus the id's bytes:
 * about 25 to 40 bytes a portfolio plus its id (dropped when the scan ends).
 */
export class ContiguityScan {
  /** False once a key came back after another (or the scan met what it cannot read cheaply). */
  contiguous = true;
  /** Bytes scanned. */
  bytes = 0;
  private slots = new Int32Array(1 << 12);
  private hashes = new Int32Array(1 << 12);
  private starts = new Int32Array(1024);
  private lens = new Int32Array(1024);
  private count = 0;
  private arena = new Uint8Array(1 << 14);
  private used = 0;
  /** The previous CSV key: its entry (-1: none yet). */
  private prev = -1;
  /** The unfinished line from earlier chunks (CSV: its first bytes only), and its length so far. */
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private carryKept = 0;
  /** The last chunk ended in CR: the next must open with LF. */
  private cr = false;

  constructor(readonly ndjson: boolean) {}

  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.bytes += buf.length;
    if (!this.contiguous || buf.length === 0) return;
    if (this.cr && buf[0] !== 10) { this.contiguous = false; return; }
    this.cr = false;
    if (!this.ndjson && buf.indexOf(34) >= 0) { this.contiguous = false; return; }
    if (this.ndjson && buf.indexOf(92) >= 0) { this.contiguous = false; return; }
    // Every CR must be the first byte of a CRLF (the reader also ends a line at a lone CR).
    for (let c = buf.indexOf(13); c >= 0; c = buf.indexOf(13, c + 1)) {
      if (c + 1 === buf.length) this.cr = true;
      else if (buf[c + 1] !== 10) { this.contiguous = false; return; }
    }
    let pos = 0;
    if (this.carryBytes > 0) {
      const lf = buf.indexOf(10);
      if (lf < 0) { this.keep(buf, 0, buf.length); return; }
      this.keep(buf, 0, lf);
      const line = Buffer.concat(this.carry);
      const overlong = this.ndjson && this.carryBytes > SCAN_NDJSON_LINE_BYTES;
      this.carry = [];
      this.carryBytes = this.carryKept = 0;
      if (!overlong) this.line(line, 0, line.length);
      pos = lf + 1;
    }
    while (this.contiguous) {
      const lf = buf.indexOf(10, pos);
      if (lf < 0) break;
      this.line(buf, pos, lf);
      pos = lf + 1;
    }
    if (this.contiguous && pos < buf.length) this.keep(buf, pos, buf.length);
  }

  /** Ends the input (an unterminated last line is a line). */
  end(): boolean {
    if (this.contiguous && this.carryBytes > 0 && !(this.ndjson && this.carryBytes > SCAN_NDJSON_LINE_BYTES)) {
      const line = Buffer.concat(this.carry);
      this.line(line, 0, line.length);
    }
    this.carry = [];
    this.carryBytes = this.carryKept = 0;
    return this.contiguous;
  }

  private keep(buf: Buffer, s: number, e: number): void {
    const limit = this.ndjson ? SCAN_NDJSON_LINE_BYTES + 1 : SCAN_CSV_HEAD;
    const take = Math.min(e - s, limit - this.carryKept);
    if (take > 0) {
      this.carry.push(Buffer.from(buf.subarray(s, s + take)));
      this.carryKept += take;
    }
    this.carryBytes += e - s;
  }

  /** One line buf[s, e), without its LF. */
  private line(buf: Uint8Array, s: number, e: number): void {
    if (e > s && buf[e - 1] === 13) e--;
    if (this.ndjson) {
      this.ndjsonLine(buf, s, e);
      return;
    }
    let c = s;
    while (c < e && buf[c] !== 44) c++;
    if (c === s) return; // an empty id: an entry of its own
    if (c === e) {
      let blank = true;
      for (let i = s; i < e && blank; i++) blank = buf[i] === 32 || (buf[i] >= 9 && buf[i] <= 13);
      if (blank) return; // skipped by the reader
    }
    if (c - s > SCAN_FIELD_BYTES) return; // an entry of its own
    const prev = this.prev;
    if (prev >= 0 && this.lens[prev] === c - s) {
      const at = this.starts[prev], arena = this.arena;
      let i = 0;
      while (i < c - s && arena[at + i] === buf[s + i]) i++;
      if (i === c - s) return; // the same portfolio as the line before
    }
    const k = this.enter(buf, s, c);
    if (k < 0) { this.contiguous = false; return; }
    this.prev = k;
  }

  private ndjsonLine(buf: Uint8Array, s: number, e: number): void {
    const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const key = b.indexOf(PORTFOLIO_KEY, s);
    if (key < 0 || key + PORTFOLIO_KEY.length > e) return; // no id: `line N`
    const again = b.indexOf(PORTFOLIO_KEY, key + 1);
    if (again >= 0 && again + PORTFOLIO_KEY.length <= e) { this.contiguous = false; return; }
    const ws = (x: number) => x === 32 || x === 9;
    let i = key + PORTFOLIO_KEY.length;
    while (i < e && ws(b[i])) i++;
    if (b[i] !== 58 || i >= e) return;
    i++;
    while (i < e && ws(b[i])) i++;
    if (b[i] !== 34 || i >= e) return;
    const start = i + 1;
    const close = b.indexOf(34, start);
    if (close < 0 || close >= e || close === start) return; // no string (or an empty one): no id
    if (close - start > 6 * SCAN_FIELD_BYTES) return;
    if (this.enter(b, start, close) < 0) this.contiguous = false;
  }

  /** Enters the key buf[s, e); its entry, or -1 when it was met before. */
  private enter(buf: Uint8Array, s: number, e: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i], 16777619);
    h &= 0x3fffffff;
    const n = e - s;
    let mask = this.slots.length - 1;
    let slot = h & mask;
    for (; ; slot = (slot + 1) & mask) {
      const v = this.slots[slot];
      if (v === 0) break;
      if (this.hashes[slot] !== h || this.lens[v - 1] !== n) continue;
      const at = this.starts[v - 1], arena = this.arena;
      let i = 0;
      while (i < n && arena[at + i] === buf[s + i]) i++;
      if (i === n) return -1;
    }
    const k = this.count++;
    if (k >= this.starts.length) {
      const st = new Int32Array(k * 2), ln = new Int32Array(k * 2);
      st.set(this.starts);
      ln.set(this.lens);
      this.starts = st;
      this.lens = ln;
    }
    if (this.used + n > this.arena.length) {
      const a = new Uint8Array(Math.max(this.arena.length * 2, this.used + n));
      a.set(this.arena.subarray(0, this.used));
      this.arena = a;
    }
    this.arena.set(buf.subarray(s, e), this.used);
    this.starts[k] = this.used;
    this.lens[k] = n;
    this.used += n;
    if (this.count * 2 > this.slots.length) {
      const slots = this.slots, hashes = this.hashes;
      this.slots = new Int32Array(slots.length * 2);
      this.hashes = new Int32Array(slots.length * 2);
      mask = this.slots.length - 1;
      for (let j = 0; j < slots.length; j++) {
        if (slots[j] === 0) continue;
        let t = hashes[j] & mask;
        while (this.slots[t] !== 0) t = (t + 1) & mask;
        this.slots[t] = slots[j];
        this.hashes[t] = hashes[j];
      }
      this.place(h, k);
    } else {
      this.slots[slot] = k + 1;
      this.hashes[slot] = h;
    }
    return k;
  }

  private place(h: number, k: number): void {
    const mask = this.slots.length - 1;
    let t = h & mask;
    while (this.slots[t] !== 0) t = (t + 1) & mask;
    this.slots[t] = k + 1;
    this.hashes[t] = h;
  }
}
