#!/usr/bin/env node
// Writes the golden outputs in test/fixtures/golden/: what the built command line
// (dist/src/cli/main.js) prints for every command on the bundled examples and on seeded books, so that
// test/golden.test.ts can check, byte for byte, that every supported Node version, every number of
// threads (and every later change) computes the same output.
//
//   npm run golden                         (builds, then runs this script)
//   node scripts/make-golden.mjs [DIR]     (after npm run build; DIR defaults to test/fixtures/golden)
//
// The files (CASES below lists every command and the files it writes):
//   inputs/       seeded inputs written by this script (not by the engine): two random books on
//                 examples/market.json (rand-a.csv, rand-b.ndjson) and an accounts file whose ids
//                 the CSV formula guard quotes (accounts-guard.json)
//   book.csv      margin-engine demo --portfolios 1000: the demo's seeded book
//   grid.csv, es.csv   run --method grid / es on book.csv; value.csv: margin-engine value
//   demo/         the demo's summary (timings and the output folder normalised; its results.csv
//                 is compared with grid.csv)
//   rand-a/, rand-b/   run on the random books: each method, preset, --grid, --stress,
//                 --allocation, CSV and NDJSON, --csv-raw, standard input and output
//   big/          the SHA-256 of run on a big seeded book (not committed: see bigBook)
//   value/, accounts/, replay/, calibrate/   the other commands on the examples
//
// Every input path is given relative to the repository (the commands run there), so no machine
// path gets into an output (calibrate writes its input names into the grid's description).
// Regenerate the files (and commit them) only when a change of the numbers or of an output format
// is intended; say why in the commit. Any Node version the package supports gives the same bytes,
// and every `run` gives the same bytes for any --threads (the test runs them with 1 and 2).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const GOLDEN_DIR = join(ROOT, 'test', 'fixtures', 'golden');
export const GOLDEN_PORTFOLIOS = 1000;

const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const MARKET = 'examples/market.json';
const HISTORY = 'examples/history.csv';
const STRESS = 'examples/stress.json';
const ACCOUNTS = 'examples/accounts.json';
const EVENTS = 'examples/events.ndjson';

// ---------------------------------------------------------------------------------------------
// Seeded inputs. Written by this script from examples/market.json with its own generator
// (mulberry32), so that they do not change when the engine's code does.

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random book on the market: `count` portfolios of 1 to 6 positions on 1 to 3 underlyings (so
 * across groups), long and short options (7 in 10 positions), futures, perpetuals and spot, each
 * 0.1 to 5 times a power of ten of contracts (a spot notional of 31,623 to 316,228), long or short.
 * Returns portfolios as { id, positions: [[instrument, quantity]] }.
 */
function randomPortfolios(market, count, seed, prefix) {
  const rnd = mulberry32(seed);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const byUnderlying = {};
  for (const [id, ins] of Object.entries(market.instruments)) {
    const u = (byUnderlying[ins.underlying] ??= { options: [], linear: [] });
    (ins.kind === 'option' ? u.options : u.linear).push(id);
  }
  const unds = Object.keys(byUnderlying);
  const sizes = [0.1, 0.25, 0.5, 1, 2, 3, 5];
  const out = [];
  for (let p = 1; p <= count; p++) {
    const chosen = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(unds));
    const n = 1 + Math.floor(rnd() * 6);
    const positions = [];
    for (let k = 0; k < n; k++) {
      const u = pick(chosen);
      const spot = market.underlyings[u].spot;
      // The power of ten of contracts nearest a notional of 100,000 (integer steps: no Math.log10,
      // whose last bit may differ between Node versions).
      let unit = 1;
      while (spot * unit < 31_623) unit *= 10;
      const ids = byUnderlying[u];
      const instrument = rnd() < 0.7 && ids.options.length > 0 ? pick(ids.options) : pick(ids.linear);
      const sign = rnd() < 0.5 ? -1 : 1;
      positions.push([instrument, Number((sign * pick(sizes) * unit).toPrecision(6))]);
    }
    out.push({ id: `${prefix}${String(p).padStart(4, '0')}`, positions });
  }
  return out;
}

