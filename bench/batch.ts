/**
 * The end-of-day batch benchmark: a generated book (default 10 million positions, about 10 a
 * portfolio) on the bundled market, margined with the grid by the batch engine, file in, file out.
 *
 *   node dist/bench/batch.js [--positions N] [--quick] [--keep] [--dir DIR]
 *
 * Reports, with the environment:
 * - end to end (a fresh process per run: engine and cube, read, parse, margin, write): positions
 *   per second, peak resident memory, and where the main thread's time went (parse, writing rows,
 *   waiting for tasks) and the workers' kernel time, for 1 thread (in-process) and N threads; the
 *   outputs must be identical byte for byte;
 * - the kernel phases on pools of 1 and 2 workers: the cube build (split by instruments across the
 *   workers) and aggregation (pre-resolved portfolios, no parsing), with the speed-up of 2 over 1,
 *   beside the machine's own two-worker scaling for the same work with nothing shared (a scalar
 *   loop; the ES cube filled, and the ES margin loop run, in private memory by each worker);
 * - parsing: the engine's byte-level CSV reader against csv-parse (a well-kept streaming CSV parser)
 *   on the same file, both feeding the same packing into tasks, and csv-parse alone;
 * - in-process latency of GridModel.margin on a 10-position portfolio (the shared-memory build).
 * Writes bench/results/batch.json. Book generation is not timed.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import { parse as csvParse } from 'csv-parse';
import { parseMarket } from '../src/market/load.js';
import { createBatchEngine, workerFile, type BatchSummary } from '../src/batch/engine.js';
import { TaskPacker } from '../src/batch/pack.js';
import { CsvPortfolioReader } from '../src/portfolio/csv.js';
import { Mulberry32 } from '../src/math/random.js';
import { LineFeeder } from '../src/portfolio/stream.js';
import { createGridModel } from '../src/models/grid.js';
import { packageFile } from '../src/paths.js';
import { KIND_CALL, KIND_PUT } from '../src/layout.js';
import type { ResolvedMarket } from '../src/market/types.js';
import type { PortfolioLike } from '../src/models/model.js';
import { environment, formatEnvironment } from './env.js';

const MARKET = packageFile('examples', 'market.json');

interface ChildReport {
  threads: number;
  engineMs: number;
  cubeMs: number;
  runMs: number;
  totalMs: number;
  maxRssMB: number;
  summary: BatchSummary;
}

// ------------------------------------------------------------------------------------------------
// The book: a seeded generator, fast enough for 10 million rows.

/** mulberry32 (src/math/random.ts): a small seeded generator (the book is the same for the same seed). */
function rng(seed: number): () => number {
  const g = new Mulberry32(seed);
  return () => g.next();
}

/**
 * Writes a CSV book of about `positions` rows: portfolios of 1 to 19 positions (10 on average) on
 * one or two underlyings, each instrument once, quantities whole or in tenths, signed.
 */
async function writeBook(market: ResolvedMarket, positions: number, path: string, seed = 1): Promise<{ portfolios: number; positions: number }> {
  const r = rng(seed);
  const ins = market.instruments;
  const byU: number[][] = market.underlyings.ids.map(() => []);
  for (let i = 0; i < ins.ids.length; i++) byU[ins.underlying[i]].push(i);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let buf = 'portfolio,instrument,quantity\n';
  let done = 0, p = 0;
  const picked = new Set<number>();
  while (done < positions) {
    p++;
    const id = `P${String(p).padStart(8, '0')}`;
    const k = Math.min(positions - done, 1 + Math.floor(r() * 19));
    const u1 = Math.floor(r() * byU.length), u2 = Math.floor(r() * byU.length);
    picked.clear();
    for (let j = 0; j < k; j++) {
      const list = byU[j % 3 === 2 ? u2 : u1];
      let i = list[Math.floor(r() * list.length)];
      for (let tries = 0; picked.has(i) && tries < 8; tries++) i = list[Math.floor(r() * list.length)];
      if (picked.has(i)) continue;
      picked.add(i);
      const q = (1 + Math.floor(r() * 50)) * (r() < 0.45 ? -1 : 1);
      const option = ins.kind[i] === KIND_CALL || ins.kind[i] === KIND_PUT;
      buf += `${id},${ins.ids[i]},${option || r() < 0.5 ? q : q / 10}\n`;
      done++;
    }
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((res) => out.once("drain", () => res()));
      buf = '';
    }
  }
  out.end(buf);
  await finished(out);
  return { portfolios: p, positions: done };
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

