/**
 * Portfolio files as byte streams: chunks are cut into lines (LF, CRLF or a lone CR, as the
 * whole-text readers of parse.ts cut a text) and fed to a line reader as bytes (pushBytes), so a
 * file of any size is read with memory bounded by its longest line. A line's bytes are handed over
 * without being copied unless the line straddles two chunks.
 */
import { InputError } from '../errors.js';
import type { PortfolioEmit, PortfolioLineReader } from './types.js';

/** The longest line accepted (a portfolio file has no line near this long; a binary file might). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export type EmitSink = (emits: readonly PortfolioEmit[]) => void;

export class LineFeeder {
  /** Bytes of an unfinished line from earlier chunks. */
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** The last chunk ended in CR: a LF opening the next one ends the same line. */
  private skipLf = false;
  /** Bytes consumed so far. */
  bytes = 0;

  constructor(readonly reader: PortfolioLineReader, readonly source: string, readonly maxLine = MAX_LINE_BYTES) {}

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
        const line = Buffer.concat([...this.carry, buf.subarray(pos, end)]);
        this.carry = [];
        this.carryBytes = 0;
        this.checkLength(line.length);
        sink(this.reader.pushBytes(line, 0, line.length));
      } else {
        this.checkLength(end - pos);
        sink(this.reader.pushBytes(buf, pos, end));
      }
      pos = next;
    }
  }

  /** Ends the input: feeds an unterminated last line (a truncated file), then ends the reader. */
  end(sink: EmitSink): void {
    if (this.carryBytes > 0) {
      const line = Buffer.concat(this.carry);
      this.carry = [];
      this.carryBytes = 0;
      sink(this.reader.pushBytes(line, 0, line.length));
    }
    sink(this.reader.end());
  }

  private keep(part: Buffer): void {
    // A copy: the chunk's memory may be reused by the stream once we return.
    this.carry.push(Buffer.from(part));
    this.carryBytes += part.length;
    this.checkLength(this.carryBytes);
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