/** rand-a.csv: 200 portfolios (seed 101), contiguous rows, with the special portfolios below. */
function bookA(market) {
  const book = randomPortfolios(market, 200, 101, 'A');
  // Special portfolios, at fixed places: an unknown instrument beside a known one, a portfolio
  // whose one position is 0 (a CSV portfolio cannot be empty), a bad quantity, ids that the CSV
  // formula guard quotes (so that --csv-raw changes the bytes), a hedged book on one underlying.
  book.splice(10, 0, { id: 'A-UNKNOWN', positions: [['BTC-PERP', 1], ['BTC-27DEC26-X', 2]] });
  book.splice(20, 0, { id: 'A-ZERO', positions: [['ETH-PERP', 0]] });
  book.splice(30, 0, { id: 'A-BADQTY', positions: [['SOL-PERP', 'abc'], ['SOL', 10]] });
  book.splice(40, 0, { id: '=HYPERLINK("x")', positions: [['NVDA', 100]] });
  book.splice(50, 0, { id: '-SHORT', positions: [['SPX-18DEC26-5700-P', -3], ['NDX-18DEC26-21000-C', 1]] });
  book.splice(60, 0, { id: '@AT', positions: [['AAPL', -200], ['BTC-25DEC26', 0.5]] });
  book.splice(70, 0, {
    id: 'A-HEDGED',
    positions: [['BTC-25DEC26-90000-P', -2], ['BTC-25DEC26-110000-C', -2], ['BTC-PERP', 0.5], ['BTC-26MAR27', -0.5]],
  });
  const quote = (s) => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const lines = ['portfolio,instrument,quantity'];
  for (const { id, positions } of book) {
    for (const [instrument, quantity] of positions) lines.push(`${quote(id)},${instrument},${quantity}`);
  }
  return lines.join('\n') + '\n';
}

/** rand-b.ndjson: 40 portfolios (seed 202), with an empty one, an unknown instrument, an id on two lines. */
function bookB(market) {
  const book = randomPortfolios(market, 40, 202, 'B');
  book.splice(5, 0, { id: 'B-EMPTY', positions: [] });
  book.splice(15, 0, { id: 'B-UNKNOWN', positions: [['ETH-PERP', -3], ['NOPE-1', 1]] });
  book.splice(25, 0, { id: '+PLUS', positions: [['SOL-PERP', 50]] });
  // The first portfolio again at the end: its positions add to the first line's (unsorted input).
  book.push({ id: book[0].id, positions: [['BTC-PERP', -0.25]] });
  return book.map(({ id, positions }) => JSON.stringify({
    portfolio: id, positions: positions.map(([instrument, quantity]) => ({ instrument, quantity })),
  })).join('\n') + '\n';
}

/**
 * big.csv: 8,000 portfolios (seed 303), about 28,000 rows: enough work for three batch tasks of
 * the grid (a task is 2^19 units of positions and portfolios x scenarios), so that --threads 2
 * margins it on both workers. Written into a temporary folder at each run, not committed; its outputs are
 * compared by their SHA-256 (big/*.sha256).
 */
export const BIG_PORTFOLIOS = 8_000;
function bigBook(market) {
  const lines = ['portfolio,instrument,quantity'];
  for (const { id, positions } of randomPortfolios(market, BIG_PORTFOLIOS, 303, 'G')) {
    for (const [instrument, quantity] of positions) lines.push(`${id},${instrument},${quantity}`);
  }
  return lines.join('\n') + '\n';
}

/** accounts-guard.json: examples/accounts.json with account ids that the CSV formula guard quotes. */
function accountsGuard() {
  const json = JSON.parse(readFileSync(join(ROOT, ACCOUNTS), 'utf8'));
  const ids = ['=SUM(A1)', '-short', '+plus', '@at'];
  json.$schema = '../../../../schema/accounts.schema.json';
  json.description = 'examples/accounts.json with ids that begin with =, -, + and @ (written by scripts/make-golden.mjs).';
  json.accounts.forEach((a, i) => { if (i < ids.length) a.account = ids[i]; });
  return JSON.stringify(json, null, 2) + '\n';
}

/** The seeded inputs, by file name under inputs/. */
export function goldenInputs() {
  const market = JSON.parse(readFileSync(join(ROOT, MARKET), 'utf8'));
  return { 'rand-a.csv': bookA(market), 'rand-b.ndjson': bookB(market), 'accounts-guard.json': accountsGuard() };
}

// ---------------------------------------------------------------------------------------------
// The commands. An argument { in: 'x' } is the file x of the golden folder read (inputs/..., or a
// golden output used as an input), { out: 'x' } the file x written into the folder being made.
// `files`: the output files compared; `from`: where the command wrote a file, when not under
// that name; `stdout`: the file standard output is compared with (else standard output must be
// empty); `stdin`: a golden-folder file fed to standard input; `threads`:
// a `run`, made with --threads 1 and 2 (the other commands have no --threads option); `digest`:
// the files (name.sha256) hold the SHA-256, size and lines of the output, not the output.
// { big: true } is the path of big.csv (see bigBook).

