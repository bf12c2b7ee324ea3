/**
 * What the CSV and NDJSON readers share (docs/methods.md §4.4): sequence numbers in order of first
 * appearance, the id index, emits (returned, or handed to a sink), the id checks that make a row an
 * entry of its own, and the "and N more bad rows" message.
 */
import { show } from '../errors.js';
import type { ParsedPortfolio, PortfolioEmit } from './types.js';
import { MAX_FIELD_BYTES } from './limits.js';
import { SeenIds } from './intern.js';
import { longerThan, unreadableText } from './utf8.js';

export const NONE: readonly PortfolioEmit[] = Object.freeze([]);

/**
 * A portfolio's error message for its first bad row and `more` bad rows after it (one message
 * whatever the number of rows, and however they are spread over the file).
 */
export function withMoreErrors(first: string, more: number): string {
  return more > 0 ? `${first} (and ${more} more bad row${more > 1 ? 's' : ''})` : first;
}

export abstract class Reader {
  protected line = 0;
  protected nextSeq = 0;
  protected readonly seen: SeenIds;
  protected out: PortfolioEmit[] | undefined;

  constructor(trackLines: boolean) {
    this.seen = new SeenIds(trackLines);
  }

  get lineNumber(): number { return this.line; }

  /** Where emits go instead of the return values of push (a CSV reader with a sink). */
  protected emitTo: ((e: PortfolioEmit) => void) | undefined;

  /** An emit; for an error, its first bad row's message and how many bad rows it stands for (see PortfolioEmit). */
  protected emit(seq: number, portfolio: ParsedPortfolio, amends = false, firstError?: string, badRows?: number): void {
    const e: PortfolioEmit = { seq, portfolio, amends };
    if (portfolio.error !== undefined && (amends || badRows !== undefined)) {
      e.firstError = firstError ?? portfolio.error;
      e.badRows = badRows ?? 1;
    }
    if (this.emitTo) this.emitTo(e);
    else (this.out ??= []).push(e);
  }

  protected flush(): readonly PortfolioEmit[] {
    const o = this.out;
    this.out = undefined;
    return o ?? NONE;
  }

}

/**
 * Why a portfolio id cannot name a portfolio (at `where`, a row or line), or undefined: longer than the field
 * limit, or not text (see unreadableText). Such a row is an error entry of its own.
 */
export function idProblem(where: string, id: string): string | undefined {
  if (longerThan(id, MAX_FIELD_BYTES)) return `${where}: portfolio id ${show(id)} is longer than the limit of ${MAX_FIELD_BYTES} bytes`;
  const why = unreadableText(id);
  return why === undefined ? undefined : `${where}: portfolio id ${show(id)} ${why}; portfolio files are UTF-8`;
}
