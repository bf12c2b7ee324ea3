/**
 * What the commands share in reading their arguments: the output options (`--out`, `--format`,
 * `--csv-raw`) and their help text, and the argument errors of node:util's parseArgs, which the
 * command line reports with a pointer to `--help` (exit 2).
 */

/** The output options of run and value (parseArgs options). */
export const OUT_OPTIONS = { out: { type: 'string' }, format: { type: 'string' }, 'csv-raw': { type: 'boolean' } } as const;

/** The help lines of the output options every command that writes rows shares. */
export const OUTPUT_OPTIONS_TEXT = `  --out FILE            output file (default: standard output; - too). Written to a temporary file
                        in the same folder and renamed into place when the command ends well; an
                        interrupted run leaves FILE.partial; an output that is an input is refused
  --format F            csv or ndjson (default: from the --out extension, .csv CSV, .ndjson/.jsonl
                        NDJSON; another extension is an error; standard output or a device: CSV)
  --csv-raw             write CSV text fields as they are (default off: an id, message or name
                        beginning with =, +, -, @, a tab or a CR gets a leading ' and is quoted,
                        so that a spreadsheet does not run it as a formula)`;

/** The codes of parseArgs's errors: an unknown option, an option without its value, a stray argument. */
const PARSE_ERRORS = new Set(['ERR_PARSE_ARGS_UNKNOWN_OPTION', 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE', 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL']);

/** True for an error of parseArgs (a bad argument, exit 2). */
export function isParseError(e: { code?: unknown }): boolean {
  return typeof e.code === 'string' && PARSE_ERRORS.has(e.code);
}