const A = { in: 'inputs/rand-a.csv' };
const B = { in: 'inputs/rand-b.ndjson' };
const BOOK = { in: 'book.csv' };
const FHS = ['--method', 'fhs', '--preset', 'prisma-fhs', '--history', HISTORY];

function run(file, portfolios, ...args) {
  return { name: file, threads: true, files: [file], args: ['run', '--market', MARKET, '--portfolios', portfolios, ...args, '--out', { out: file }] };
}

function calibrate(name, ...args) {
  const files = [`calibrate/${name}.grid.json`, `calibrate/${name}.report.json`];
  return {
    name: `calibrate/${name}`, files,
    args: ['calibrate', '--history', HISTORY, '--market', MARKET, ...args, '--out', { out: files[0] }, '--report', { out: files[1] }],
  };
}

export const CASES = [
  // The demo's book (made first: the runs below read it) and its results.
  // Its results.csv is the same bytes as `run --method grid` on the book (grid.csv).
  { name: 'demo', demo: true, files: ['book.csv', 'grid.csv'], from: { 'grid.csv': 'results.csv' }, stdout: 'demo/summary.txt',
    args: ['demo', '--portfolios', String(GOLDEN_PORTFOLIOS), '--out-dir', { outDir: 'demo' }] },
  run('grid.csv', BOOK, '--method', 'grid'),
  run('es.csv', BOOK, '--method', 'es'),
  { name: 'value.csv', files: ['value.csv'], args: ['value', '--market', MARKET, '--out', { out: 'value.csv' }] },
  { name: 'value/value.ndjson', files: ['value/value.ndjson'], args: ['value', '--market', MARKET, '--out', { out: 'value/value.ndjson' }] },

  // Calibration first: rand-a/calibrated-grid.csv reads its grid.
  calibrate('none'),
  { name: 'calibrate/none-text', files: ['calibrate/none.report.txt', 'calibrate/refreshed-market.json'], stdout: 'calibrate/none.grid.json',
    args: ['calibrate', '--history', HISTORY, '--market', MARKET, '--report', { out: 'calibrate/none.report.txt' },
      '--market-out', { out: 'calibrate/refreshed-market.json' }, '--refresh-vol'] },
  calibrate('params', '--lambda', '0.97', '--k', '2.5', '--mpor-days', '5', '--seed-returns', '30', '--days-per-year', '365'),
  calibrate('base-span-16', '--base-grid', 'span-16'),
  calibrate('buffer', '--apc', 'buffer'),
  calibrate('buffer-released', '--apc', 'buffer', '--k', '4', '--previous', { in: 'calibrate/none.grid.json' }),
  calibrate('buffer-rebuild', '--apc', 'buffer', '--previous', { in: 'calibrate/none.grid.json' },
    '--buffer-release', '0.5', '--buffer-rebuild', '0.1'),
  calibrate('stressed-weight', '--apc', 'stressed-weight', '--stressed-period', '2024-07-25:2024-09-30', '--stress-window', '40'),
  calibrate('floor', '--apc', 'floor'),

  // rand-a (CSV): every method, preset and option with CSV output.
  run('rand-a/grid.csv', A, '--method', 'grid'),
  { ...run('rand-a/grid.csv', A, '--method', 'grid'), name: 'rand-a/grid.csv (standard output)', files: [], stdout: 'rand-a/grid.csv',
    args: ['run', '--market', MARKET, '--portfolios', A, '--method', 'grid'] },
  { ...run('rand-a/grid.csv', A), name: 'rand-a/grid.csv (standard input)', stdin: 'inputs/rand-a.csv',
    args: ['run', '--market', MARKET, '--portfolios', '-', '--out', { out: 'rand-a/grid.csv' }] },
  run('rand-a/grid-raw.csv', A, '--method', 'grid', '--csv-raw'),
  run('rand-a/es.csv', A, '--method', 'es'),
  run('rand-a/fhs.csv', A, ...FHS),
  run('rand-a/preset-crypto.csv', A, '--preset', 'crypto'),
  run('rand-a/preset-span-16.csv', A, '--preset', 'span-16'),
  run('rand-a/preset-tims-equity.csv', A, '--preset', 'tims-equity'),
  run('rand-a/preset-tims-index.csv', A, '--preset', 'tims-index'),
  run('rand-a/preset-stans.csv', A, '--method', 'es', '--preset', 'stans'),
  run('rand-a/calibrated-grid.csv', A, '--grid', { in: 'calibrate/none.grid.json' }),
  run('rand-a/stress-grid.csv', A, '--method', 'grid', '--stress', STRESS),
  run('rand-a/stress-es.csv', A, '--method', 'es', '--stress', STRESS),
  run('rand-a/stress-fhs.csv', A, ...FHS, '--stress', STRESS),

  // rand-b (NDJSON in): NDJSON output, allocation, with and without stress.
  run('rand-b/grid.ndjson', B, '--method', 'grid'),
  { ...run('rand-b/grid.csv', B), name: 'rand-b/grid.csv (standard input)', stdin: 'inputs/rand-b.ndjson',
    args: ['run', '--market', MARKET, '--portfolios', '-', '--input-format', 'ndjson', '--out', { out: 'rand-b/grid.csv' }] },
  run('rand-b/es.ndjson', B, '--method', 'es'),
  run('rand-b/fhs.ndjson', B, ...FHS),
  run('rand-b/stress-grid.ndjson', B, '--method', 'grid', '--stress', STRESS),
  run('rand-b/allocation-grid.ndjson', B, '--method', 'grid', '--allocation'),
  run('rand-b/allocation-es.ndjson', B, '--method', 'es', '--allocation'),
  run('rand-b/allocation-fhs.ndjson', B, ...FHS, '--allocation'),
  run('rand-b/allocation-stress-grid.ndjson', B, '--method', 'grid', '--stress', STRESS, '--allocation'),
  run('rand-b/allocation-stress-es.ndjson', B, '--method', 'es', '--stress', STRESS, '--allocation'),
  run('rand-b/allocation-stress-fhs.ndjson', B, ...FHS, '--stress', STRESS, '--allocation'),
  { name: 'rand-b/allocation-stress-fhs.ndjson (standard output)', threads: true, files: [], stdout: 'rand-b/allocation-stress-fhs.ndjson',
    args: ['run', '--market', MARKET, '--portfolios', B, ...FHS, '--stress', STRESS, '--allocation', '--format', 'ndjson'] },

  // The big book (several batch tasks with --threads 2): the grid, and fhs with stress.
  { name: 'big/grid.csv', threads: true, digest: true, files: ['big/grid.csv.sha256'],
    args: ['run', '--market', MARKET, '--portfolios', { big: true }, '--out', { out: 'big/grid.csv' }] },
  { name: 'big/stress-fhs.csv', threads: true, digest: true, files: ['big/stress-fhs.csv.sha256'],
    args: ['run', '--market', MARKET, '--portfolios', { big: true }, ...FHS, '--stress', STRESS, '--out', { out: 'big/stress-fhs.csv' }] },

  // accounts and replay on the examples.
  ...[['grid', 'csv'], ['grid', 'ndjson'], ['es', 'csv'], ['es', 'ndjson']].map(([method, ext]) => ({
    name: `accounts/${method}.${ext}`, files: [`accounts/${method}.${ext}`],
    args: ['accounts', '--market', MARKET, '--accounts', ACCOUNTS, '--method', method, '--out', { out: `accounts/${method}.${ext}` }],
  })),
  { name: 'accounts/guard.csv', files: ['accounts/guard.csv'],
    args: ['accounts', '--market', MARKET, '--accounts', { in: 'inputs/accounts-guard.json' }, '--out', { out: 'accounts/guard.csv' }] },
  { name: 'accounts/guard-raw.csv', files: ['accounts/guard-raw.csv'],
    args: ['accounts', '--market', MARKET, '--accounts', { in: 'inputs/accounts-guard.json' }, '--csv-raw', '--out', { out: 'accounts/guard-raw.csv' }] },
  ...['grid', 'es'].map((method) => ({
    name: `replay/${method}.ndjson`, files: [`replay/${method}.ndjson`],
    args: ['replay', '--market', MARKET, '--accounts', ACCOUNTS, '--events', EVENTS, '--method', method, '--out', { out: `replay/${method}.ndjson` }],
  })),
];

