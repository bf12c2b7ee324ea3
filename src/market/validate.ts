/**
 * Shared pieces of input validation: a JSON reader that reports positions, keeps the file's key
 * order and rejects duplicate keys; JSON paths for messages; and checks that throw InputError with
 * one-line messages of the form `<source>: <path>: expected <what>, got <value>`.
 *
 * The JSON Schema in schema/market.schema.json states the same rules; test/market.test.ts checks
 * that the schema and these validators agree on every case.
 */
import { InputError, show } from '../errors.js';

// ---------------------------------------------------------------------------------------------
// Paths

const PLAIN_KEY = /^[A-Za-z0-9_$-]+$/;

/** `base.key`, or `base["odd key"]` when the key holds characters that would make it ambiguous. */
export function fieldPath(base: string, key: string): string {
  if (PLAIN_KEY.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

/** `base[i]`. */
export function indexPath(base: string, i: number): string {
  return `${base}[${i}]`;
}

// ---------------------------------------------------------------------------------------------
// Failing

/** Throws an InputError `<source>: <path>: <detail>` (no path part when `path` is empty). */
export function fail(source: string, path: string, detail: string): never {
  const where = path === '' ? source : `${source}: ${path}`;
  throw new InputError(`${where}: ${detail}`, { file: source, path: path === '' ? undefined : path });
}

/** Throws `<source>: <path>: expected <what>, got <value>`. */
export function expected(source: string, path: string, what: string, got: unknown): never {
  return fail(source, path, `expected ${what}, got ${show(got)}`);
}

// ---------------------------------------------------------------------------------------------
// Objects

export type JsonObject = Record<string, unknown>;

/** A JSON object: not null, not an array. */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object at `path`, or an error `expected a JSON object`. */
export function object(source: string, path: string, v: unknown, what = 'a JSON object'): JsonObject {
  if (!isObject(v)) expected(source, path, what, v);
  return v;
}

/** Objects read by readJson whose key order Object.keys would not give back (integer-like keys). */
const KEY_ORDER = new WeakMap<object, string[]>();

/** The keys of an object in the order of the file it was read from (Object.keys order otherwise). */
export function keysOf(o: object): string[] {
  return KEY_ORDER.get(o) ?? Object.keys(o);
}

/** Own property `key` of `o` (undefined when absent; never an inherited property such as "constructor"). */
export function own(o: JsonObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

/** Rejects keys of `o` outside `allowed`, naming the first unknown one (and a likely intended one). */
export function checkKeys(source: string, path: string, o: JsonObject, allowed: readonly string[], what = ''): void {
  for (const k of keysOf(o)) {
    if (allowed.includes(k)) continue;
    const near = nearest(k, allowed);
    const hint = near === undefined ? '' : `; did you mean ${JSON.stringify(near)}?`;
    fail(source, fieldPath(path, k), `unknown field${what ? ` for ${what}` : ''}${hint} (expected one of: ${allowed.join(', ')})`);
  }
}

function nearest(k: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(k.toLowerCase(), c.toLowerCase());
    if (d < bestD) { bestD = d; best = c; }
  }
  return bestD <= Math.min(2, Math.floor((best ?? '').length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let prevPrev = prev;
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      // A swap of two neighbours ("grdi" for "grid") counts as one edit.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j], prevPrev[j - 2] + 1);
    }
    prevPrev = prev;
    prev = cur;
  }
  return prev[b.length];
}

// ---------------------------------------------------------------------------------------------
// Numbers and strings

/** A rule on a number: what the message says is expected, and the test (finite is implied). */
export interface NumberRule { readonly text: string; readonly ok: (x: number) => boolean }

export const FINITE: NumberRule = { text: 'a finite number', ok: () => true };
export const POSITIVE: NumberRule = { text: 'a number > 0', ok: (x) => x > 0 };
export const NON_NEGATIVE: NumberRule = { text: 'a number >= 0', ok: (x) => x >= 0 };
export const ABOVE_MINUS_ONE: NumberRule = { text: 'a number > -1', ok: (x) => x > -1 };
export const UNIT_CLOSED: NumberRule = { text: 'a number in [0, 1]', ok: (x) => x >= 0 && x <= 1 };
export const UNIT_OPEN: NumberRule = { text: 'a number strictly between 0 and 1', ok: (x) => x > 0 && x < 1 };
export const CORRELATION: NumberRule = { text: 'a number in [-1, 1]', ok: (x) => x >= -1 && x <= 1 };
export const ABOVE_TWO: NumberRule = { text: 'a number > 2', ok: (x) => x > 2 };
/** A maintenance ratio: maintenance = ratio x initial, so the maintenance margin never exceeds the initial margin. */
export const MAINTENANCE_RATIO: NumberRule = {
  text: 'a number in (0, 1] (maintenance margin = ratio x initial margin, at most the initial margin)', ok: (x) => x > 0 && x <= 1,
};

// Bounds on what a market may hold, so that every value, price and P&L the kernels compute is a
// finite float64 (documented in the README and the schema). With them the largest forward is
// MAX_MONEY e^{2 MAX_RATE MAX_YEARS} (about 7e101) and sigma^2 T at most MAX_SHOCKED_VOL^2 MAX_YEARS.
/** Largest spot, strike or price, and largest contractSize x spot (or strike, or price): money a contract. */
export const MAX_MONEY = 1e15;
/** Largest |rate| and |yield|: 100 % a year, continuously compounded. */
export const MAX_RATE = 1;
/** Largest implied or underlying vol in a market: 1000 % a year. */
export const MAX_VOL = 10;
/** Largest vol after a scenario's vol move (grid, stress): 10,000 % a year. */
export const MAX_SHOCKED_VOL = 100;
/** Largest |time to expiry| in years (an expiry more than 100 years from asOf is a typo). */
export const MAX_YEARS = 100;

export const MONEY: NumberRule = { text: `a number > 0 and <= ${MAX_MONEY.toExponential()}`, ok: (x) => x > 0 && x <= MAX_MONEY };
export const RATE: NumberRule = {
  text: `a number from -${MAX_RATE} to ${MAX_RATE} (a decimal rate a year, continuously compounded: 0.04 is 4 %)`,
  ok: (x) => x >= -MAX_RATE && x <= MAX_RATE,
};
export const VOL: NumberRule = {
  text: `a number > 0 and <= ${MAX_VOL} (a decimal vol a year: 0.6 is 60 %)`, ok: (x) => x > 0 && x <= MAX_VOL,
};

/** An integer rule: whole numbers within [min, max]. */
export function integerIn(min: number, max: number): NumberRule {
  const text = max >= Number.MAX_SAFE_INTEGER ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`;
  return { text, ok: (x) => Number.isInteger(x) && x >= min && x <= max };
}

/** The finite number at `path` satisfying `rule`. */
export function num(source: string, path: string, v: unknown, rule: NumberRule): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !rule.ok(v)) expected(source, path, rule.text, v);
  return v;
}

/** Field `key` of `o` as a number satisfying `rule`, or `dflt` when the field is absent. */
export function optNum(source: string, path: string, o: JsonObject, key: string, rule: NumberRule, dflt: number): number {
  const v = own(o, key);
  return v === undefined ? dflt : num(source, fieldPath(path, key), v, rule);
}

/** Field `key` of `o` as a required number satisfying `rule`. */
export function reqNum(source: string, path: string, o: JsonObject, key: string, rule: NumberRule): number {
  return num(source, fieldPath(path, key), own(o, key), rule);
}

/** A non-empty string. */
export function nonEmptyString(source: string, path: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) expected(source, path, 'a non-empty string', v);
  return v;
}

/** A list (JSON array). */
export function list(source: string, path: string, v: unknown, what = 'a list'): unknown[] {
  if (!Array.isArray(v)) expected(source, path, what, v);
  return v;
}

/** A non-empty list of numbers each satisfying `rule` (`what` describes the list for messages). */
export function numberList(source: string, path: string, v: unknown, rule: NumberRule, what: string): number[] {
  const a = list(source, path, v, what);
  if (a.length === 0) expected(source, path, what, a);
  return a.map((x, i) => num(source, indexPath(path, i), x, rule));
}

/** Names up to `max` ids for a message: `BTC, ETH, SOL and 12 more`. */
export function someIds(ids: readonly string[], max = 6): string {
  if (ids.length === 0) return 'none';
  const shown = ids.slice(0, max).map((s) => (PLAIN_KEY.test(s) ? s : JSON.stringify(s))).join(', ');
  return ids.length > max ? `${shown} and ${ids.length - max} more` : shown;
}

// ---------------------------------------------------------------------------------------------
// Dates

/**
 * The date-times the engine reads: ISO-8601 in UTC, `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by
 * `Z` or `+00:00`. The schema's pattern is this same expression (a test checks it).
 */
export const UTC_DATE_TIME_PATTERN =
  '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|\\+00:00)$';
const UTC_RE = new RegExp(UTC_DATE_TIME_PATTERN);
const UTC_PARTS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?/;
export const UTC_EXPECTED = 'an ISO-8601 UTC date-time such as "2026-12-26T08:00:00Z"';

/** Milliseconds since the epoch of an ISO-8601 UTC date-time, or NaN when it is not one (or no such day). */
export function parseUtc(s: string): number {
  if (!UTC_RE.test(s)) return NaN;
  const m = UTC_PARTS.exec(s)!;
  const y = +m[1], mo = +m[2] - 1, d = +m[3];
  const t = new Date(0);
  t.setUTCFullYear(y, mo, d);
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo || t.getUTCDate() !== d) return NaN;
  t.setUTCHours(+m[4], +m[5], m[6] === undefined ? 0 : +m[6], 0);
  return t.getTime() + (m[7] === undefined ? 0 : Number(m[7]) * 1000);
}

/** The date-time at `path` in ms since the epoch. */
export function utc(source: string, path: string, v: unknown): number {
  if (typeof v !== 'string') expected(source, path, UTC_EXPECTED, v);
  const ms = parseUtc(v);
  if (Number.isNaN(ms)) {
    const calendar = UTC_RE.test(v) ? ' (no such day)' : '';
    fail(source, path, `expected ${UTC_EXPECTED}, got ${show(v)}${calendar}`);
  }
  return ms;
}

// ---------------------------------------------------------------------------------------------
// JSON text

/** A syntax error in JSON text: where (0-based offset, 1-based line and column) and why. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(readonly reason: string, readonly offset: number, readonly line: number, readonly column: number,
    /** JSON path of the value being read, '' at the top. */
    readonly at: string) {
    super(`line ${line}, column ${column}${at ? ` (in ${at})` : ''}: ${reason}`);
  }
}

