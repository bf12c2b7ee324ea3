/**
 * The arena memory a kernel wrapper owns: a region allocated in its Arena on first use and
 * allocated again, larger, when a call needs more (the old one is left to the arena, so grow a
 * wrapper to its working size early, or give it a capacity), with typed-array views made again
 * whenever the memory has grown (a view made before keeps the old length, or is detached).
 *
 * Lifetime: a region lives as long as the arena keeps everything allocated when the region was
 * taken. A wrapper used inside `arena.mark()` .. `arena.release(mark)` must be dropped with the
 * release (the *Array helpers of this folder do exactly that); a long-lived wrapper belongs to
 * the owner of its arena (a model), created outside any mark.
 */
import type { Arena } from '../wasm/arena.js';
import { KernelError } from './error.js';

export class F64Region {
  /** Byte offset of the region (0 until first use). */
  ptr = 0;
  /** Capacity in f64. */
  capacity = 0;
  private view: Float64Array | undefined;

  constructor(private readonly arena: Arena, capacity = 0) {
    if (capacity > 0) this.ensure(capacity);
  }

  /** The region's offset, with room for `n` f64 (zeroed when newly allocated). */
  ensure(n: number): number {
    if (n > this.capacity || this.ptr === 0) {
      const cap = Math.max(n, this.capacity * 2, 1);
      this.ptr = this.arena.allocF64(cap);
      this.capacity = cap;
      this.view = undefined;
    }
    return this.ptr;
  }

  /** A live view of the first `n` values (n <= capacity), remade when the memory has grown. */
  f64(n: number): Float64Array {
    let v = this.view;
    if (v === undefined || v.buffer !== this.arena.memory.buffer) {
      v = this.view = new Float64Array(this.arena.memory.buffer, this.ptr, this.capacity);
    }
    return n === this.capacity ? v : v.subarray(0, n);
  }

  /** Copies `src` into the region (grown to hold it) and returns its offset. */
  put(src: ArrayLike<number>): number {
    const ptr = this.ensure(src.length);
    this.f64(src.length).set(src);
    return ptr;
  }
}

export class I32Region {
  ptr = 0;
  /** Capacity in i32. */
  capacity = 0;
  private view: Int32Array | undefined;

  constructor(private readonly arena: Arena, capacity = 0) {
    if (capacity > 0) this.ensure(capacity);
  }

  ensure(n: number): number {
    if (n > this.capacity || this.ptr === 0) {
      const cap = Math.max(n, this.capacity * 2, 1);
      this.ptr = this.arena.allocI32(cap);
      this.capacity = cap;
      this.view = undefined;
    }
    return this.ptr;
  }

  i32(n: number): Int32Array {
    let v = this.view;
    if (v === undefined || v.buffer !== this.arena.memory.buffer) {
      v = this.view = new Int32Array(this.arena.memory.buffer, this.ptr, this.capacity);
    }
    return n === this.capacity ? v : v.subarray(0, n);
  }

  put(src: ArrayLike<number>): number {
    const ptr = this.ensure(src.length);
    this.i32(src.length).set(src);
    return ptr;
  }
}

/** The export `name` of the module as a function, or a KernelError naming it. */
export function kernelFunction<F>(arena: Arena, name: string): F {
  const f = arena.kernels[name];
  if (typeof f !== 'function') throw hostError(name, 'the WebAssembly module has no such export');
  return f as F;
}

/** A KernelError for a host-side refusal (no kernel ran). */
export function hostError(kernel: string, message: string): KernelError {
  return KernelError.host(kernel, message);
}
