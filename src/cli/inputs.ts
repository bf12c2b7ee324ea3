/**
 * Reading the commands' input files: a file or standard input (`-`), the market snapshot, and the
 * grid-block files of `run --grid` and `calibrate --base-grid` / `--previous`.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { parseMarket } from '../market/load.js';
import { validateGrid } from '../market/grid-spec.js';
import { isObject, own, readJson } from '../market/validate.js';
import type { GridSpec, ResolvedMarket } from '../market/types.js';
import type { GridSource } from '../dim/calibrate.js';
import { UsageError } from '../io/target.js';

/** The message of a file that cannot be read: `--market x.json: cannot read (ENOENT)`. */
function cannotRead(path: string, what: string, e: unknown): string {
  return `${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
}

/**
 * The text of a file (UTF-8), or of standard input for `-`; one that cannot be read is the error
 * `fail` makes of the message (default a UsageError, exit 2).
 */
export function readText(path: string, what: string, fail: (message: string) => Error = (m) => new UsageError(m)): string {
  try {
    return path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (e) {
    throw fail(cannotRead(path, what, e));
  }
}

/** readText for the files of calibrate and the grid files: one that cannot be read is an InputError naming the file. */
export function readInputFile(path: string, what: string): string {
  return readText(path, what, (m) => new InputError(m, { file: path }));
}

/** The bytes of a file (or of standard input): portfolio files are decoded by their reader, strictly. */
export function readBytes(path: string, what: string): Uint8Array {
  try {
    return path === '-' ? readFileSync(0) : readFileSync(path);
  } catch (e) {
    throw new UsageError(cannotRead(path, what, e));
  }
}

/** `--market FILE`: the snapshot, parsed and resolved (`stdin` names standard input in messages). */
export function loadMarket(path: string): ResolvedMarket {
  return parseMarket(readText(path, '--market'), path === '-' ? 'stdin' : path);
}

/**
 * A grid block from a JSON file: the file is a grid block (it has `points`), or a market snapshot
 * whose `risk.grid` is taken.
 */
export function gridSourceFromFile(path: string, what: string): GridSource {
  const json = readJson(readInputFile(path, what), path);
  if (isObject(json) && own(json, 'points') === undefined) {
    const risk = own(json, 'risk');
    if (isObject(risk) && own(risk, 'grid') !== undefined) return { raw: own(risk, 'grid'), source: path, path: 'risk.grid' };
  }
  return { raw: json, source: path, path: '' };
}

/** `run --grid FILE`: the grid of a grid-block file (or of a market file's risk.grid), validated against `market`. */
export function loadGridFile(path: string, market: ResolvedMarket): GridSpec {
  const g = gridSourceFromFile(path, '--grid');
  return validateGrid(g.raw, g.source, g.path ?? '', market);
}