const MAX_DEPTH = 512;
const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ARRAY_INDEX_KEY = /^(?:0|[1-9][0-9]{0,9})$/;

/**
 * Parses JSON text (RFC 8259; a leading byte-order mark is ignored). Unlike JSON.parse it rejects
 * duplicate keys, reports line and column, and remembers the file's key order of objects whose
 * integer-like keys JavaScript would enumerate first (see keysOf). A key "__proto__" becomes an
 * ordinary own property.
 */
export function parseJsonText(text: string): unknown {
  return new JsonReader(text).document();
}

/** Parses JSON text, throwing InputError `<source>: invalid JSON at line L, column C: <reason>`. */
export function readJson(text: string, source: string): unknown {
  try {
    return parseJsonText(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      throw new InputError(`${source}: invalid JSON at ${e.message}`, { file: source, path: e.at || undefined });
    }
    throw e;
  }
}

class JsonReader {
  private pos = 0;
  private readonly path: (string | number)[] = [];

  constructor(private readonly text: string) {
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  document(): unknown {
    this.ws();
    if (this.pos >= this.text.length) this.error('expected a JSON value, got the end of the text');
    const v = this.value(0);
    this.ws();
    if (this.pos < this.text.length) this.error(`unexpected ${this.found()} after the JSON value`);
    return v;
  }

  private error(reason: string, at = this.pos): never {
    let line = 1, lineStart = 0;
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
    }
    let p = '';
    for (const k of this.path) p = typeof k === 'number' ? indexPath(p, k) : fieldPath(p, k);
    throw new JsonSyntaxError(reason, at, line, at - lineStart + 1, p);
  }

