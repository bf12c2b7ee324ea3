/**
 * The NDJSON portfolio reader (docs/methods.md §4.2), fed text lines (push) or UTF-8 bytes
 * (pushBytes).
 *
 * NDJSON: one portfolio a line, `{"portfolio":"P1","positions":[{"instrument":"BTC-PERP","quantity":-2}]}`,
 * no other fields; blank lines skipped; an unreadable line is an error entry whose id is the
 * line's "portfolio" when it can be read, else `line N`; an id on several lines is one portfolio,
 * its positions in line order (the later lines are amending emits). An empty file holds no
 * portfolios.
 */
import { show } from '../errors.js';
import { JsonSyntaxError, parseJsonText } from '../market/validate.js';
import type { ParsedPosition, PortfolioEmit, PortfolioLineReader } from './types.js';
import { MAX_FIELD_BYTES, MAX_NDJSON_LINE_BYTES } from './limits.js';
import { decodeLine, longerThan, unreadableText } from './utf8.js';
import { NONE, Reader, idProblem } from './reader.js';

const PORTFOLIO_FIELDS = ['portfolio', 'positions'];
const POSITION_FIELDS = ['instrument', 'quantity'];

/** Reads NDJSON portfolios line by line; each line's portfolio is emitted at once. */
export class NdjsonPortfolioReader extends Reader implements PortfolioLineReader {
  /** The longest line read (a longer one is an entry of its own; see pushOverlong). */
  readonly maxLineBytes = MAX_NDJSON_LINE_BYTES;
  constructor(readonly source = 'portfolios.ndjson') { super(false); }

  push(rawLine: string): readonly PortfolioEmit[] {
    if (longerThan(rawLine, MAX_NDJSON_LINE_BYTES)) return this.overlong(Buffer.byteLength(rawLine, 'utf8'));
    this.line++;
    let line = rawLine;
    if (this.line === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.trim() === '') return NONE;
    const n = this.line;
    const r = readLine(line, n);
    return this.entry(n, r.id, r.positions, r.error);
  }

  /** Line n's portfolio: its positions, or the reason it is unusable. */
  private entry(n: number, id: string | undefined, positions: ParsedPosition[] | undefined, error: string | undefined): readonly PortfolioEmit[] {
    const bad = id === undefined ? undefined : idProblem(`line ${n}`, id);
    if (bad !== undefined) {
      // An id that cannot name a portfolio: the line is an entry of its own.
      error = error ?? bad;
      id = undefined;
    }
    if (id === undefined) {
      this.emit(this.nextSeq++, { id: `line ${n}`, error: error! });
      return this.flush();
    }
    const again = this.seen.seq(id);
    if (again >= 0) {
      // An id on an earlier line: this line's positions add to that portfolio (an amending emit).
      this.emit(again, error !== undefined ? { id, error } : { id, positions: positions! }, true);
      return this.flush();
    }
    const seq = this.nextSeq++;
    this.seen.add(id, seq, error !== undefined, n);
    this.emit(seq, error !== undefined ? { id, error } : { id, positions: positions! });
    return this.flush();
  }

  /**
   * Feeds one line given as UTF-8 bytes buf[start, end), without its terminator: the same as push()
   * of its text. A line that is not valid UTF-8 is an unreadable line (an error entry named by its
   * "portfolio" when that can still be read, else `line N`).
   */
  pushBytes(buf: Uint8Array, start: number, end: number): readonly PortfolioEmit[] {
    if (end - start > MAX_NDJSON_LINE_BYTES) return this.overlong(end - start);
    const d = decodeLine(buf, start, end);
    if (d.invalid === undefined) return this.push(d.text);
    this.line++;
    const n = this.line;
    return this.entry(n, idFromBrokenLine(d.text), undefined, `line ${n}: ${d.invalid}`);
  }

  /** A line longer than MAX_NDJSON_LINE_BYTES (`bytes` long): an entry of its own, `line N`. */
  pushOverlong(_buf: Uint8Array, _start: number, _end: number, bytes: number): readonly PortfolioEmit[] {
    return this.overlong(bytes);
  }

