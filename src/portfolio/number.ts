/**
 * Quantities as written in a portfolio file (docs/methods.md §4.1): a decimal number, optionally
 * signed, with an optional exponent (`-2`, `0.5`, `.5`, `1e3`); not empty, no thousands separators
 * or decimal commas, no hex, no Infinity or NaN. Read in one pass (no backtracking regular
 * expression), from text or straight from a line's ASCII bytes.
 */

/** Exact powers of ten 10^0 .. 10^22 (every one a double). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** A quantity as written in a file, or NaN when it is not a finite decimal number. */
export function parseQuantity(s: string): number {
  const fast = quantityFast(s);
  if (fast === fast) return fast; // not NaN
  if (!isDecimal(s)) return NaN;
  const q = Number(s);
  return Number.isFinite(q) ? q + 0 : NaN; // + 0 turns -0 into 0
}

/**
 * Whether s is a decimal number `[+-](digits[.digits] | .digits)[(e|E)[+-]digits]`: one pass over
 * its characters (a regular expression for this grammar backtracks quadratically on a long run of
 * digits followed by a bad character).
 */
export function isDecimal(s: string): boolean {
  const n = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 43 || c === 45) c = s.charCodeAt(++i);
  let digits = 0;
  while (c >= 48 && c <= 57) { digits++; c = s.charCodeAt(++i); }
  if (c === 46) {
    c = s.charCodeAt(++i);
    while (c >= 48 && c <= 57) { digits++; c = s.charCodeAt(++i); }
  }
  if (digits === 0) return false;
  if (c === 101 || c === 69) {
    c = s.charCodeAt(++i);
    if (c === 43 || c === 45) c = s.charCodeAt(++i);
    let e = 0;
    while (c >= 48 && c <= 57) { e++; c = s.charCodeAt(++i); }
    if (e === 0) return false;
  }
  return i === n;
}

/**
 * The common quantity `[+-]digits[.digits]` with at most 15 digits, without the regular expression
 * (streaming large books spends most of its parse time here otherwise); NaN means "use the general
 * path", never "invalid". Exact: the digits form an integer m < 10^15 < 2^53 and 10^f (f <= 15) is
 * a double, so the one rounding of m / 10^f is the correctly rounded value of the decimal, the
 * double Number(s) returns (Clinger's fast path).
 */
function quantityFast(s: string): number {
  const n = s.length;
  if (n === 0 || n > 17) return NaN;
  let i = 0;
  let c = s.charCodeAt(0);
  const neg = c === 45;
  if (neg || c === 43) i = 1;
  let m = 0, digits = 0, frac = 0, dot = false;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (dot) frac++;
    } else if (c === 46 && !dot) {
      dot = true;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || digits > 15) return NaN;
  const v = frac === 0 ? m : m / POW10[frac];
  return (neg ? -v : v) + 0; // + 0 turns -0 into 0
}

/** quantityFast on the ASCII bytes buf[s, e). */
export function quantityFastBytes(buf: Uint8Array, s: number, e: number): number {
  const n = e - s;
  if (n === 0 || n > 17) return NaN;
  let i = s;
  let c = buf[s];
  const neg = c === 45;
  if (neg || c === 43) i++;
  let m = 0, digits = 0, frac = 0, dot = false;
  for (; i < e; i++) {
    c = buf[i];
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (dot) frac++;
    } else if (c === 46 && !dot) {
      dot = true;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || digits > 15) return NaN;
  const v = frac === 0 ? m : m / POW10[frac];
  return (neg ? -v : v) + 0;
}
