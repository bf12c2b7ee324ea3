/**
 * Byte-keyed tables of the readers: ByteInterner (one string per distinct instrument spelling met
 * on the byte path) and SeenIds (the ids met so far, off the JavaScript heap), with ownString, which
 * keeps a remembered id from pinning the chunk it was cut from.
 */
import { asciiText, encoder } from './utf8.js';

export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 16777619;

/**
 * Strings of byte sequences met before, so the common row makes no new instrument string (an
 * interned string also keeps its hash, which makes the instrument lookup that follows cheaper).
 * Bounded: past MAX entries new sequences are decoded without being remembered.
 */
export class ByteInterner {
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

// Shared bookkeeping: sequence numbers, reappearance, amendments.

/**
 * A copy of `s` that holds no reference to a larger string. V8 makes a substring of 13 or more
 * characters a view into its parent, so an id cut from a line cut from a streamed chunk would keep
 * the whole chunk alive for as long as the reader remembers the id (every id, for the rest of the
 * file): memory would grow with the file. Concatenating and cutting again flattens into a string
 * of the id's own size.
 */
export function ownString(s: string): string {
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
export class SeenIds {
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
