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
