/**
 * Errors as data. An InputError names where the bad input is (file, row or JSON path), the value
 * found and what was expected; its message is one line. Across a worker boundary only plain
 * objects survive, so results carry `{ ok: false, code, message }` and `isInputError` recognises
 * a rebuilt error by its `code`.
 */
export type ErrorCode =
  | 'E_INPUT'        // a file, field or argument is not what the contract expects
  | 'E_UNKNOWN_INSTRUMENT'
  | 'E_PORTFOLIO'    // a portfolio's rows or positions are unusable
  | 'E_INTERNAL';    // a bug: a kernel returned a bad status

export class InputError extends Error {
  override readonly name = 'InputError';
  readonly code: ErrorCode;
  /** Where: a file name, and a JSON path or row number. */
  readonly file?: string;
  readonly path?: string;

  constructor(message: string, opts: { code?: ErrorCode; file?: string; path?: string } = {}) {
    super(message);
    this.code = opts.code ?? 'E_INPUT';
    this.file = opts.file;
    this.path = opts.path;
  }
}

export function isInputError(e: unknown): e is InputError {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'InputError'
    && typeof (e as { code?: unknown }).code === 'string';
}

/** Formats a value for an error message: strings quoted, long values cut. */
export function show(value: unknown): string {
  let s: string;
  if (typeof value === 'string') s = JSON.stringify(value);
  else if (value === undefined) s = 'nothing';
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null) s = String(value);
  else { try { s = JSON.stringify(value); } catch { s = String(value); } }
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}