// ------------------------------------------------------------------------------------------------
// End to end, one fresh process per run.

async function child(threads: number, book: string, out: string): Promise<void> {
  const t0 = performance.now();
  const market = parseMarket(readFileSync(MARKET, 'utf8'), 'examples/market.json');
  const engine = await createBatchEngine({ market, threads });
  const t1 = performance.now();
  const output = createWriteStream(out, { highWaterMark: 1 << 20 });
  const summary = await engine.run(createReadStream(book, { highWaterMark: 1 << 20 }), output, { source: book });
  output.end();
  await finished(output);
  const t2 = performance.now();
  await engine.close();
  const report: ChildReport = {
    threads: engine.threads, engineMs: t1 - t0, cubeMs: engine.cubeMs, runMs: t2 - t1, totalMs: t2 - t0,
    maxRssMB: process.resourceUsage().maxRSS / 1024, summary,
  };
  process.stdout.write(JSON.stringify(report) + '\n');
}

function runChild(threads: number, book: string, out: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', '--threads', String(threads), '--book', book, '--out', out],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => { text += d; });
    c.on('error', reject);
    c.on('exit', (code) => {
      if (code !== 0) reject(new Error(`benchmark child exited with ${code}`));
      else resolve(JSON.parse(text.trim().split('\n').pop()!) as ChildReport);
    });
  });
}

// ------------------------------------------------------------------------------------------------
// Kernel phases on pools of 1 and 2 workers.

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function withPool<T>(workers: number, f: (pool: Piscina) => Promise<T>): Promise<T> {
  const pool = new Piscina({ filename: workerFile(), minThreads: workers, maxThreads: workers, idleTimeout: 2 ** 31 - 1, concurrentTasksPerWorker: 2 });
  try {
    return await f(pool);
  } finally {
    await pool.destroy();
  }
}

async function cubeBuild(market: ResolvedMarket, method: 'grid' | 'es', workers: number, reps: number): Promise<{ ms: number; cells: number }> {
  return withPool(workers, async (pool) => {
    const times: number[] = [];
    let cells = 0;
    for (let r = 0; r < reps + 1; r++) {
      const e = await createBatchEngine({ market, method, pool });
      if (r > 0) times.push(e.cubeMs); // the first engine also starts the workers
      cells = market.instruments.ids.length * (method === 'es' ? market.risk.es!.scenarios : 0);
      await e.close();
    }
    return { ms: median(times), cells };
  });
}

/** Random resolved portfolios (indices), ~10 positions each, cut into tasks of `perTask` positions. */
function resolvedTasks(market: ResolvedMarket, positions: number, perTask: number, seed: number) {
  const r = rng(seed);
  const n = market.instruments.ids.length;
  const tasks: { offsets: Int32Array; instr: Int32Array; qty: Float64Array }[] = [];
  let left = positions;
  while (left > 0) {
    const offsets = [0], instr: number[] = [], qty: number[] = [];
    while (instr.length < perTask && left > 0) {
      const k = Math.min(left, 1 + Math.floor(r() * 19));
      const seen = new Set<number>();
      for (let j = 0; j < k; j++) {
        const i = Math.floor(r() * n);
        if (seen.has(i)) continue;
        seen.add(i);
        instr.push(i);
        qty.push((1 + Math.floor(r() * 50)) * (r() < 0.45 ? -1 : 1));
      }
      left -= k;
      offsets.push(instr.length);
    }
    tasks.push({ offsets: Int32Array.from(offsets), instr: Int32Array.from(instr), qty: Float64Array.from(qty) });
  }
  return tasks;
}

async function aggregation(market: ResolvedMarket, method: 'grid' | 'es', workers: number, positions: number, perTask: number, reps: number) {
  const tasks = resolvedTasks(market, positions, perTask, 3);
  return withPool(workers, async (pool) => {
    const e = await createBatchEngine({ market, method, pool });
    try {
      await Promise.all(tasks.slice(0, workers * 2).map((t) => e.marginResolved(t.offsets, t.instr, t.qty))); // warm the workers
      const times: number[] = [];
      let kernel = 0;
      for (let r = 0; r < reps; r++) {
        const t0 = performance.now();
        const res = await Promise.all(tasks.map((t) => e.marginResolved(t.offsets, t.instr, t.qty)));
        times.push(performance.now() - t0);
        kernel = res.reduce((s, x) => s + x.ms, 0);
      }
      return { ms: median(times), kernelMs: kernel, positions: tasks.reduce((s, t) => s + t.instr.length, 0), tasks: tasks.length };
    } finally {
      await e.close();
    }
  });
}