  private overlong(bytes: number): readonly PortfolioEmit[] {
    this.line++;
    const n = this.line;
    return this.entry(n, undefined, undefined, `line ${n}: the line is ${bytes} bytes long; the limit is ${MAX_NDJSON_LINE_BYTES} bytes`);
  }

  end(): readonly PortfolioEmit[] {
    return NONE;
  }
}

/** One NDJSON line: its portfolio id when readable, and its positions or the reason it is unusable. */
function readLine(line: string, n: number): { id?: string; positions?: ParsedPosition[]; error?: string } {
  let v: unknown;
  try {
    v = parseJsonText(line);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    return { id: idFromBrokenLine(line), error: `line ${n}: invalid JSON at column ${e.column}: ${e.reason}` };
  }
  const shape = '{"portfolio": ..., "positions": [...]}';
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return { error: `line ${n}: expected a JSON object ${shape}, got ${show(v)}` };
  }
  const o = v as Record<string, unknown>;
  const has = (k: string) => Object.prototype.hasOwnProperty.call(o, k);
  const pid = has('portfolio') ? o.portfolio : undefined;
  const id = typeof pid === 'string' && pid !== '' ? pid : undefined;
  const bad = (error: string) => ({ id, error: `line ${n}: ${error}` });
  for (const k of Object.keys(o)) {
    if (!PORTFOLIO_FIELDS.includes(k)) return bad(`unknown field ${show(k)}; expected "portfolio" and "positions"`);
  }
  if (id === undefined) return bad(`portfolio: expected a non-empty string, got ${show(pid)}`);
  const list = has('positions') ? o.positions : undefined;
  if (!Array.isArray(list)) return bad(`positions: expected a list of {"instrument": ..., "quantity": ...}, got ${show(list)}`);
  const positions: ParsedPosition[] = [];
  for (let k = 0; k < list.length; k++) {
    const p = list[k];
    const at = `positions[${k}]`;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) {
      return bad(`${at}: expected a JSON object {"instrument": ..., "quantity": ...}, got ${show(p)}`);
    }
    const po = p as Record<string, unknown>;
    for (const f of Object.keys(po)) {
      if (!POSITION_FIELDS.includes(f)) return bad(`${at}: unknown field ${show(f)}; expected "instrument" and "quantity"`);
    }
    const instrument = Object.prototype.hasOwnProperty.call(po, 'instrument') ? po.instrument : undefined;
    if (typeof instrument !== 'string' || instrument === '') {
      return bad(`${at}.instrument: expected a non-empty string, got ${show(instrument)}`);
    }
    if (longerThan(instrument, MAX_FIELD_BYTES)) return bad(`${at}.instrument: ${show(instrument)} is longer than the limit of ${MAX_FIELD_BYTES} bytes`);
    const why = unreadableText(instrument);
    if (why !== undefined) return bad(`${at}.instrument: ${show(instrument)} ${why}; portfolio files are UTF-8`);
    const quantity = Object.prototype.hasOwnProperty.call(po, 'quantity') ? po.quantity : undefined;
    if (typeof quantity !== 'number' || !Number.isFinite(quantity)) {
      return bad(`${at}.quantity: expected a finite number, got ${show(quantity)}`);
    }
    positions.push({ instrument, quantity: quantity + 0 });
  }
  return { id, positions };
}

/**
 * The "portfolio" string of a line that is not valid JSON, when it can still be read: after the
 * first `"portfolio"` key, within the field limit. One pass (no backtracking search).
 */
function idFromBrokenLine(line: string): string | undefined {
  const key = line.indexOf('"portfolio"');
  if (key < 0) return undefined;
  let i = key + 11;
  const ws = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
  while (ws(line.charCodeAt(i))) i++;
  if (line.charCodeAt(i) !== 58 /* : */) return undefined;
  i++;
  while (ws(line.charCodeAt(i))) i++;
  if (line.charCodeAt(i) !== 34) return undefined;
  const start = i;
  const stop = Math.min(line.length, start + 6 * MAX_FIELD_BYTES + 2);
  for (i = start + 1; i < stop; i++) {
    const c = line.charCodeAt(i);
    if (c === 92 /* \ */) { i++; continue; }
    if (c !== 34) continue;
    try {
      const id: unknown = JSON.parse(line.slice(start, i + 1));
      return typeof id === 'string' && id !== '' ? id : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
