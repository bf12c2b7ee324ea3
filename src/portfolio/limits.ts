/**
 * The limits of every portfolio reader, text or bytes (docs/methods.md §4.4), in UTF-8 bytes:
 * past them, an error of the row naming the limit. Price histories share them.
 */

/** Lines a quoted field may span before the reader calls it unclosed (a file-level error). */
export const MAX_RECORD_LINES = 10_000;
/**
 * The longest field (portfolio id, instrument, quantity) accepted, in UTF-8 bytes: a longer one is
 * an error of its row (a portfolio id that long makes its row an entry of its own, `row N`).
 */
export const MAX_FIELD_BYTES = 1024;
/**
 * The longest CSV line accepted, in UTF-8 bytes (three fields at the field limit, quoted, fit many
 * times over): a longer line is an error of its row, read without keeping more than its first bytes.
 */
export const MAX_CSV_LINE_BYTES = 64 * 1024;
/** The longest NDJSON line (one portfolio with all its positions) accepted, in UTF-8 bytes. */
export const MAX_NDJSON_LINE_BYTES = 64 * 1024 * 1024;
