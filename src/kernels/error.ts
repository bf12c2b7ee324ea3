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

  /**
   * The host's side of the kernel interface does not hold: arguments it refuses before calling the
   * kernel (a table too short for its count), a module whose layout globals differ from
   * src/layout.ts, a missing export. `kernel` names the kernel or 'module'; status is -1 (no kernel ran).
   */
  static host(kernel: string, message: string): KernelError {
    const e = new KernelError(kernel, -1);
    e.message = `${kernel}: ${message}`;
    Error.captureStackTrace?.(e, KernelError.host); // the stack with this message, from the caller
    return e;
  }
}

/** Throws a KernelError unless `status` is STATUS_OK (0). */
export function checkStatus(kernel: string, status: number, detail?: string): void {
  if (status !== 0) throw new KernelError(kernel, status, detail);
}
