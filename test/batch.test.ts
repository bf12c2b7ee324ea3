// The batch engine (src/batch): a worker pool over one shared cube, streaming in and out. The
// reference for every number is the in-process model (createGridModel / createEsModel) on the same
// parsed input: the engine must give the same bytes, whatever the threads, task size, input
// chunking, crashes and retries. Runs against dist/ (workers load dist/src/batch/worker.js).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { Piscina } from 'piscina';
import { resolveMarket } from '../src/market/load.js';
import { parsePortfolios, parsePortfoliosCsv } from '../src/portfolio/read.js';
import { createGridModel } from '../src/models/grid.js';
import { createEsModel } from '../src/models/tail.js';
import { formatResults } from '../src/io/output.js';
import { generateBook } from '../src/demo/book.js';
import { packageFile } from '../src/paths.js';
import { createBatchEngine, type BatchEngine } from '../src/batch/engine.js';
import { cubeParts } from '../src/batch/helpers.js';
import { PoolExecutor, runTwice, workerFile, type Executor } from '../src/batch/executor.js';
import type { BatchRunOptions, BatchSummary } from '../src/batch/options.js';
import type { MarketInput, ResolvedMarket } from '../src/market/types.js';
import type { PortfolioLike } from '../src/models/model.js';
import { Rng } from './helpers/random.js';

const marketJson = JSON.parse(readFileSync(packageFile('examples', 'market.json'), 'utf8')) as MarketInput;
// A smaller ES block keeps the suite quick: 2,000 scenarios instead of the example's 10,000.
marketJson.risk!.es = { ...marketJson.risk!.es!, scenarios: 2000 };
const market: ResolvedMarket = resolveMarket(marketJson, 'examples/market.json');
const bookText = generateBook(marketJson, { portfolios: 3000, seed: 7 });
const bookBytes = Buffer.from(bookText);

/** The in-process reference: parse the whole text, margin every portfolio, format. */
function reference(text: string, method: 'grid' | 'es', format: 'csv' | 'ndjson' = 'csv', source = 'book.csv'): string {
  const model = method === 'grid' ? createGridModel(market) : createEsModel(market);
  return formatResults(model.marginAll(parsePortfolios(text, source)), method, format);
}

/** A byte stream of `bytes`, cut into chunks at the given sizes (cycled). */
function chunked(bytes: Buffer, sizes: number[] = [1 << 16]): Readable {
  const parts: Buffer[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]);
    parts.push(bytes.subarray(at, at + n));
    at += n;
  }
  return Readable.from(parts, { objectMode: false });
}

/** Collects what is written. */
function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({ write(c, _e, cb) { chunks.push(Buffer.from(c)); cb(); } });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function runText(engine: BatchEngine, input: Readable, opts: BatchRunOptions = {}): Promise<{ text: string; summary: BatchSummary }> {
  const out = collector();
  const summary = await engine.run(input, out.stream, opts);
  return { text: out.text(), summary };
}

/** Lines of a CSV result text, without the header; a failure message shows the first difference. */
function firstDifference(a: string, b: string): string {
  const x = a.split('\n'), y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return `line ${i + 1}:\n  got  ${x[i]}\n  want ${y[i]}`;
  return 'identical';
}

const engines: BatchEngine[] = [];
async function engine(opts: Parameters<typeof createBatchEngine>[0]): Promise<BatchEngine> {
  const e = await createBatchEngine(opts);
  engines.push(e);
  return e;
}
afterAll(async () => { for (const e of engines) await e.close(); });

describe('batch engine: same bytes as in-process, whatever the threads', () => {
  let grid1: BatchEngine, grid2: BatchEngine;
  beforeAll(async () => {
    grid1 = await engine({ market, threads: 1 });
    grid2 = await engine({ market, threads: 2 });
  });

  it('the worker file is the built one', () => {
    expect(workerFile()).toBe(packageFile('dist', 'src', 'batch', 'worker.js'));
  });

  it('grid, CSV: threads 1 and 2 give the bytes of the in-process model', async () => {
    const want = reference(bookText, 'grid');
    const a = await runText(grid1, chunked(bookBytes));
    const b = await runText(grid2, chunked(bookBytes));
    expect(a.text, firstDifference(a.text, want)).toBe(want);
    expect(b.text, firstDifference(b.text, want)).toBe(want);
    expect(b.summary.portfolios).toBe(3000);
    expect(b.summary.errors).toBe(0);
    expect(grid2.threads).toBe(2);
    expect(grid1.threads).toBe(1);
  });

  it('grid, NDJSON output with the group breakdown: threads 1 and 2 give the in-process bytes', async () => {
    const want = reference(bookText, 'grid', 'ndjson');
    const a = await runText(grid1, chunked(bookBytes), { format: 'ndjson' });
    const b = await runText(grid2, chunked(bookBytes), { format: 'ndjson' });
    expect(a.text, firstDifference(a.text, want)).toBe(want);
    expect(b.text, firstDifference(b.text, want)).toBe(want);
  });

  it('es, CSV: threads 1 and 2 give the bytes of the in-process model (same seed, same cube)', async () => {
    const text = bookText.split('\n').slice(0, 4001).join('\n') + '\n'; // about 800 portfolios
    const want = reference(text, 'es');
    const es1 = await engine({ market, method: 'es', threads: 1 });
    const es2 = await engine({ market, method: 'es', threads: 2 });
    const a = await runText(es1, chunked(Buffer.from(text)));
    const b = await runText(es2, chunked(Buffer.from(text)));
    expect(a.text, firstDifference(a.text, want)).toBe(want);
    expect(b.text, firstDifference(b.text, want)).toBe(want);
    expect(es2.cubeTasks).toBeGreaterThan(1); // the cube was built in parts, across workers
  });

  it('NDJSON input: the same rows as in-process', async () => {
    const portfolios = parsePortfoliosCsv(bookText).slice(0, 500);
    const nd = portfolios.map((p) => JSON.stringify({ portfolio: p.id, positions: p.positions })).join('\n') + '\n';
    const want = reference(nd, 'grid', 'csv', 'book.ndjson');
    const got = await runText(grid2, chunked(Buffer.from(nd), [777]), { source: 'book.ndjson' });
    expect(got.text, firstDifference(got.text, want)).toBe(want);
  });

  it('marginAll over objects equals the in-process marginAll, groups included (grid) and VaR/ES (es)', async () => {
    const portfolios = parsePortfoliosCsv(bookText).slice(0, 600) as PortfolioLike[];
    portfolios.splice(10, 0, { id: 'X1', positions: [{ instrument: 'NOPE', quantity: 1 }] }, { id: 'X2', error: 'row 9: unreadable' });
    expect(await grid2.marginAll(portfolios)).toEqual(createGridModel(market).marginAll(portfolios));
    const es2 = await engine({ market, method: 'es', threads: 2 });
    expect(await es2.marginAll(portfolios.slice(0, 150))).toEqual(createEsModel(market).marginAll(portfolios.slice(0, 150)));
  });
});