/**
 * The baseline for the speed-ups: the same pure arithmetic loop on 1 and on 2 worker threads, run
 * now. On two idle cores it scales by about 2; less means other processes hold a core, and every
 * speed-up of the run is capped by it.
 */
async function machineScaling(): Promise<number> {
  const { Worker } = await import('node:worker_threads');
  const code = `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', (n) => { let x = 0; for (let i = 0; i < n; i++) x += Math.sqrt(i); parentPort.postMessage(x); });`;
  const time = async (k: number, n: number) => {
    const ws = Array.from({ length: k }, () => new Worker(code, { eval: true }));
    const call = (w: InstanceType<typeof Worker>, m: number) => new Promise((r) => { w.once('message', r); w.postMessage(m); });
    await Promise.all(ws.map((w) => call(w, 1e6)));
    const t0 = performance.now();
    await Promise.all(ws.map((w) => call(w, n / k)));
    const t = performance.now() - t0;
    await Promise.all(ws.map((w) => w.terminate()));
    return t;
  };
  const r: number[] = [];
  for (let i = 0; i < 3; i++) r.push((await time(1, 2e8)) / (await time(2, 2e8)));
  return median(r);
}

/**
 * The machine's own scaling for a kernel phase: every worker runs the whole phase in private,
 * unshared memory (its own kernels, its own ES cube), with nothing split or coordinated; one worker
 * alone, then two at once. `cube`: the revalue kernel filling the ES cube of the example market
 * (rows laid out once); `es`: the ES margin of 400 pre-resolved 10-position portfolios over that
 * cube (aggregate and tail). Returns 2 x (time of one alone) / (wall time of two at once): 2.00 when
 * two cores run the phase at full speed side by side, less on cores that share SIMD units, caches or
 * memory bandwidth. The engine's pooled phase, which shares one cube, is measured against it.
 */
