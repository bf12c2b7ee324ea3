/**
 * Errors as data. An InputError names where the bad input is (file, row or JSON path), the value
 * found and what was expected; its message is one line. Across a worker boundary only plain
 * objects survive, so results carry `{ ok: false, code, message }` and `isInputError` recognises
 * a rebuilt error by its `code`.
 */
export type ErrorCode =
  | 'E_INPUT'        // a file, field or argument is not what docs/methods.md expects
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

/** Characters of a long value that an error message shows (see show). */
export const SHOW_CHARS = 60;

/**
 * Formats a value for an error message: strings quoted (JSON), other values as JSON. A value longer
 * than SHOW_CHARS characters is cut: its first SHOW_CHARS characters (never half a surrogate pair),
 * then `... (N characters)`, N the length of the whole value (a string's own length, not counting
 * quotes or escapes): a message stays one short line whatever the input holds.
 */
export function show(value: unknown): string {
  if (typeof value === 'string') {
    if (value.length <= SHOW_CHARS) return JSON.stringify(value);
    return `${JSON.stringify(head(value))}... (${value.length} characters)`;
  }
  let s: string;
  if (value === undefined) s = 'nothing';
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null) s = String(value);
  else { try { s = JSON.stringify(value) ?? String(value); } catch { s = String(value); } }
  return s.length <= SHOW_CHARS ? s : `${head(s)}... (${s.length} characters)`;
}

/** The first SHOW_CHARS characters of s, one fewer when the last would be the first half of a surrogate pair. */
function head(s: string): string {
  const c = s.charCodeAt(SHOW_CHARS - 1);
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? SHOW_CHARS - 1 : SHOW_CHARS);
}