describe('batch engine: splitting changes nothing', () => {
  it('one task per portfolio, random input chunk sizes, a whole batch vs split batches: identical bytes', async () => {
    const want = reference(bookText, 'grid');
    const tiny = await engine({ market, threads: 2, taskWork: 1, maxInFlight: 3 });
    const rng = new Rng(11);
    const sizes = Array.from({ length: 50 }, () => rng.int(1, 5000));
    const a = await runText(tiny, chunked(bookBytes, sizes));
    expect(a.text, `chunk sizes ${sizes.join(',')}: ${firstDifference(a.text, want)}`).toBe(want);
    expect(a.summary.timings.tasks).toBe(3000);

    // The book in two runs (split at a portfolio boundary): the rows of the two runs are the rows of one.
    const lines = bookText.trimEnd().split('\n');
    let cut = 5000;
    while (lines[cut].split(',')[0] === lines[cut - 1].split(',')[0]) cut++;
    const first = lines.slice(0, cut).join('\n') + '\n';
    const second = [lines[0], ...lines.slice(cut)].join('\n') + '\n';
    const grid = await engine({ market, threads: 2 });
    const r1 = await runText(grid, chunked(Buffer.from(first)));
    const r2 = await runText(grid, chunked(Buffer.from(second)));
    const joined = r1.text + r2.text.split('\n').slice(1).join('\n');
    expect(joined, firstDifference(joined, want)).toBe(want);
  });

  it('cube parts cover every instrument once, in order, with options spread evenly', () => {
    for (const parts of [1, 2, 3, 8, 100, 5000]) {
      const p = cubeParts(market, parts);
      expect(p.length).toBeLessThanOrEqual(parts);
      let next = 0;
      for (const [first, count] of p) {
        expect(first, `parts ${parts}`).toBe(next);
        expect(count).toBeGreaterThan(0);
        next = first + count;
      }
      expect(next).toBe(market.instruments.ids.length);
    }
  });
});