async function privateScaling(phase: 'cube' | 'es', reps: number): Promise<{ ratio: number; one: number; two: number }> {
  const { Worker } = await import('node:worker_threads');
  const dist = (f: string) => JSON.stringify(new URL(`../src/${f}`, import.meta.url).href);
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { readFileSync } = require('node:fs');
    (async () => {
      const { parseMarket } = await import(${dist('market/load.js')});
      const { Arena } = await import(${dist('wasm/arena.js')});
      const { instantiateKernels } = await import(${dist('wasm/module.js')});
      const { buildMonteCarloScenarios } = await import(${dist('scenarios/monte-carlo.js')});
      const { layoutCube, fillCubeRows } = await import(${dist('cube/cube.js')});
      const { EsModel } = await import(${dist('models/tail.js')});
      const market = parseMarket(readFileSync(${JSON.stringify(MARKET)}, 'utf8'), 'market.json');
      let run;
      if (workerData === 'cube') {
        const arena = new Arena(instantiateKernels());
        const scen = buildMonteCarloScenarios(arena, market, market.risk.es);
        const layout = layoutCube(arena, market, scen);
        run = () => fillCubeRows(arena.kernels, layout, 0, layout.nInstruments);
      } else {
        const model = new EsModel(market);
        const n = market.instruments.ids.length, P = 400;
        const instr = new Int32Array(P * 10), qty = new Float64Array(P * 10);
        let x = 12345;
        const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
        for (let p = 0; p < P; p++) {
          const seen = new Set();
          while (seen.size < 10) seen.add(next() % n);
          [...seen].forEach((i, j) => { instr[p * 10 + j] = i; qty[p * 10 + j] = (next() % 39) - 19 || 1; });
        }
        const out = { var: 0, es: 0, initialMargin: 0, maintenanceMargin: 0 };
        run = () => { for (let p = 0; p < P; p++) model.tailResolved(instr, qty, p * 10, p * 10 + 10, out); };
      }
      run();
      parentPort.on('message', () => {
        const t0 = performance.now();
        run();
        parentPort.postMessage(performance.now() - t0);
      });
      parentPort.postMessage('ready');
    })();`;
  const start = () => new Promise<InstanceType<typeof Worker>>((resolve) => {
    const w = new Worker(code, { eval: true, workerData: phase });
    w.once('message', () => resolve(w));
  });
  const call = (w: InstanceType<typeof Worker>) => new Promise<number>((resolve) => { w.once('message', resolve); w.postMessage(0); });
  const ws = [await start(), await start()];
  try {
    const one: number[] = [], two: number[] = [];
    for (let r = 0; r < reps; r++) {
      one.push(await call(ws[0]));
      const t0 = performance.now();
      await Promise.all(ws.map(call));
      two.push(performance.now() - t0);
    }
    const a = median(one), b = median(two);
    return { ratio: (2 * a) / b, one: a, two: b };
  } finally {
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

// ------------------------------------------------------------------------------------------------
// Parsing: the engine's reader against csv-parse, both feeding the same packing.

/** The engine's path: bytes, LineFeeder, the CSV reader in sink mode, the packer. */
async function parseOurs(market: ResolvedMarket, book: string): Promise<{ ms: number; rows: number }> {
  const t0 = performance.now();
  const packer = new TaskPacker(market, 'grid', 30);
  const reader = new CsvPortfolioReader(book, {
    resolve: packer.resolve,
    sink: {
      portfolio: (seq, id, codes, instruments, quantities, n) => {
        packer.addResolved(seq, id, codes, instruments, quantities, n);
        if (packer.full) packer.take();
      },
      emit: (e) => { if (!e.amends) packer.add(e.seq, e.portfolio); },
    },
  });
  const feeder = new LineFeeder(reader, book);
  const none = () => {};
  for await (const chunk of createReadStream(book, { highWaterMark: 1 << 20 })) feeder.push(chunk as Buffer, none);
  feeder.end(none);
  packer.take();
  return { ms: performance.now() - t0, rows: reader.lineNumber - 1 };
}

async function parseCsvParse(market: ResolvedMarket, book: string, pack: boolean): Promise<{ ms: number; rows: number }> {
  const t0 = performance.now();
  const parser = createReadStream(book, { highWaterMark: 1 << 20 }).pipe(csvParse({ from_line: 2, relax_column_count: true }));
  const packer = new TaskPacker(market, 'grid', 30);
  let rows = 0, seq = 0;
  let id: string | undefined, instruments: string[] = [], quantities: number[] = [];
  const close = () => {
    if (id !== undefined && pack) {
      packer.add(seq++, { id, positions: [], columns: { instruments, quantities } } as never);
      if (packer.full) packer.take();
    }
    instruments = [];
    quantities = [];
  };
  for await (const rec of parser as AsyncIterable<string[]>) {
    rows++;
    if (!pack) continue;
    if (rec[0] !== id) { close(); id = rec[0]; }
    instruments.push(rec[1]);
    quantities.push(Number(rec[2]));
  }
  close();
  packer.take();
  return { ms: performance.now() - t0, rows };
}

// ------------------------------------------------------------------------------------------------

function latency(market: ResolvedMarket): { usPerCall: number } {
  const model = createGridModel(market);
  const ids = market.instruments.ids;
  const r = rng(9);
  const portfolios: PortfolioLike[] = Array.from({ length: 1000 }, (_, p) => ({
    id: `L${p}`, positions: Array.from({ length: 10 }, () => ({ instrument: ids[Math.floor(r() * ids.length)], quantity: 1 + Math.floor(r() * 9) })),
  }));
  for (let w = 0; w < 20; w++) for (const p of portfolios) model.margin(p);
  const times: number[] = [];
  for (let rep = 0; rep < 15; rep++) {
    const t0 = performance.now();
    for (const p of portfolios) model.margin(p);
    times.push((performance.now() - t0) * 1000 / portfolios.length);
  }
  return { usPerCall: median(times) };
}

function rate(n: number, ms: number): string {
  const x = n / (ms / 1000);
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} k`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      positions: { type: 'string' }, quick: { type: 'boolean' }, keep: { type: 'boolean' }, dir: { type: 'string' },
      child: { type: 'boolean' }, threads: { type: 'string' }, book: { type: 'string' }, out: { type: 'string' },
    },
  });
  if (values.child) return child(Number(values.threads), values.book!, values.out!);

  const quick = values.quick === true;
  const target = Number(values.positions ?? (quick ? 1_000_000 : 10_000_000));
  const dir = values.dir ?? join(tmpdir(), 'margin-engine-bench-batch');
  mkdirSync(dir, { recursive: true });
  const env = environment();
  const load = loadavg();
  const log = (s: string) => process.stdout.write(s + '\n');
  log(formatEnvironment(env));
  log(`load average ${load.map((x) => x.toFixed(2)).join(' ')} (other processes share these cores)`);

  const market = parseMarket(readFileSync(MARKET, 'utf8'), 'examples/market.json');
  const book = join(dir, `book-${target}.csv`);
  let bookInfo: { portfolios: number; positions: number };
  const t0 = performance.now();
  if (existsSync(book) && existsSync(book + '.json')) bookInfo = JSON.parse(readFileSync(book + '.json', 'utf8'));
  else {
    bookInfo = await writeBook(market, target, book);
    writeFileSync(book + '.json', JSON.stringify(bookInfo));
  }
  const bookBytes = statSync(book).size;
  log(`book: ${bookInfo.positions} positions in ${bookInfo.portfolios} portfolios, ${(bookBytes / 2 ** 20).toFixed(0)} MiB (${((performance.now() - t0) / 1000).toFixed(1)} s to make or find)`);

  // End to end.
  const threadCounts = [...new Set([1, 2, availableParallelism()])];
  const e2e: ChildReport[] = [];
  const digests: string[] = [];
  for (const t of threadCounts) {
    const out = join(dir, `out-${t}.csv`);
    const rep = await runChild(t, book, out);
    e2e.push(rep);
    digests.push(await sha256(out));
    if (!values.keep) rmSync(out);
    const s = rep.summary, tm = s.timings;
    log(`end to end, ${t === 1 ? '1 thread (in-process)' : `${t} worker threads`}: ${rate(s.positions, rep.runMs)} positions/s ` +
      `(run ${(rep.runMs / 1000).toFixed(2)} s, engine ${rep.engineMs.toFixed(0)} ms of which cube ${rep.cubeMs.toFixed(1)} ms), peak RSS ${rep.maxRssMB.toFixed(0)} MB; ` +
      `main thread: parse ${(tm.parse / 1000).toFixed(2)} s, rows ${(tm.rows / 1000).toFixed(2)} s, waiting for tasks ${(tm.wait / 1000).toFixed(2)} s, ` +
      `for the output ${(tm.drain / 1000).toFixed(2)} s; tasks (margin + formatting, summed) ${(tm.kernel / 1000).toFixed(2)} s in ${tm.tasks} tasks`);
  }
  const identical = digests.every((d) => d === digests[0]);
  log(`outputs identical across thread counts: ${identical} (sha256 ${digests[0].slice(0, 16)}...)`);
  if (!identical) process.exitCode = 1;

  // Peak RSS against the size of the input: the same runs on a book of a tenth the size (1 M
  // positions for the default 10 M). Memory should grow only with the id index (about 40 bytes a
  // portfolio plus its id), not with the positions.
  const smallTarget = Math.max(1, Math.round(target / 10));
  const small = join(dir, `book-${smallTarget}.csv`);
  const smallInfo = existsSync(small) && existsSync(small + '.json') ? JSON.parse(readFileSync(small + '.json', 'utf8')) : await writeBook(market, smallTarget, small);
  if (!existsSync(small + '.json')) writeFileSync(small + '.json', JSON.stringify(smallInfo));
  const rss: { threads: number; smallMB: number; fullMB: number }[] = [];
  for (const [k, t] of threadCounts.entries()) {
    const out = join(dir, `out-small-${t}.csv`);
    const rep = await runChild(t, small, out);
    rmSync(out);
    rss.push({ threads: t, smallMB: rep.maxRssMB, fullMB: e2e[k].maxRssMB });
    log(`peak RSS, ${t === 1 ? '1 thread' : `${t} worker threads`}: ${rep.maxRssMB.toFixed(0)} MB at ${smallInfo.positions} positions (${smallInfo.portfolios} portfolios), ` +
      `${e2e[k].maxRssMB.toFixed(0)} MB at ${bookInfo.positions} (${bookInfo.portfolios} portfolios)`);
  }
  if (!values.keep) { rmSync(small); rmSync(small + '.json'); }

  // Kernel phases.
  const baseline = await machineScaling();
  log(`baseline: a pure arithmetic loop on 2 worker threads runs ${baseline.toFixed(2)}x as fast as on 1 (2.00 on two idle cores)`);
  const reps = quick ? 3 : 5;
  const simd = await privateScaling('cube', reps);
  log(`baseline: the ES cube filled in private memory by 2 workers at once: ${simd.ratio.toFixed(2)}x the throughput of 1 ` +
    `(${simd.one.toFixed(1)} ms alone, ${simd.two.toFixed(1)} ms for two at once; 2.00 when the SIMD kernel scales perfectly)`);
  const esPrivate = await privateScaling('es', reps);
  log(`baseline: ES margin of 400 portfolios in private memory (own cube each) by 2 workers at once: ${esPrivate.ratio.toFixed(2)}x the ` +
    `throughput of 1 (${esPrivate.one.toFixed(1)} ms alone, ${esPrivate.two.toFixed(1)} ms for two at once)`);
  const cube = { es1: await cubeBuild(market, 'es', 1, reps), es2: await cubeBuild(market, 'es', 2, reps),
    grid1: await cubeBuild(market, 'grid', 1, reps), grid2: await cubeBuild(market, 'grid', 2, reps) };
  log(`cube build, ES ${market.instruments.ids.length} x ${market.risk.es!.scenarios}: 1 worker ${cube.es1.ms.toFixed(1)} ms, 2 workers ${cube.es2.ms.toFixed(1)} ms, ` +
    `speed-up ${(cube.es1.ms / cube.es2.ms).toFixed(2)}x; grid (${market.instruments.ids.length} x 29, too small to split usefully): ` +
    `${cube.grid1.ms.toFixed(2)} ms vs ${cube.grid2.ms.toFixed(2)} ms`);
  const aggPositions = quick ? 1_000_000 : 4_000_000;
  const agg1 = await aggregation(market, 'grid', 1, aggPositions, 16_384, reps);
  const agg2 = await aggregation(market, 'grid', 2, aggPositions, 16_384, reps);
  log(`aggregation (grid, pre-resolved, ${agg1.positions} positions in ${agg1.tasks} tasks): 1 worker ${rate(agg1.positions, agg1.ms)} positions/s, ` +
    `2 workers ${rate(agg2.positions, agg2.ms)} positions/s, speed-up ${(agg1.ms / agg2.ms).toFixed(2)}x`);
  const esPositions = quick ? 20_000 : 100_000;
  const aggEs1 = await aggregation(market, 'es', 1, esPositions, 512, reps);
  const aggEs2 = await aggregation(market, 'es', 2, esPositions, 512, reps);
  log(`aggregation (es, ${market.risk.es!.scenarios} scenarios, ${aggEs1.positions} positions): 1 worker ${rate(aggEs1.positions, aggEs1.ms)} positions/s, ` +
    `2 workers ${rate(aggEs2.positions, aggEs2.ms)} positions/s, speed-up ${(aggEs1.ms / aggEs2.ms).toFixed(2)}x`);

  // Parsing.
  const ours = await parseOurs(market, book);
  const theirs = await parseCsvParse(market, book, true);
  const theirsRaw = await parseCsvParse(market, book, false);
  log(`parse + pack, ${ours.rows} rows: byte-level reader ${rate(ours.rows, ours.ms)} rows/s; csv-parse + the same packing ${rate(theirs.rows, theirs.ms)} rows/s; ` +
    `csv-parse alone ${rate(theirsRaw.rows, theirsRaw.ms)} rows/s`);

  const lat = latency(market);
  log(`in-process GridModel.margin, 10 positions: ${lat.usPerCall.toFixed(2)} us per call (shared-memory build)`);

  const resultsDir = packageFile('bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const result = {
    environment: env, loadAverage: load, quick, book: { ...bookInfo, bytes: bookBytes },
    machineScaling2v1: baseline, privateCubeScaling2v1: simd, privateEsScaling2v1: esPrivate,
    endToEnd: e2e.map((r) => ({ ...r, positionsPerSecond: r.summary.positions / (r.runMs / 1000) })), outputsIdentical: identical,
    peakRssMB: { smallBook: { positions: smallInfo.positions, portfolios: smallInfo.portfolios }, runs: rss },
    cubeBuild: { esMs: { w1: cube.es1.ms, w2: cube.es2.ms, speedup: cube.es1.ms / cube.es2.ms }, gridMs: { w1: cube.grid1.ms, w2: cube.grid2.ms } },
    aggregation: {
      grid: { positions: agg1.positions, ms1: agg1.ms, ms2: agg2.ms, speedup: agg1.ms / agg2.ms },
      es: { positions: aggEs1.positions, ms1: aggEs1.ms, ms2: aggEs2.ms, speedup: aggEs1.ms / aggEs2.ms },
    },
    parse: { rows: ours.rows, oursMs: ours.ms, csvParsePackMs: theirs.ms, csvParseAloneMs: theirsRaw.ms },
    latencyUs: lat.usPerCall,
  };
  writeFileSync(join(resultsDir, 'batch.json'), JSON.stringify(result, null, 2) + '\n');
  log(`written: bench/results/batch.json`);
  if (!values.keep) { rmSync(book); rmSync(book + '.json'); }
}

await main();
