/**
 * The portfolio readers moved by role: read.ts (whole inputs, parsePortfolios*), csv.ts, ndjson.ts,
 * reader.ts (what they share), limits.ts, number.ts, utf8.ts, intern.ts. This module only
 * re-exports what the command line and the batch engine still import from here.
 */
export { isNdjsonName, parsePortfolios, parsePortfoliosCsv, parsePortfoliosNdjson } from './read.js';
export { CsvPortfolioReader, type CsvSink } from './csv.js';
export { NdjsonPortfolioReader } from './ndjson.js';
export { withMoreErrors } from './reader.js';