describe('batch engine: nothing lost when workers die', () => {
  const want = reference(bookText, 'grid');
  const wantLines = want.split('\n');

  /**
   * Checks a run's rows against the in-process ones: every line that differs is its portfolio's
   * error row naming a failed task and one of `causes` (a regex alternative); returns how many.
   */
  const failedRows = (text: string, causes: string): number => {
    const got = text.split('\n');
    expect(got.length).toBe(wantLines.length);
    let errors = 0;
    for (let i = 0; i < got.length; i++) {
      if (got[i] === wantLines[i]) continue;
      errors++;
      const id = wantLines[i].split(',')[0];
      expect(got[i], `line ${i + 1}`).toMatch(new RegExp(`^${id},grid,,,error,not margined: its task failed twice \\((${causes})\\),$`));
    }
    return errors;
  };

  it('a worker that exits during a task: the task runs again, every row is right', async () => {
    const e = await engine({ market, threads: 2, taskWork: 1 << 15, faults: [{ task: 2, failures: 1 }] });
    const warnings: string[] = [];
    const r = await runText(e, chunked(bookBytes), { onWarning: (w) => warnings.push(w) });
    expect(r.text, firstDifference(r.text, want)).toBe(want);
    // A worker holds up to two tasks: the one it was running when it exited, and possibly the next,
    // which dies with it. Both are run again (alone, on a fresh worker), both warned of by index.
    expect(r.summary.retried).toBeGreaterThanOrEqual(1);
    expect(r.summary.retried).toBeLessThanOrEqual(2);
    expect(warnings.length).toBe(r.summary.retried);
    expect(r.summary.failedTasks).toBe(0);
    expect(warnings.join('\n')).toMatch(/task 2 .* failed: worker exited with code: 70; running it again/);
  });

  it('a task whose worker dies twice: its portfolios are error rows naming the cause, the others are right, the run completes', async () => {
    const e = await engine({ market, threads: 2, taskWork: 1 << 15, faults: [{ task: 1, failures: 2 }, { task: 4, failures: 2, kind: 'throw' }] });
    const r = await runText(e, chunked(bookBytes));
    expect(r.summary.portfolios).toBe(3000);
    expect(r.summary.failedTasks).toBe(2);
    const errors = failedRows(r.text, 'worker exited with code: 70|injected fault');
    expect(errors).toBe(r.summary.errors);
    expect(errors).toBeGreaterThan(0);
  });

  it('a task that kills every worker it runs on, sharing one worker with the others: only its own portfolios are error rows', async () => {
    // One worker holding two tasks at a time: every task but the first runs beside another, so the
    // poison task's crashes also kill innocent tasks. They are run again alone and must come out right.
    const pool = new Piscina({ filename: workerFile(), minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2 });
    try {
      const e = await engine({ market, pool, taskWork: 1 << 15, faults: [{ task: 3, failures: 2 }] });
      const warnings: string[] = [];
      const r = await runText(e, chunked(bookBytes), { onWarning: (w) => warnings.push(w) });
      expect(r.summary.failedTasks).toBe(1);
      // Its first crash takes the task beside it down too (both run again); its second attempt runs
      // alone on a fresh worker, so that crash takes no other task with it: at most 2 retried.
      expect(r.summary.retried).toBeGreaterThanOrEqual(1);
      expect(r.summary.retried).toBeLessThanOrEqual(2);
      const errors = failedRows(r.text, 'worker exited with code: 70');
      expect(errors).toBe(r.summary.errors);
      expect(errors).toBeGreaterThan(0);
      expect(warnings.some((w) => /^task 3 /.test(w))).toBe(true);
      await e.close();
    } finally {
      await pool.destroy();
    }
  });

  it('a worker thread terminated from outside mid-run (an application pool): row count and content are right', async () => {
    const pool = new Piscina({ filename: workerFile(), minThreads: 2, maxThreads: 2 });
    try {
      const e = await engine({ market, pool, taskWork: 1 << 14 });
      let killed = false;
      const r = await runText(e, chunked(bookBytes, [20_000]), {
        progressMs: 0,
        onProgress: (p) => {
          if (!killed && p.portfolios > 0) { killed = true; void pool.threads[0]?.terminate(); }
        },
      });
      expect(killed).toBe(true);
      expect(r.text, firstDifference(r.text, want)).toBe(want);
      expect(r.summary.failedTasks).toBe(0);
    } finally {
      await pool.destroy();
    }
  });

  it('an application pool with another default worker file runs the engine tasks by naming its own file', async () => {
    const pool = new Piscina({ filename: null, minThreads: 1, maxThreads: 2 });
    try {
      const e = await engine({ market, pool });
      const r = await runText(e, chunked(bookBytes));
      expect(r.text, firstDifference(r.text, want)).toBe(want);
    } finally {
      await pool.destroy();
    }
  });
});

describe('batch engine: abort', () => {
  it('an AbortSignal stops the run: computed rows are written in order, the summary says where it stopped', async () => {
    const want = reference(bookText, 'grid').split('\n');
    // Contiguous input (the first pass says so): rows are written as soon as they are done.
    const e = await engine({ market, threads: 2, taskWork: 1 << 14 });
    const ac = new AbortController();
    const r = await runText(e, chunked(bookBytes, [4096]), {
      signal: ac.signal, progressMs: 0, onProgress: (p) => { if (p.portfolios >= 200) ac.abort(); },
    });
    const at = r.summary.stoppedAt!;
    expect(at.reason).toBe('aborted');
    expect(at.portfolios).toBeGreaterThanOrEqual(200);
    expect(at.portfolios).toBeLessThan(3000);
    const got = r.text.trimEnd().split('\n');
    expect(got.length).toBe(at.portfolios + 1);
    expect(got).toEqual(want.slice(0, at.portfolios + 1));
    expect(at.lastPortfolio).toBe(want[at.portfolios].split(',')[0]);
    if (at.nextPortfolio !== undefined) expect(at.nextPortfolio).toBe(want[at.portfolios + 1].split(',')[0]);
  });

  it('an object source aborted mid-way: a prefix of the rows', async () => {
    const portfolios = parsePortfoliosCsv(bookText) as PortfolioLike[];
    const ac = new AbortController();
    const e = await engine({ market, threads: 2, taskWork: 1 << 14 });
    async function* source() {
      for (let i = 0; i < portfolios.length; i++) {
        if (i === 1000) ac.abort();
        yield portfolios[i];
      }
    }
    const got = await e.marginAll(source(), { signal: ac.signal });
    const want = createGridModel(market).marginAll(portfolios.slice(0, got.length));
    expect(got.length).toBeLessThanOrEqual(1001);
    expect(got).toEqual(want);
  });

  it('an already aborted signal writes the header and nothing else', async () => {
    const e = await engine({ market, threads: 1 });
    const r = await runText(e, chunked(bookBytes), { signal: AbortSignal.abort() });
    expect(r.text).toBe('portfolio,method,initial_margin,maintenance_margin,status,error,worst_point\n');
    expect(r.summary.stoppedAt?.portfolios).toBe(0);
  });
});

