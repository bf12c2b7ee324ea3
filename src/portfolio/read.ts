/**
 * Reading portfolio files (docs/methods.md §4): CSV `portfolio,instrument,quantity` (csv.ts), or
 * NDJSON with one portfolio a line (ndjson.ts). Both readers are incremental, line-based state
 * machines (a big file can be streamed through them line by line); the whole-text functions here
 * are built on them, merging a reader's emits into one portfolio per distinct id.
 *
 * File-level problems (CSV: empty file, missing or wrong header, a quoted field still open
 * MAX_RECORD_LINES lines later or longer than MAX_CSV_LINE_BYTES; a line that is not UTF-8, or too
 * long, before the header) throw InputError naming the file. Row-level problems make only their
 * portfolio an error, with a one-line reason naming the row (the 1-based line number in the file)
 * and the field; echoed values are cut (errors.ts show).
 *
 * Limits (every reader, text or bytes): a field (id, instrument, quantity) of at most
 * MAX_FIELD_BYTES, a CSV line of at most MAX_CSV_LINE_BYTES, an NDJSON line of at most
 * MAX_NDJSON_LINE_BYTES, in UTF-8 bytes; past them, an error of the row naming the limit. Parsing
 * is linear in the input (no backtracking regular expression).
 *
 * Ids that are not text: a portfolio id holding a byte that is not UTF-8, U+FFFD (the mark such
 * bytes leave once decoded) or a lone surrogate, or longer than the field limit, names no
 * portfolio: its row is an error entry of its own (`row N`; NDJSON `line N`), so ids that differ
 * only in such bytes are never merged. Such an instrument is an error of its portfolio.
 *
 * The end of the file: a last line without a line end is read whole (the whole-text and stream
 * readers report it through onWarning); a quoted field the file ends inside is an error of its
 * row's portfolio, and the portfolios before it are complete.
 *
 * Bytes (streams, src/portfolio/stream.ts): lines can be fed as UTF-8 bytes (pushBytes, or
 * pushLines for a run of LF-ended lines), with the same results as their text. A line that is
 * not valid UTF-8 is a malformed row ("not valid UTF-8 (byte 0xE9 at column 2)") of the portfolio
 * its first field names (read with U+FFFD for the bad bytes; NDJSON: an unreadable line); before
 * the CSV header it is a file-level error (a UTF-16 file, for example).
 */
import { checkParseArgs } from '../options.js';
import type { ParsedPortfolio, PortfolioEmit, PortfolioLineReader } from './types.js';
import { LineFeeder, noFinalNewline } from './stream.js';
import { CsvPortfolioReader } from './csv.js';
import { NdjsonPortfolioReader } from './ndjson.js';
import { withMoreErrors } from './reader.js';

/**
 * Gathers a reader's emits into one portfolio per seq: an amending emit adds its positions to its
 * portfolio (in file order), or makes it an error (its first bad row's message, with the bad rows
 * of every part counted).
 */
export class EmitMerger {
  readonly out: ParsedPortfolio[] = [];
  /** Error portfolios that may still grow: the first bad row's message and the bad rows so far. */
  private readonly errors = new Map<number, { first: string; bad: number }>();

  take(e: PortfolioEmit): void {
    const p = e.portfolio;
    if (!e.amends) {
      this.out[e.seq] = p;
      if (p.error !== undefined) this.errors.set(e.seq, { first: e.firstError ?? p.error, bad: e.badRows ?? 1 });
      return;
    }
    const prev = this.out[e.seq];
    if (p.error !== undefined) {
      const known = this.errors.get(e.seq);
      const state = known ?? { first: e.firstError ?? p.error, bad: 0 };
      state.bad += e.badRows ?? 1;
      this.errors.set(e.seq, state);
      this.out[e.seq] = { id: prev.id, error: withMoreErrors(state.first, state.bad - 1) };
      return;
    }
    if (prev.error !== undefined) return;
    const more = p.positions;
    const to = prev.positions;
    for (let k = 0; k < more.length; k++) to.push(more[k]);
  }
}

/** Splits text into lines at CRLF, LF or CR. */
function lines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

export interface ParseOptions {
  /** Non-fatal findings (the last line has no line end). */
  onWarning?: (message: string) => void;
}

/**
 * Runs a whole input through a reader: one portfolio per distinct id, in order of first appearance.
 * A text is cut into lines here; bytes (UTF-8) go through the stream's line feeder, exactly as a
 * stream of them would (a byte that is not UTF-8 is an error of its row, never a U+FFFD in an id).
 */
export function readAll(reader: PortfolioLineReader, text: string | Uint8Array, options: ParseOptions = {}): ParsedPortfolio[] {
  const merger = new EmitMerger();
  const take = (emits: readonly PortfolioEmit[]) => { for (const e of emits) merger.take(e); };
  const out = merger.out;
  const source = (reader as { source?: string }).source ?? 'portfolios';
  if (typeof text !== 'string') {
    const feeder = new LineFeeder(reader, source);
    feeder.push(text, take);
    feeder.end(take, options.onWarning);
    return out;
  }
  const all = lines(text);
  // After a final line end there is no line (a stream has none there either).
  const last = all[all.length - 1] === '' ? all.length - 1 : all.length;
  for (let k = 0; k < last; k++) take(reader.push(all[k]));
  if (last === all.length && text !== '') options.onWarning?.(noFinalNewline(source, reader.lineNumber));
  take(reader.end());
  return out;
}

/** Parses CSV portfolios (`portfolio,instrument,quantity`), from a text or UTF-8 bytes. */
export function parsePortfoliosCsv(text: string | Uint8Array, source = 'portfolios.csv', options?: ParseOptions): ParsedPortfolio[] {
  checkParseArgs(text, source, options, 'parsePortfoliosCsv');
  return readAll(new CsvPortfolioReader(source), text, options);
}

/** Parses NDJSON portfolios (one `{"portfolio": ..., "positions": [...]}` a line), from a text or UTF-8 bytes. */
export function parsePortfoliosNdjson(text: string | Uint8Array, source = 'portfolios.ndjson', options?: ParseOptions): ParsedPortfolio[] {
  checkParseArgs(text, source, options, 'parsePortfoliosNdjson');
  return readAll(new NdjsonPortfolioReader(source), text, options);
}

/** True when `source` names an NDJSON file (.ndjson or .jsonl); anything else is read as CSV. */
export function isNdjsonName(source: string): boolean {
  return /\.(ndjson|jsonl)$/i.test(source);
}

/** A line reader for `source`, chosen by its extension. */
export function portfolioReader(source: string): PortfolioLineReader {
  return isNdjsonName(source) ? new NdjsonPortfolioReader(source) : new CsvPortfolioReader(source);
}

/**
 * Parses portfolios, as NDJSON when `source` ends in .ndjson or .jsonl, else as CSV: a text, or
 * the file's bytes (UTF-8; then bytes that are not UTF-8 are errors of their rows, as on a stream).
 */
export function parsePortfolios(text: string | Uint8Array, source = 'portfolios.csv', options?: ParseOptions): ParsedPortfolio[] {
  checkParseArgs(text, source, options, 'parsePortfolios');
  return readAll(portfolioReader(source), text, options);
}
