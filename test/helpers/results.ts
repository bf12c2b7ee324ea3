// Small helpers the test files share: the ok result of a margin, what a function throws.
import { expect } from 'vitest';
import { isInputError } from '../../src/errors.js';
import type { MarginOk, MarginResult } from '../../src/results.js';

/** `r` when it is an ok result; else an Error with its message. */
export function ok(r: MarginResult): MarginOk {
  if (!r.ok) throw new Error(`expected ok, got error: ${r.message}`);
  return r;
}

/** The message of the InputError `f` throws (fails when it throws something else, or nothing). */
export function inputErrorMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isInputError(e), `not an InputError: ${String(e)}`).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected an InputError, nothing was thrown');
}

/** What `f` throws, or undefined when it returns. */
export function thrown(f: () => unknown): unknown {
  try { f(); } catch (e) { return e; }
  return undefined;
}