describe('batch engine: bad input at scale', () => {
  /** A generated CSV of about `rows` rows over the market's instruments, ~10 positions a portfolio. */
  function bigCsv(rows: number, seed: number): string[] {
    const rng = new Rng(seed);
    const ids = market.instruments.ids;
    const out = ['portfolio,instrument,quantity'];
    for (let p = 1; out.length <= rows; p++) {
      const k = rng.int(1, 19);
      for (let j = 0; j < k; j++) out.push(`Q${String(p).padStart(7, '0')},${rng.pick(ids)},${(rng.int(-200, 200) / 10).toString()}`);
    }
    return out;
  }

  it('malformed rows in the middle of a 200,000-row file affect only their portfolios; in-process gives the same rows', async () => {
    const lines = bigCsv(200_000, 3);
    const at = [50_000, 100_001, 150_002, 170_003, 190_004];
    const id = (i: number) => lines[i].split(',')[0];
    lines[at[0]] = `${id(at[0])},BTC-PERP,abc`;
    lines[at[1]] = `${id(at[1])},BTC-PERP,1,2`;
    lines[at[2]] = `,BTC-PERP,1`;
    lines[at[3]] = `${id(at[3])},NOT-AN-INSTRUMENT,1`;
    lines[at[4]] = `${id(at[4])},"BTC-PERP"x,1`;
    const text = lines.join('\n') + '\n';
    const want = reference(text, 'grid');
    const e = await engine({ market, threads: 2 });
    const r = await runText(e, chunked(Buffer.from(text), [1 << 20]));
    expect(r.text, firstDifference(r.text, want)).toBe(want);
    const errs = r.text.split('\n').filter((l) => l.includes(',error,') && !l.startsWith('portfolio,'));
    expect(errs).toEqual([
      `${id(at[0])},grid,,,error,"row ${at[0] + 1}: quantity ""abc"" is not a finite number",`,
      `${id(at[1])},grid,,,error,"row ${at[1] + 1}: expected 3 fields (portfolio,instrument,quantity), got 4",`,
      `row ${at[2] + 1},grid,,,error,row ${at[2] + 1}: empty portfolio id,`,
      `${id(at[3])},grid,,,error,"unknown instrument ""NOT-AN-INSTRUMENT""",`,
      `${id(at[4])},grid,,,error,"row ${at[4] + 1}: field 2: unexpected ""x"" after a closing quote",`,
    ]);
    expect(r.summary.errors).toBe(5);
  });

  it('a truncated last line (no line end, cut inside a row) makes its portfolio an error; the rest is right', async () => {
    const lines = bigCsv(2000, 4);
    const last = lines[lines.length - 1];
    const cutText = lines.slice(0, -1).join('\n') + '\n' + last.slice(0, last.indexOf(',') + 4);
    const want = reference(cutText, 'grid');
    const e = await engine({ market, threads: 2 });
    const r = await runText(e, chunked(Buffer.from(cutText), [999]));
    expect(r.text, firstDifference(r.text, want)).toBe(want);
    expect(r.text.trimEnd().split('\n').pop()).toMatch(new RegExp(`^${last.split(',')[0]},grid,,,error,"row ${lines.length}: expected 3 fields \\(portfolio,instrument,quantity\\), got 2",$`));
  });

  it('a file cut inside a multi-byte character: that row is malformed (not UTF-8), named by row and column', async () => {
    const e = await engine({ market, threads: 1 });
    const bytes = Buffer.concat([Buffer.from('portfolio,instrument,quantity\nP1,BTC-PERP,1\nP2,BTC-PERP,1\nP2,ETH'), Buffer.from([0xc3])]);
    const r = await runText(e, chunked(bytes, [7]));
    expect(r.text.split('\n').slice(1, 3)).toEqual([
      expect.stringMatching(/^P1,grid,[0-9.e+-]+,[0-9.e+-]+,ok,,\d+$/),
      'P2,grid,,,error,row 4: not valid UTF-8 (byte 0xC3 at column 7); portfolio files are UTF-8,',
    ]);
  });

  it('Latin-1 rows in a UTF-8 file are error rows of their portfolios; other rows are unaffected', async () => {
    const e = await engine({ market, threads: 2 });
    const bytes = Buffer.concat([
      Buffer.from('portfolio,instrument,quantity\nP1,BTC-PERP,1\n'),
      Buffer.from('P\xe91,BTC-PERP,1\nP\xe91,ETH-PERP,1\n', 'latin1'),
      Buffer.from('P3,ETH-PERP,2\nP4,BTC-PERP,-1\nP4,BTC-PERP,1\n'),
    ]);
    const r = await runText(e, chunked(bytes, [5]));
    const rows = r.text.trimEnd().split('\n').slice(1);
    // An id that is not UTF-8 names no portfolio: each of its rows is an error entry of its own.
    expect(rows.length).toBe(5);
    expect(rows[0]).toMatch(/^P1,grid,[0-9.e+-]+,/);
    expect(rows[1]).toBe('row 3,grid,,,error,row 3: not valid UTF-8 (byte 0xE9 at column 2); portfolio files are UTF-8,');
    expect(rows[2]).toBe('row 4,grid,,,error,row 4: not valid UTF-8 (byte 0xE9 at column 2); portfolio files are UTF-8,');
    expect(rows[3]).toMatch(/^P3,grid,[0-9.e+-]+,/);
    expect(rows[4]).toMatch(/^P4,grid,0,0,ok,,/); // netted to nothing
  });

  it('a UTF-16 file is a file-level error naming line 1, before any row', async () => {
    const e = await engine({ market, threads: 1 });
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('portfolio,instrument,quantity\nP1,BTC-PERP,1\n', 'utf16le')]);
    const out = collector();
    await expect(e.run(chunked(utf16), out.stream, { source: 'book.csv' })).rejects.toThrow(
      'book.csv: line 1: not valid UTF-8 (byte 0xFF at column 1); portfolio files are UTF-8');
    expect(out.text()).toBe('portfolio,method,initial_margin,maintenance_margin,status,error,worst_point\n');
  });

  it('a quoted field never closed: an error of its row\'s portfolio (which took in the rest of the file); the portfolios before it are right', async () => {
    const text = 'portfolio,instrument,quantity\nP0,BTC-PERP,1\nP1,BTC-PERP,1\nP1,"ETH-PERP,1\nP3,BTC-PERP,1\n';
    const want = reference(text, 'grid');
    for (const threads of [1, 2]) {
      const e = await engine({ market, threads });
      const r = await runText(e, chunked(Buffer.from(text), [7]), { source: 'book.csv' });
      expect(r.text).toBe(want);
      const rows = r.text.trimEnd().split('\n');
      expect(rows.length).toBe(3);
      expect(rows[1]).toMatch(/^P0,grid,[0-9.e+-]+,[0-9.e+-]+,ok,,\d+$/);
      expect(rows[2]).toBe('P1,grid,,,error,"row 4: a quoted field opened on this row is never closed (the file ends inside it, 2 lines on)",');
    }
  });

  it('a stray quote in a large file fails at once (not after buffering the rest of the file)', async () => {
    const e = await engine({ market, threads: 1 });
    const lines = ['portfolio,instrument,quantity', 'P0,BTC-PERP,1', 'P1,"BTC-PERP,1'];
    for (let i = 0; i < 20_000; i++) lines.push(`R${i},ETH-PERP,1`);
    const out = collector();
    const err = await e.run(chunked(Buffer.from(lines.join('\n') + '\n')), out.stream, { source: 'book.csv' }).catch((x: unknown) => x);
    // The quoted field passes the line limit (64 KiB) long before 10,000 lines.
    expect((err as Error).message).toBe('book.csv: row 3: a quoted field opened on this row is longer than 65536 characters at line 3924');
  });

  it('an id that comes back after other portfolios (next to it or 3,000 portfolios later) is one row with all its positions, as in-process; the same for 1 and 2 threads', async () => {
    // Near: P2 comes back right after P3.
    const e2 = await engine({ market, threads: 2, taskWork: 1, maxInFlight: 2 });
    const early = 'portfolio,instrument,quantity\nP1,BTC-PERP,1\nP2,BTC-PERP,1\nP3,ETH-PERP,1\nP2,ETH-PERP,1\n';
    const r1 = await runText(e2, chunked(Buffer.from(early)));
    expect(r1.text).toBe(reference(early, 'grid'));
    expect(r1.summary.unsorted).toBe(true);
    const sorted = await runText(e2, chunked(Buffer.from('portfolio,instrument,quantity\nP1,BTC-PERP,1\nP2,BTC-PERP,1\nP2,ETH-PERP,1\nP3,ETH-PERP,1\n')));
    expect(sorted.summary.unsorted).toBe(false);
    const rowsOf = (t: string) => t.trimEnd().split('\n');
    expect(r1.text).toBe(sorted.text); // P1, P2 (both its rows), P3: the order of first appearance
    // Far: E1 comes back 500 portfolios later, L1 at the end of the 3,000.
    const body = bookText.split('\n').slice(1).join('\n');
    const rows500 = body.split('\n');
    let cut = 0, seen = 0;
    for (let k = 1; k < rows500.length && seen < 500; k++) if (rows500[k].split(',')[0] !== rows500[k - 1].split(',')[0]) { seen++; cut = k; }
    const late = 'portfolio,instrument,quantity\nL1,BTC-PERP,1\nE1,BTC-PERP,2\n' + rows500.slice(0, cut).join('\n') + '\nE1,ETH-PERP,1\n'
      + rows500.slice(cut).join('\n') + 'L1,ETH-PERP,1\n';
    const both = 'portfolio,instrument,quantity\nL1,BTC-PERP,1\nL1,ETH-PERP,1\nE1,BTC-PERP,2\nE1,ETH-PERP,1\n';
    const want = rowsOf(reference(both, 'grid'));
    const texts: string[] = [];
    for (const threads of [1, 2]) {
      const e = await engine({ market, threads, taskWork: 1 << 12 });
      const warnings: string[] = [];
      const r = await runText(e, chunked(Buffer.from(late), [1 << 12]), { onWarning: (w) => warnings.push(w) });
      const rows = rowsOf(r.text);
      expect(r.summary.unsorted).toBe(true);
      expect(r.summary.portfolios).toBe(2 + 3000);
      expect(rows.length).toBe(1 + 2 + 3000);
      expect(rows.slice(1, 3)).toEqual(want.slice(1, 3));
      expect(rows[1]).toMatch(/^L1,grid,[0-9.e+-]+,[0-9.e+-]+,ok,/);
      expect(r.text).toBe(reference(late, 'grid'));
      expect(warnings).toEqual([]);
      texts.push(r.text);
    }
    expect(texts[1] === texts[0], firstDifference(texts[1], texts[0])).toBe(true);
  });
});

