#!/usr/bin/env node
// Writes the golden outputs in test/fixtures/golden/: what the built command line
// (dist/src/cli.js) prints for a seeded book, so that test/golden.test.ts can check, byte for
// byte, that every supported Node version (and every later change) computes the same numbers.
//
//   npm run golden                         (builds, then runs this script)
//   node scripts/make-golden.mjs [DIR]     (after npm run build; DIR defaults to test/fixtures/golden)
//
// The files, all on examples/market.json:
//   book.csv     margin-engine demo --portfolios 1000: the demo's seeded book of 1,000 portfolios
//   grid.csv     margin-engine run --method grid on book.csv
//   es.csv       margin-engine run --method es on book.csv (the market's risk.es block)
//   value.csv    margin-engine value
//
// Regenerate them (and commit them) only when a change of the numbers or of an output format is
// intended; say why in the commit. Any Node version the package supports gives the same bytes.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const GOLDEN_DIR = join(ROOT, 'test', 'fixtures', 'golden');
export const GOLDEN_FILES = ['book.csv', 'grid.csv', 'es.csv', 'value.csv'];
export const GOLDEN_PORTFOLIOS = 1000;

const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const MARKET = join(ROOT, 'examples', 'market.json');

function cli(args, cwd) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`margin-engine ${args.join(' ')} exited with ${r.status}: ${r.stderr || r.error}`);
  }
}

/**
 * Writes the golden files into `dir` (created if needed) with the built command line of this
 * checkout, run by the current Node. `threads` is passed to every `run` (the rows are the same for
 * any number). Returns the paths written, by file name.
 */
export function makeGolden(dir, { threads = 1 } = {}) {
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'margin-golden-'));
  try {
    cli(['demo', '--portfolios', String(GOLDEN_PORTFOLIOS), '--out-dir', work], work);
    copyFileSync(join(work, 'book.csv'), join(dir, 'book.csv'));
    const book = join(dir, 'book.csv');
    const t = ['--threads', String(threads)];
    cli(['run', '--market', MARKET, '--portfolios', book, '--method', 'grid', ...t, '--out', join(dir, 'grid.csv')], work);
    cli(['run', '--market', MARKET, '--portfolios', book, '--method', 'es', ...t, '--out', join(dir, 'es.csv')], work);
    cli(['value', '--market', MARKET, '--out', join(dir, 'value.csv')], work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return Object.fromEntries(GOLDEN_FILES.map((f) => [f, join(dir, f)]));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? GOLDEN_DIR);
  makeGolden(dir);
  console.log(`golden outputs written to ${dir} (Node ${process.version}): ${GOLDEN_FILES.join(', ')}`);
}
