/**
 * The one internal error type of the kernel host layer: a kernel returned a status other than
 * STATUS_OK for arguments the host laid out (a bug, never an input problem: inputs are validated
 * before any kernel runs). Its code is E_INTERNAL; a result row made from it says which kernel
 * and which status.
 */
import { STATUS_NOT_FINITE } from '../layout.js';

export class KernelError extends Error {
  readonly code = 'E_INTERNAL' as const;

  constructor(readonly kernel: string, readonly status: number, detail?: string) {
    super(`${kernel} kernel returned status ${status}${status === STATUS_NOT_FINITE ? ' (a NaN or infinite value)' : ''}${detail ? `: ${detail}` : ''}`);
    this.name = 'KernelError';
  }
}

/** Throws a KernelError unless `status` is STATUS_OK (0). */
export function checkStatus(kernel: string, status: number, detail?: string): void {
  if (status !== 0) throw new KernelError(kernel, status, detail);
}