describe('shared heap: arenas in one memory never hand out the same bytes', () => {
  it('two arenas in one heap: random allocations are disjoint; a release to an earlier region frees only later bytes', async () => {
    const { createKernelMemory, instantiateKernels, compiledModule } = await import('../src/wasm/module.js');
    const { Arena, SharedHeap, align } = await import('../src/wasm/arena.js');
    const memory = createKernelMemory(1);
    const kernels = instantiateKernels(compiledModule(), memory);
    const heap = SharedHeap.create(memory, align(kernels.heapBase(), 64));
    const a = new Arena(kernels, { heap, regionBytes: 4096 });
    const b = new Arena(kernels, { heap, regionBytes: 4096 });
    const rng = new Rng(5);
    const spans: [number, number, string][] = [];
    for (let i = 0; i < 2000; i++) {
      const arena = rng.next() < 0.5 ? a : b;
      const n = rng.int(0, 3000);
      const p = arena.alloc(n, 16);
      expect(p % 16).toBe(0);
      spans.push([p, p + n, arena === a ? 'a' : 'b']);
    }
    spans.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) {
      expect(spans[i][0], `span ${i}: ${spans[i - 1]} then ${spans[i]}`).toBeGreaterThanOrEqual(spans[i - 1][1]);
    }
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(spans[spans.length - 1][1]);
    // A mark in an earlier region: releasing it frees the current region, and what comes next is
    // still after everything allocated before the mark.
    const c = new Arena(kernels, { heap, regionBytes: 4096 });
    const before = c.alloc(1000);
    const mark = c.mark();
    c.alloc(10_000); // a new region
    c.release(mark);
    const next = c.alloc(100);
    expect(next >= before + 1000).toBe(true);
    expect(() => c.release(0)).toThrow('bad arena mark 0');
    expect(() => SharedHeap.attach(createKernelMemory(1), 1024)).toThrow('SharedHeap: no heap header at 1024');
  });

  it('a worker thread and this thread reserve regions concurrently: no two overlap', async () => {
    const { Worker } = await import('node:worker_threads');
    const { createKernelMemory } = await import('../src/wasm/module.js');
    const { SharedHeap } = await import('../src/wasm/arena.js');
    const memory = createKernelMemory(1);
    const heap = SharedHeap.create(memory, 1024);
    const go = new Int32Array(new SharedArrayBuffer(4));
    const arenaUrl = new URL('../dist/src/wasm/arena.js', import.meta.url).href;
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.arenaUrl).then(({ SharedHeap }) => {
        const heap = SharedHeap.attach(workerData.memory, 1024);
        Atomics.wait(workerData.go, 0, 0);
        const out = [];
        for (let i = 0; i < 5000; i++) { const n = 1 + (i * 7919) % 3000; out.push([heap.reserve(n, 16), n]); }
        parentPort.postMessage(out);
      });`;
    const w = new Worker(code, { eval: true, workerData: { memory, go, arenaUrl } });
    const theirs = new Promise<[number, number][]>((resolve) => w.once('message', resolve));
    await new Promise((r) => setTimeout(r, 50));
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const ours: [number, number][] = [];
    for (let i = 0; i < 5000; i++) { const n = 1 + (i * 104729) % 3000; ours.push([heap.reserve(n, 16), n]); }
    const all = [...ours, ...(await theirs)].sort((x, y) => x[0] - y[0]);
    await w.terminate();
    for (let i = 1; i < all.length; i++) expect(all[i][0], `region ${i}`).toBeGreaterThanOrEqual(all[i - 1][0] + all[i - 1][1]);
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(all[all.length - 1][0] + all[all.length - 1][1]);
  });
});

describe('batch engine: the API says what is wrong', () => {
  it('marginResolved checks its arrays; the numbers equal the in-process model', async () => {
    const e = await engine({ market, threads: 1 });
    const i32 = (xs: number[]) => Int32Array.from(xs), f64 = (xs: number[]) => Float64Array.from(xs);
    await expect(e.marginResolved(i32([1, 1]), i32([0]), f64([1]))).rejects.toThrow(
      'marginResolved: offsets must run from 0 to the number of positions, one per portfolio plus one');
    await expect(e.marginResolved(i32([0, 1]), i32([100000]), f64([1]))).rejects.toThrow(
      'marginResolved: instrument index 100000 at 0 is not in the market');
    await expect(e.marginResolved(i32([0, 2, 1, 2]), i32([0, 1]), f64([1, 1]))).rejects.toThrow('marginResolved: offsets decrease at portfolio 1');
    const r = await e.marginResolved(i32([0, 2, 3]), i32([3, 7, 12]), f64([2, -1, 5]));
    const model = createGridModel(market);
    const ids = market.instruments.ids;
    const want = model.marginAll([
      { id: 'a', positions: [{ instrument: ids[3], quantity: 2 }, { instrument: ids[7], quantity: -1 }] },
      { id: 'b', positions: [{ instrument: ids[12], quantity: 5 }] },
    ]);
    expect(Array.from(r.initialMargin)).toEqual(want.map((x) => (x.ok ? x.initialMargin : NaN)));
  });

  it('options: a method without its risk block, bad threads', async () => {
    const noGrid = resolveMarket({ ...marketJson, risk: {} }, 'm.json');
    await expect(createBatchEngine({ market: noGrid })).rejects.toThrow('m.json: risk.grid: the grid method needs a risk.grid block (or a preset), found none');
    await expect(createBatchEngine({ market: noGrid, method: 'es' })).rejects.toThrow('m.json: risk.es: the es method needs a risk.es block, found none');
    await expect(createBatchEngine({ market, threads: 0 })).rejects.toThrow('threads: expected a whole number >= 1, got 0');
    // Every method runs in the engine (issue 10): fhs needs its history, an unknown method is refused.
    await expect(createBatchEngine({ market, method: 'fhs' })).rejects.toThrow('the fhs method needs a price history (--history FILE), found none');
    await expect(createBatchEngine({ market, method: 'var' as never })).rejects.toThrow('method: expected "grid", "es" or "fhs", got "var"');
  });

  it('a closed engine refuses work', async () => {
    const e = await createBatchEngine({ market, threads: 1 });
    await e.close();
    await e.close();
    await expect(e.marginAll([])).rejects.toThrow('batch engine: closed');
  });

  it('a task cut short by close() (its worker terminated) is not run again, and no retry is announced', async () => {
    // The command line closes the engine when standard output closes (| head): tasks then in
    // flight fail with "Terminating worker thread". Running one again would make a pool after close.
    const calls: string[] = [];
    const closing: Executor = {
      workers: 2, closed: true,
      run: async () => { calls.push('run'); throw new Error('Terminating worker thread'); },
      retry: async () => { calls.push('retry'); throw new Error('not to be called'); },
      close: async () => {},
    };
    const retried: string[] = [];
    const task = { kind: 'margin' } as never;
    expect(await runTwice(closing, task, () => undefined, (c) => retried.push(c))).toEqual({ ok: false, cause: 'Terminating worker thread' });
    expect(calls).toEqual(['run']);
    expect(retried).toEqual([]);
    // Open, the same failure is run again once, and announced.
    const open = { ...closing, closed: false };
    expect(await runTwice(open, task, () => undefined, (c) => retried.push(c))).toEqual({ ok: false, cause: 'not to be called' });
    expect(calls).toEqual(['run', 'run', 'retry']);
    expect(retried).toEqual(['Terminating worker thread']);
    // A closed pool executor refuses a second attempt without making a recovery pool.
    const pool = new PoolExecutor(new Piscina({ filename: workerFile(), minThreads: 0, maxThreads: 1 }), true);
    await pool.close();
    expect(pool.closed).toBe(true);
    await expect(pool.retry(task)).rejects.toThrow('the engine was closed');
    expect((pool as unknown as { recovery?: unknown }).recovery).toBeUndefined();
  });

  it('a late message for a settled task does not end the process: the engine\'s pools listen for Piscina\'s error events', async () => {
    // Piscina emits 'error' for a result a worker posts for a task close() already settled; with no
    // listener, EventEmitter throws it out of the message handler and the process exits 1 (seen on
    // Node 24: a closed pipe under --threads 2).
    const raw = new Piscina({ filename: workerFile(), minThreads: 0, maxThreads: 1 });
    expect(() => raw.emit('error', new Error('Unexpected message from Worker: {}'))).toThrow('Unexpected message from Worker');
    await raw.destroy();
    const pool = new Piscina({ filename: workerFile(), minThreads: 0, maxThreads: 1 });
    const executor = new PoolExecutor(pool, true);
    expect(pool.listenerCount('error')).toBe(1);
    expect(() => pool.emit('error', new Error('Unexpected message from Worker: {}'))).not.toThrow();
    await executor.close();
    // A pool the caller owns keeps the caller's handling.
    const theirs = new Piscina({ filename: workerFile(), minThreads: 0, maxThreads: 1 });
    const borrowed = new PoolExecutor(theirs, false);
    expect(theirs.listenerCount('error')).toBe(0);
    await borrowed.close();
    await theirs.destroy();
  });

  it('the progress line: portfolios margined (not rows written, not bytes read), rate, share done and time left', async () => {
    const { progressLine } = await import('../src/cli/run.js');
    const base = { portfolios: 0, positions: 0, read: 200_000, bytes: 250 };
    expect(progressLine({ ...base, margined: 123456, marginedPositions: 2_500_000, totalBytes: 1000, elapsedMs: 1000, fraction: 0.25, etaMs: 3000 }))
      .toBe('margin-engine: 123,456 portfolios done, 2.50 M positions/s, 25%, ETA 3s');
    expect(progressLine({ ...base, margined: 5, marginedPositions: 1500, elapsedMs: 1000 })).toBe('margin-engine: 5 portfolios done, 1.5 k positions/s');
    expect(progressLine({ ...base, margined: 5, marginedPositions: 1500, totalBytes: 100, elapsedMs: 1000, fraction: 0.1, etaMs: 125_000 }))
      .toBe('margin-engine: 5 portfolios done, 1.5 k positions/s, 10%, ETA 2m05s');
  });
});

describe('batch engine: hostile input on a stream, as in-process', () => {
  /** The in-process rows of input bytes (parsePortfolios reads bytes as a stream would). */
  const referenceBytes = (bytes: Buffer, source = 'book.csv') => formatResults(createGridModel(market).marginAll(parsePortfolios(bytes, source)), 'grid', 'csv');

  it('Müller, Möller, Mäller in Latin-1: three error rows, never one portfolio; threads 1 and 2, any chunking', async () => {
    const bytes = Buffer.concat([
      Buffer.from('portfolio,instrument,quantity\nP0,BTC-PERP,1\n'),
      Buffer.from('M\xfcller,BTC-PERP,1\nM\xf6ller,BTC-PERP,2\nM\xe4ller,BTC-PERP,3\n', 'latin1'),
      Buffer.from('P4,ETH-PERP,1\n'),
    ]);
    const want = referenceBytes(bytes);
    const rows = want.trimEnd().split('\n');
    expect(rows.slice(2, 5)).toEqual([3, 4, 5].map((n, k) =>
      `row ${n},grid,,,error,row ${n}: not valid UTF-8 (byte 0x${['FC', 'F6', 'E4'][k]} at column 2); portfolio files are UTF-8,`));
    for (const threads of [1, 2]) {
      const e = await engine({ market, threads });
      for (const sizes of [[1 << 16], [3], [1, 5, 2]]) {
        const r = await runText(e, chunked(bytes, sizes), { source: 'book.csv' });
        expect(r.text, firstDifference(r.text, want)).toBe(want);
      }
    }
  });

  it('no final line end: the last row is read whole (-25, not -2) and a warning says so; an unclosed quote on the last portfolio keeps the one before', async () => {
    const text = 'portfolio,instrument,quantity\nP1,BTC-PERP,1\nP2,BTC-PERP,-25';
    const whole = `portfolio,instrument,quantity\nP1,BTC-PERP,1\nP2,BTC-PERP,-25\n`;
    const quote = 'portfolio,instrument,quantity\nP0,BTC-PERP,1\nP1,"BTC-PERP,1';
    for (const threads of [1, 2]) {
      const e = await engine({ market, threads });
      for (let cut = 1; cut < text.length; cut += 7) {
        const warnings: string[] = [];
        const b = Buffer.from(text);
        const r = await runText(e, Readable.from([b.subarray(0, cut), b.subarray(cut)], { objectMode: false }),
          { source: 'book.csv', onWarning: (w) => warnings.push(w) });
        expect(r.text).toBe(reference(whole, 'grid'));
        expect(warnings).toEqual(['book.csv: the last line (line 3) has no line end; it was read as it is (if the file was cut short, its last row is incomplete)']);
      }
      const warnings: string[] = [];
      const r = await runText(e, chunked(Buffer.from(quote), [5]), { source: 'book.csv', onWarning: (w) => warnings.push(w) });
      expect(r.text).toBe(reference(quote, 'grid'));
      expect(r.text.trimEnd().split('\n').slice(1)).toEqual([
        expect.stringMatching(/^P0,grid,[0-9.e+-]+,[0-9.e+-]+,ok,,\d+$/),
        'P1,grid,,,error,"row 3: a quoted field opened on this row is never closed (the file ends inside it, 1 line on)",',
      ]);
      expect(warnings.length).toBe(1);
    }
  });

  it('an 8 MiB line (no commas) and a 60,000-digit quantity: error rows naming the row and the limit, in well under a second', async () => {
    const bytes = Buffer.concat([
      Buffer.from('portfolio,instrument,quantity\nP0,BTC-PERP,1\n'),
      Buffer.alloc(8 << 20, 'z'),
      Buffer.from(`\nP2,BTC-PERP,${'1'.repeat(60_000)}x\nP3,ETH-PERP,2\n`),
    ]);
    const want = referenceBytes(bytes);
    expect(want.trimEnd().split('\n').slice(2, 4)).toEqual([
      'row 3,grid,,,error,row 3: the line is 8388608 bytes long; the limit is 65536 bytes,',
      `P2,grid,,,error,"row 4: quantity ""${'1'.repeat(60)}""... (60001 characters) is longer than the limit of 1024 bytes",`,
    ]);
    const e = await engine({ market, threads: 2 });
    const t0 = performance.now();
    const r = await runText(e, chunked(bytes, [1 << 16]), { source: 'book.csv' });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r.text, firstDifference(r.text, want)).toBe(want);
  });

  it('an unknown 1 MiB instrument id is echoed cut, with its length (objects); a long one in a file too', async () => {
    const e = await engine({ market, threads: 1 });
    const long = 'X'.repeat(1 << 20);
    const [res] = await e.marginAll([{ id: 'P1', positions: [{ instrument: long, quantity: 1 }] }]);
    expect(res).toMatchObject({ ok: false, code: 'E_UNKNOWN_INSTRUMENT', message: `unknown instrument "${'X'.repeat(60)}"... (1048576 characters)` });
    const r = await runText(e, chunked(Buffer.from(`portfolio,instrument,quantity\nP1,${'Y'.repeat(1000)},1\n`)));
    expect(r.text.split('\n')[1]).toBe(`P1,grid,,,error,"unknown instrument ""${'Y'.repeat(60)}""... (1000 characters)",`);
  });
});