/** Every file the golden folder holds: the inputs, then each case's outputs. */
export const GOLDEN_FILES = [
  ...Object.keys(goldenInputs()).map((f) => `inputs/${f}`),
  ...new Set(CASES.flatMap((c) => [...c.files, ...(c.stdout ? [c.stdout] : [])])),
];

// ---------------------------------------------------------------------------------------------
// Running the cases.

/** A path for the command line: relative to the repository when inside it (no machine path in outputs). */
function cliPath(p) {
  const r = relative(ROOT, p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}

/**
 * What may legitimately differ between two runs, replaced by a fixed text: the demo summary's
 * `time` line (timings) and the demo's output folder (a temporary folder) in its last two lines.
 */
export function normalise(c, text, outDir) {
  if (!c.demo) return text;
  return text.split(outDir).join('OUT_DIR').replace(/^(  time +).*$/m, '$1(timings normalised)');
}

/** The SHA-256 of an output, its size and its lines, as a .sha256 golden file holds them. */
function digest(bytes) {
  const lines = bytes.reduce((n, b) => n + (b === 10 ? 1 : 0), 0);
  return `sha256 ${createHash('sha256').update(bytes).digest('hex')}\nbytes ${bytes.length}\nlines ${lines}\n`;
}

function spawnCli(args, { stdin } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const out = [], err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    if (stdin) child.stdin.end(stdin);
  });
}

