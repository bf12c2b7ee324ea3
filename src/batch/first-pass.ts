/**
 * The first pass over a byte input (are its portfolios contiguous? a stream that is not a file is
 * spooled on the way), and the book that groups unsorted input by portfolio id.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { createReadStream, ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { show } from '../errors.js';
import type { ResolvedMarket } from '../market/types.js';
import type { CsvSink } from '../portfolio/csv.js';
import { withMoreErrors } from '../portfolio/reader.js';
import { ContiguityScan } from '../portfolio/stream.js';
import type { PortfolioEmit } from '../portfolio/types.js';
import type { TaskPacker } from './pack.js';
import type { BatchFile, BatchInput } from './options.js';

export function isByteStream(input: BatchInput): boolean {
  if (input instanceof Readable) return !input.readableObjectMode;
  return false;
}

export function isFileInput(input: BatchInput): input is BatchFile {
  return !(input instanceof Readable) && typeof input === 'object' && input !== null
    && typeof (input as { path?: unknown }).path === 'string' && typeof (input as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
    && typeof (input as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function';
}

/** An fs.ReadStream opened from a path, from its start, not read yet: a file the run can read again. */
function fileStreamPath(input: Readable): string | undefined {
  if (!(input instanceof ReadStream)) return undefined;
  const r = input as ReadStream & { start?: number; end?: number };
  const path = typeof r.path === 'string' ? r.path : undefined;
  return path !== undefined && path !== '' && r.bytesRead === 0 && (r.start === undefined || r.start === 0) && (r.end === undefined || r.end === Infinity)
    ? path : undefined;
}

/**
 * The first pass over a byte input: whether its portfolios are contiguous (ContiguityScan), and the
 * file to read them from. A file (by path, or an fs.ReadStream opened from one) is scanned in place;
 * another stream is copied to a temporary file in `spoolDir` on the way (`spooled` hears of its path
 * before the first byte is written, so the caller removes it whatever happens).
 */
export async function firstPass(
  input: Readable | BatchFile, ndjson: boolean, spoolDir: string | undefined, reading: (r: Readable) => void,
  stopped: () => boolean, spooled: (path: string) => void, scanned: (bytes: number) => void,
): Promise<{ path: string; contiguous: boolean; bytes: number }> {
  const scan = new ContiguityScan(ndjson);
  let path = isFileInput(input) ? input.path : fileStreamPath(input);
  let stream: Readable;
  if (isFileInput(input)) {
    stream = createReadStream(input.path, { highWaterMark: 1 << 20 });
    reading(stream);
  } else {
    stream = input;
  }
  if (stopped()) return { path: path ?? '', contiguous: true, bytes: 0 };
  if (path !== undefined) {
    for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
      scan.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      scanned(scan.bytes);
      if (stopped()) break;
    }
    return { path, contiguous: scan.end(), bytes: scan.bytes };
  }
  path = join(spoolDir ?? tmpdir(), `.margin-engine-spool-${randomUUID()}`);
  spooled(path);
  const out = await open(path, 'wx', 0o600);
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      scan.push(b);
      scanned(scan.bytes);
      await out.write(b);
      if (stopped()) break;
    }
  } finally {
    await out.close();
  }
  return { path, contiguous: scan.end(), bytes: scan.bytes };
}

/**
 * Unsorted input, held whole until it ends: each portfolio's positions as the reader gives them,
 * in file order, then delivered to the packer in order of first appearance with the same netting,
 * checks and messages as contiguous input (and as parsePortfolios then marginAll in-process).
 * Memory, held until the input ends: 12 bytes a position (its instrument's index and quantity),
 * 12 bytes a run of a portfolio's rows that are next to each other in the file (a fully shuffled
 * file: a run per row), the typed arrays growing by doubling (up to twice that); per portfolio its
 * id (a JavaScript string, some 16 to 24 bytes plus its length, and 8 for its slot) and 12 bytes
 * (first and last run, count): about 45 bytes plus the id; error portfolios keep their message.
 * Besides this, the reader's id index (parse.ts SeenIds) as for contiguous input.
 */
export class UnsortedBook {
  private ids: string[] = [];
  private head = new Int32Array(1024).fill(-1);
  private tail = new Int32Array(1024).fill(-1);
  private counts = new Int32Array(1024);
  private segStart = new Int32Array(1024);
  private segLen = new Int32Array(1024);
  private segNext = new Int32Array(1024);
  private segs = 0;
  private codes = new Int32Array(1 << 14);
  private qty = new Float64Array(1 << 14);
  private nPos = 0;
  /** E_PORTFOLIO portfolios: the first bad row's message and the bad rows. */
  private readonly errors = new Map<number, { first: string; bad: number }>();
  /** The first unknown instrument of a portfolio, in file order. */
  private readonly unknown = new Map<number, string>();
  private scratchCodes = new Int32Array(256);
  private scratchQty = new Float64Array(256);

  constructor(private readonly market: ResolvedMarket) {}

