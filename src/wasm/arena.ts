/**
 * The host side of the kernel ABI: TypeScript owns the layout of WebAssembly memory. An Arena
 * hands out aligned regions (bump allocation, released in LIFO order with mark/release) and raw
 * typed-array views on them. Kernels only read and write the regions they are given.
 *
 * Two ways to own memory:
 * - alone (the default): the arena bumps from the module's heap base up, growing the memory;
 *   what an in-process model does with its own memory;
 * - in a SharedHeap: several arenas, in several threads, share one memory. The heap is a bump
 *   pointer in a header word of the memory, moved with Atomics; each arena takes regions from it
 *   and allocates inside its current region, so no two arenas ever hand out the same bytes. The
 *   batch engine lays the cube out with one arena on the main thread and gives every worker its
 *   own arena for portfolio scratch.
 *
 * Views are cheap to make and must be made again after an allocation that grows the memory: a
 * view made before keeps the old length (`generation` changes when this arena grows the memory).
 */
import type { KernelExports } from './module.js';

const PAGE = 65536;

/** "MEHP": marks a memory whose heap header has been laid out. */
const HEAP_MAGIC = 0x4d454850;

/**
 * A bump allocator of regions over a shared memory, safe across threads: its state is two u32
 * words at `at` (magic, top) moved with Atomics, so it needs no lock (a thread that dies holding
 * nothing cannot block the others). Regions are never returned; abandoned ones are leaked, which
 * is bounded because arenas take regions geometrically larger.
 */
export class SharedHeap {
  /** Bytes of the header at `at`. */
  static readonly HEADER_BYTES = 64;

  private constructor(readonly memory: WebAssembly.Memory, readonly at: number) {}

  /** Lays out a heap in `memory` starting at `at` (64-byte aligned, above the module's static data). */
  static create(memory: WebAssembly.Memory, at: number): SharedHeap {
    if (at % 64 !== 0) throw new RangeError(`SharedHeap: header offset ${at} is not 64-byte aligned`);
    const heap = new SharedHeap(memory, at);
    heap.ensure(at + SharedHeap.HEADER_BYTES);
    const w = heap.words();
    Atomics.store(w, 1, at + SharedHeap.HEADER_BYTES);
    Atomics.store(w, 0, HEAP_MAGIC);
    return heap;
  }

  /** The heap laid out in `memory` at `at` by create(), from another thread. */
  static attach(memory: WebAssembly.Memory, at: number): SharedHeap {
    const heap = new SharedHeap(memory, at);
    if (memory.buffer.byteLength < at + 8 || Atomics.load(heap.words(), 0) !== HEAP_MAGIC) {
      throw new Error(`SharedHeap: no heap header at ${at}`);
    }
    return heap;
  }

  /** The first byte not handed out yet. */
  get top(): number { return Atomics.load(this.words(), 1); }

  /** Reserves `bytes` bytes aligned to `alignment` (a power of two) and returns their offset. */
  reserve(bytes: number, alignment = 64): number {
    const w = this.words();
    for (;;) {
      const old = Atomics.load(w, 1);
      const start = align(old, alignment);
      const end = start + Math.max(0, bytes);
      if (end > 0xffffffff) throw new RangeError(`SharedHeap: cannot reserve ${bytes} bytes: the memory is limited to 4 GiB`);
      if (Atomics.compareExchange(w, 1, old, end) === old) {
        this.ensure(end);
        return start;
      }
    }
  }

  /**
   * Grows the memory to hold `end` bytes. Threads racing here may both grow it; the memory then
   * ends up larger than needed, never smaller.
   */
  private ensure(end: number): void {
    for (;;) {
      const have = this.memory.buffer.byteLength;
      if (end <= have) return;
      this.memory.grow(Math.ceil((end - have) / PAGE));
    }
  }

  private words(): Uint32Array {
    return new Uint32Array(this.memory.buffer, this.at, 2);
  }
}

export interface ArenaOptions {
  /** Allocate from regions of this shared heap instead of owning the memory from its heap base. */
  heap?: SharedHeap;
  /** Size of the first region taken from the heap (default 1 MiB); later ones double. */
  regionBytes?: number;
}

