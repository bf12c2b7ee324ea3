/**
 * The host side of the kernel ABI: TypeScript owns the layout of WebAssembly memory. An Arena
 * hands out aligned regions (bump allocation, released in LIFO order with mark/release) and raw
 * typed-array views on them. Kernels only read and write the regions they are given.
 *
 * Views are cheap to make and must be made again after an allocation that grows the memory
 * (growing detaches the old buffer of a non-shared memory): `generation` changes when it does.
 */
import type { KernelExports } from './module.js';

const PAGE = 65536;

export class Arena {
  readonly kernels: KernelExports;
  readonly memory: WebAssembly.Memory;
  private top: number;
  private readonly base: number;
  /** Incremented every time the memory grows. */
  generation = 0;

  constructor(kernels: KernelExports) {
    this.kernels = kernels;
    this.memory = kernels.memory;
    this.base = align(kernels.heapBase(), 64);
    this.top = this.base;
  }

  /** Bytes handed out so far. */
  get used(): number { return this.top - this.base; }

  /** Reserves `bytes` bytes aligned to `alignment` (a power of two, default 16) and zeroes them. */
  alloc(bytes: number, alignment = 16): number {
    const ptr = align(this.top, alignment);
    const end = ptr + Math.max(0, bytes);
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
  /** Frees everything allocated after `mark` was taken. */
  release(mark: number): void {
    if (mark < this.base || mark > this.top) throw new RangeError(`bad arena mark ${mark}`);
    this.top = mark;
  }
}

export function align(x: number, a: number): number {
  return (x + a - 1) & ~(a - 1);
}
