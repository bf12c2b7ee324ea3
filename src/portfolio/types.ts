/** Portfolios as read from a portfolio file (docs/methods.md §4), before instruments are resolved. */

/** One position: an instrument id and a signed quantity of contracts (positive long, negative short). */
export interface ParsedPosition {
  instrument: string;
  quantity: number;
}

/**
 * A portfolio read from a file: its positions, or the one-line reason it could not be read
 * (it becomes an error row of the results; the other portfolios are unaffected).
 */
export type ParsedPortfolio =
  | { id: string; positions: ParsedPosition[]; error?: undefined; columns?: PositionColumns }
  | { id: string; error: string; positions?: undefined; columns?: undefined };

/**
 * Positions as two columns, as a CSV reader in columns mode emits them (then `positions` is empty):
 * instruments[k] and quantities[k] are position k.
 */
export interface PositionColumns {
  instruments: string[];
  quantities: number[];
  /** With a resolver (CsvPortfolioReader options.resolve): codes[k] = resolve(instruments[k]). */
  codes?: number[];
}

/**
 * What a line reader emits. `seq` is the portfolio's place in the file (0-based, in order of first
 * appearance); readers emit portfolios in increasing `seq`, except amendments: `amends: true` is
 * more of the portfolio emitted earlier with the same `seq` (its id came back after other
 * portfolios): its positions follow that portfolio's, and an error makes the whole portfolio an
 * error (the first bad row's message, counting the bad rows of every part; see withMoreErrors).
 * Contiguous input has no amendments.
 */
export interface PortfolioEmit {
  seq: number;
  portfolio: ParsedPortfolio;
  amends: boolean;
  /**
   * An error emit that may have to be merged (an amendment, or a CSV portfolio's part): the message
   * of its first bad row, without the count of the others, and the number of bad rows (>= 1).
   */
  firstError?: string;
  badRows?: number;
}

/** An incremental, line-based portfolio reader (CSV or NDJSON). */
export interface PortfolioLineReader {
  /** Feeds one physical line, without its line terminator (a trailing "\r" is ignored). */
  push(line: string): readonly PortfolioEmit[];
  /**
   * Feeds one physical line as UTF-8 bytes buf[start, end), without its terminator: the same as
   * push() of its text; bytes that are not valid UTF-8 make the line a malformed row.
   */
  pushBytes(buf: Uint8Array, start: number, end: number): readonly PortfolioEmit[];
  /**
   * Optional fast path for streams: buf[start, end) is a run of whole lines, each ended by LF, with
   * no CR anywhere; the same as pushBytes of each line.
   */
  pushLines?(buf: Uint8Array, start: number, end: number): readonly PortfolioEmit[];
  /** Ends the input: emits what is still open; throws InputError for a file-level error. */
  end(): readonly PortfolioEmit[];
  /** Lines fed so far. */
  readonly lineNumber: number;
}
