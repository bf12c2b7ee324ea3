/**
 * The expected-shortfall tail kernels (assembly/tail.ts: esTail, esTailIndex) for the margin hot
 * path: TailKernel of src/kernels/es.ts, which owns the output (and index) regions and returns
 * STATUS_NOT_FINITE as a typed outcome. This file only re-exports, under the kernel's name.
 */
export { TailKernel, type TailOutcome, type TailNotFinite, type TailStats } from './es.js';