  /** Portfolios (seqs 0 .. size-1). */
  get size(): number { return this.ids.length; }

  /** The CSV reader's sink. */
  readonly sink: CsvSink = {
    portfolio: (seq, id, codes, instruments, quantities, n) => {
      this.open(seq, id);
      if (this.errors.has(seq) || this.unknown.has(seq)) { this.counts[seq] += n; return; }
      for (let k = 0; k < n; k++) {
        if (codes[k] < 0) { this.unknown.set(seq, instruments[k]); this.counts[seq] += n; return; }
      }
      this.append(seq, codes, quantities, n);
    },
    emit: (e) => this.emit(e),
  };

  /** An emit (NDJSON, or the CSV reader's errors). */
  emit(e: PortfolioEmit): void {
    const p = e.portfolio;
    this.open(e.seq, p.id);
    if (p.error !== undefined) {
      const known = this.errors.get(e.seq);
      if (known) known.bad += e.badRows ?? 1;
      else this.errors.set(e.seq, { first: e.firstError ?? p.error, bad: e.badRows ?? 1 });
      return;
    }
    const n = p.positions.length;
    if (this.errors.has(e.seq) || this.unknown.has(e.seq)) { this.counts[e.seq] += n; return; }
    if (this.scratchCodes.length < n) {
      this.scratchCodes = new Int32Array(n * 2);
      this.scratchQty = new Float64Array(n * 2);
    }
    const index = this.market.instruments.index;
    for (let k = 0; k < n; k++) {
      const i = index.get(p.positions[k].instrument);
      if (i === undefined) { this.unknown.set(e.seq, p.positions[k].instrument); this.counts[e.seq] += n; return; }
      this.scratchCodes[k] = i;
      this.scratchQty[k] = p.positions[k].quantity;
    }
    this.append(e.seq, this.scratchCodes, this.scratchQty, n);
  }

  /** Gives portfolio `seq`, whole, to the packer. */
  deliver(seq: number, packer: TaskPacker): void {
    const id = this.ids[seq];
    const err = this.errors.get(seq);
    if (err) { packer.error(seq, id, 'E_PORTFOLIO', withMoreErrors(err.first, err.bad - 1)); return; }
    const unknown = this.unknown.get(seq);
    if (unknown !== undefined) { packer.error(seq, id, 'E_UNKNOWN_INSTRUMENT', `unknown instrument ${show(unknown)}`); return; }
    const n = this.counts[seq];
    if (this.scratchCodes.length < n) {
      this.scratchCodes = new Int32Array(n * 2);
      this.scratchQty = new Float64Array(n * 2);
    }
    let at = 0;
    for (let g = this.head[seq]; g >= 0; g = this.segNext[g]) {
      const s0 = this.segStart[g], len = this.segLen[g];
      this.scratchCodes.set(this.codes.subarray(s0, s0 + len), at);
      this.scratchQty.set(this.qty.subarray(s0, s0 + len), at);
      at += len;
    }
    packer.addResolved(seq, id, this.scratchCodes, NO_INSTRUMENTS, this.scratchQty, n);
  }

  private open(seq: number, id: string): void {
    if (seq < this.ids.length) return;
    this.ids[seq] = id;
    if (seq >= this.head.length) {
      const size = Math.max(seq + 1, this.head.length * 2);
      this.head = growI32(this.head, size, -1);
      this.tail = growI32(this.tail, size, -1);
      this.counts = growI32(this.counts, size, 0);
    }
  }

  private append(seq: number, codes: Int32Array | Float64Array, quantities: Float64Array, n: number): void {
    this.counts[seq] += n;
    if (n === 0) return;
    if (this.nPos + n > this.codes.length) {
      const cap = Math.max(this.nPos + n, this.codes.length * 2);
      const c = new Int32Array(cap), q = new Float64Array(cap);
      c.set(this.codes.subarray(0, this.nPos));
      q.set(this.qty.subarray(0, this.nPos));
      this.codes = c;
      this.qty = q;
    }
    this.codes.set(codes.subarray(0, n), this.nPos);
    this.qty.set(quantities.subarray(0, n), this.nPos);
    const g = this.segs++;
    if (g >= this.segStart.length) {
      const size = this.segStart.length * 2;
      this.segStart = growI32(this.segStart, size, 0);
      this.segLen = growI32(this.segLen, size, 0);
      this.segNext = growI32(this.segNext, size, 0);
    }
    this.segStart[g] = this.nPos;
    this.segLen[g] = n;
    this.segNext[g] = -1;
    if (this.tail[seq] >= 0) this.segNext[this.tail[seq]] = g;
    else this.head[seq] = g;
    this.tail[seq] = g;
    this.nPos += n;
  }
}

const NO_INSTRUMENTS: readonly string[] = Object.freeze([]);

function growI32(a: Int32Array, size: number, fill: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  if (fill !== 0) b.fill(fill, a.length);
  b.set(a);
  return b;
}