  private found(): string {
    if (this.pos >= this.text.length) return 'end of the text';
    const c = this.text.codePointAt(this.pos)!;
    return c < 0x20 ? `character U+${c.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(String.fromCodePoint(c));
  }

  private ws(): void {
    const t = this.text;
    let p = this.pos;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === 32 || c === 10 || c === 13 || c === 9) p++;
      else break;
    }
    this.pos = p;
  }

  private value(depth: number): unknown {
    const c = this.text.charCodeAt(this.pos);
    if (c === 123 /* { */) return this.object(depth + 1);
    if (c === 91 /* [ */) return this.array(depth + 1);
    if (c === 34 /* " */) return this.string();
    if (c === 45 /* - */ || (c >= 48 && c <= 57)) return this.number();
    if (this.text.startsWith('true', this.pos)) { this.pos += 4; return true; }
    if (this.text.startsWith('false', this.pos)) { this.pos += 5; return false; }
    if (this.text.startsWith('null', this.pos)) { this.pos += 4; return null; }
    return this.error(`expected a JSON value, got ${this.found()}`);
  }

  private number(): number {
    const start = this.pos;
    NUMBER_RE.lastIndex = start;
    const m = NUMBER_RE.exec(this.text);
    if (!m) return this.error(`invalid number`);
    this.pos += m[0].length;
    const next = this.text.charCodeAt(this.pos);
    if (next === 46 || next === 101 || next === 69 || (next >= 48 && next <= 57)) {
      this.error(`invalid number ${JSON.stringify(m[0] + this.text[this.pos])}`, start);
    }
    return Number(m[0]);
  }

  private string(): string {
    const t = this.text;
    const start = this.pos;
    let p = start + 1;
    let out = '';
    let chunk = p;
    for (;;) {
      if (p >= t.length) { this.pos = start; this.error('unterminated string'); }
      const c = t.charCodeAt(p);
      if (c === 34) break;
      if (c < 0x20) { this.pos = p; this.error(`unescaped ${this.found()} in a string`); }
      if (c === 92 /* \ */) {
        out += t.slice(chunk, p);
        const e = t[p + 1];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = t.slice(p + 2, p + 6);
            if (!/^[0-9A-Fa-f]{4}$/.test(hex)) { this.pos = p; this.error('invalid \\u escape in a string'); }
            out += String.fromCharCode(parseInt(hex, 16));
            p += 4;
            break;
          }
          default: this.pos = p; this.error(`invalid escape ${JSON.stringify('\\' + (e ?? ''))} in a string`);
        }
        p += 2;
        chunk = p;
        continue;
      }
      p++;
    }
    out += t.slice(chunk, p);
    this.pos = p + 1;
    return out;
  }

  private object(depth: number): JsonObject {
    if (depth > MAX_DEPTH) this.error(`nesting deeper than ${MAX_DEPTH} levels`);
    const o: JsonObject = {};
    const keys: string[] = [];
    let reorder = false;
    this.pos++;
    this.ws();
    if (this.text.charCodeAt(this.pos) === 125 /* } */) { this.pos++; return o; }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== 34) this.error(`expected a property name in double quotes, got ${this.found()}`);
      const keyAt = this.pos;
      const k = this.string();
      if (Object.prototype.hasOwnProperty.call(o, k)) this.error(`duplicate key ${JSON.stringify(k)}`, keyAt);
      this.ws();
      if (this.text.charCodeAt(this.pos) !== 58 /* : */) this.error(`expected ':' after the property name, got ${this.found()}`);
      this.pos++;
      this.ws();
      if (this.pos >= this.text.length) this.error('expected a JSON value, got the end of the text');
      this.path.push(k);
      const v = this.value(depth);
      this.path.pop();
      if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
      else o[k] = v;
      keys.push(k);
      if (!reorder && ARRAY_INDEX_KEY.test(k)) reorder = true;
      this.ws();
      const c = this.text.charCodeAt(this.pos);
      if (c === 44 /* , */) { this.pos++; this.ws(); continue; }
      if (c === 125) { this.pos++; break; }
      this.error(`expected ',' or '}' after a property value, got ${this.found()}`);
    }
    if (reorder) KEY_ORDER.set(o, keys);
    return o;
  }

  private array(depth: number): unknown[] {
    if (depth > MAX_DEPTH) this.error(`nesting deeper than ${MAX_DEPTH} levels`);
    const a: unknown[] = [];
    this.pos++;
    this.ws();
    if (this.text.charCodeAt(this.pos) === 93 /* ] */) { this.pos++; return a; }
    for (;;) {
      if (this.pos >= this.text.length) this.error('expected a JSON value, got the end of the text');
      this.path.push(a.length);
      a.push(this.value(depth));
      this.path.pop();
      this.ws();
      const c = this.text.charCodeAt(this.pos);
      if (c === 44) { this.pos++; this.ws(); continue; }
      if (c === 93) { this.pos++; break; }
      this.error(`expected ',' or ']' after a list item, got ${this.found()}`);
    }
    return a;
  }
}