/**
 * Runs `cases` with the built command line, reading inputs from `inputDir` and writing the
 * outputs into a temporary folder (removed before it returns). `threads`
 * is passed to every `run`. At most `concurrency` commands at once; the cases that read another
 * case's output (from `inputDir`) need it there before. Returns, per case, its status, standard
 * error, and its outputs as { file: text } (standard output, normalised, under its `stdout` name).
 */
export async function runCases(cases, { inputDir, threads = 1, concurrency = 1 }) {
  const results = new Array(cases.length);
  const temp = mkdtempSync(join(tmpdir(), 'margin-golden-'));
  let big;
  const bigPath = () => {
    if (big === undefined) {
      big = join(temp, 'big.csv');
      writeFileSync(big, bigBook(JSON.parse(readFileSync(join(ROOT, MARKET), 'utf8'))));
    }
    return big;
  };
  try {
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const i = next++;
        const c = cases[i];
        const tempOut = join(temp, String(i));
        const args = c.args.map((a) => {
          if (typeof a === 'string') return a;
          if ('in' in a) return cliPath(join(inputDir, a.in));
          if ('big' in a) return bigPath();
          if ('outDir' in a) return cliPath(tempOut);
          mkdirSync(dirname(join(tempOut, a.out)), { recursive: true });
          return cliPath(join(tempOut, a.out));
        });
        if (c.threads) args.push('--threads', String(threads));
        const stdin = c.stdin ? readFileSync(join(inputDir, c.stdin)) : undefined;
        const r = await spawnCli(args, { stdin });
        const outputs = {};
        if (r.status === 0) {
          for (const f of c.files) {
            outputs[f] = c.digest ? digest(readFileSync(join(tempOut, f.replace(/\.sha256$/, ''))))
              : readFileSync(join(tempOut, c.from?.[f] ?? f), 'utf8');
          }
          if (c.stdout) outputs[c.stdout] = normalise(c, r.stdout, cliPath(tempOut));
          else if (r.stdout !== '') outputs['(standard output)'] = r.stdout;
        }
        results[i] = { case: c, args, status: r.status, stderr: r.stderr, outputs };
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return results;
}

/**
 * Writes the golden folder `dir` (created if needed): the seeded inputs, then every case's
 * outputs, with the built command line of this checkout run by the current Node (--threads 1).
 * Returns the files written, relative to `dir`.
 */
export async function makeGolden(dir) {
  mkdirSync(join(dir, 'inputs'), { recursive: true });
  for (const [f, text] of Object.entries(goldenInputs())) writeFileSync(join(dir, 'inputs', f), text);
  const written = [];
  // One case at a time, in order: later cases read earlier outputs (book.csv, the calibrated grid).
  for (const c of CASES) {
    const [r] = await runCases([c], { inputDir: dir });
    if (r.status !== 0) throw new Error(`margin-engine ${r.args.join(' ')} exited with ${r.status}: ${r.stderr}`);
    if (r.outputs['(standard output)'] !== undefined) throw new Error(`${c.name}: unexpected standard output`);
    for (const [f, text] of Object.entries(r.outputs)) {
      if (written.includes(f) && readFileSync(join(dir, f), 'utf8') !== text) {
        throw new Error(`${c.name}: ${f} differs from what an earlier command wrote to it`);
      }
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), text);
      written.push(f);
    }
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? GOLDEN_DIR);
  const written = await makeGolden(dir);
  console.log(`golden outputs written to ${cliPath(dir)} (Node ${process.version}): ${new Set(written).size} files from ${CASES.length} commands`);
}