export class Arena {
  readonly kernels: KernelExports;
  readonly memory: WebAssembly.Memory;
  readonly heap: SharedHeap | undefined;
  private top: number;
  private readonly base: number;
  /** Heap mode: the current region [regionStart, limit). */
  private regionStart: number;
  private limit: number;
  private regionBytes: number;
  /** Heap mode: bytes in use in abandoned regions when they were abandoned. */
  private retired = 0;
  /** Incremented every time this arena grows the memory. */
  generation = 0;

  constructor(kernels: KernelExports, options: ArenaOptions = {}) {
    this.kernels = kernels;
    this.memory = kernels.memory;
    this.heap = options.heap;
    if (this.heap) {
      if (this.heap.memory !== this.memory) throw new Error('Arena: the heap is in another memory than the kernels\' one');
      this.regionBytes = Math.max(4096, options.regionBytes ?? 1 << 20);
      this.regionStart = this.heap.reserve(this.regionBytes, 64);
      this.limit = this.regionStart + this.regionBytes;
      this.base = this.regionStart;
    } else {
      this.base = align(kernels.heapBase(), 64);
      this.regionStart = this.base;
      this.limit = Infinity;
      this.regionBytes = 0;
    }
    this.top = this.base;
  }

  /** Bytes handed out so far (heap mode: in this region, plus what earlier regions held). */
  get used(): number { return this.retired + this.top - this.regionStart; }

  /** Reserves `bytes` bytes aligned to `alignment` (a power of two, default 16) and zeroes them. */
  alloc(bytes: number, alignment = 16): number {
    let ptr = align(this.top, alignment);
    let end = ptr + Math.max(0, bytes);
    if (end > this.limit) {
      // Heap mode: a new region, at least twice the last and large enough for this allocation.
      this.retired += this.top - this.regionStart;
      this.regionBytes = Math.max(this.regionBytes * 2, align(bytes + alignment, 4096));
      const before = this.memory.buffer.byteLength;
      this.regionStart = this.heap!.reserve(this.regionBytes, 64);
      if (this.memory.buffer.byteLength !== before) this.generation++;
      this.limit = this.regionStart + this.regionBytes;
      ptr = align(this.regionStart, alignment);
      end = ptr + Math.max(0, bytes);
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      this.memory.grow(Math.ceil((end - have) / PAGE));
      this.generation++;
    }
    this.top = end;
    new Uint8Array(this.memory.buffer, ptr, end - ptr).fill(0);
    return ptr;
  }

  /** Allocates `n` f64 and returns the pointer. */
  allocF64(n: number): number { return this.alloc(n * 8, 16); }
  /** Allocates `n` i32 and returns the pointer. */
  allocI32(n: number): number { return this.alloc(n * 4, 16); }

  /** A live Float64Array view of `n` values at `ptr`. */
  f64(ptr: number, n: number): Float64Array { return new Float64Array(this.memory.buffer, ptr, n); }
  /** A live Int32Array view of `n` values at `ptr`. */
  i32(ptr: number, n: number): Int32Array { return new Int32Array(this.memory.buffer, ptr, n); }

  /** Copies `src` into fresh memory and returns its pointer. */
  putF64(src: ArrayLike<number>): number {
    const ptr = this.allocF64(src.length);
    this.f64(ptr, src.length).set(src);
    return ptr;
  }
  putI32(src: ArrayLike<number>): number {
    const ptr = this.allocI32(src.length);
    this.i32(ptr, src.length).set(src);
    return ptr;
  }

  /** The current top, to hand back to `release`. */
  mark(): number { return this.top; }
  /**
   * Frees everything allocated after `mark` was taken. In heap mode a mark taken in an earlier
   * region frees the whole current region (everything in it came later); the earlier region's
   * bytes after the mark are abandoned with it.
   */
  release(mark: number): void {
    if (mark >= this.regionStart && mark <= this.top) { this.top = mark; return; }
    if (this.heap && mark >= this.base && mark < this.regionStart) { this.top = this.regionStart; return; }
    throw new RangeError(`bad arena mark ${mark}`);
  }
}

export function align(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}
