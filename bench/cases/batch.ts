/**
 * The cases that run on the worker-pool batch engine (src/batch):
 * - cube build with the pool: the engine builds its cube in row ranges across the workers, in one
 *   shared memory; cells per second from the engine's own timing of that build (median of several
 *   engines), against the engine on one thread (the same code in-process) and the host's buildCube;
 * - batch throughput: the demo book (src/demo/book.ts: 98 % retail portfolios of 1 to 10
 *   positions, 2 % market makers of 50 to 200) over the example market, as CSV text through
 *   engine.run (parse, pack, margin, write rows), portfolios per second with benchmark.js in
 *   deferred mode, against the in-process model (parse, then margin() one portfolio at a time)
 *   and the engine on one thread.
 * Results are checked once: the engine's margins equal the in-process model's, bit for bit.
 */
import { availableParallelism } from 'node:os';
import { Readable, Writable } from 'node:stream';
import { Piscina } from 'piscina';
import { createBatchEngine, workerFile, type BatchEngine, type BatchMethod } from '../../src/batch/engine.js';
import { createGridModel } from '../../src/models/grid.js';
import { createEsModel } from '../../src/models/tail.js';
import { parsePortfolios } from '../../src/portfolio/read.js';
import { generateBook } from '../../src/demo/book.js';
import type { EsSpec, GridSpec, ResolvedMarket } from '../../src/market/types.js';
import type { MarginModel, PortfolioLike } from '../../src/models/model.js';
import type { MarginResult } from '../../src/results.js';
import { exampleMarket, exampleMarketInput, randomPortfolios } from '../data.js';
import { cubeByInstrument } from '../../src/cube/cube.js';
import { referenceAggregate } from '../../src/reference/cube.js';
import { esTailRef } from '../../src/reference/tail.js';
import { resolvePositions } from '../../src/portfolio/resolve.js';
import { CheckError, measure, measureAsync, type Row, type Settings, median } from '../harness.js';

const CUBE_GROUP = 'cube build (instruments x scenarios)';
const HOST_1T = 'WASM SIMD, 1 thread (buildCube)';
const BATCH_GROUP = 'batch throughput (demo book, CSV in, rows out)';
const ENGINE_1T = 'batch engine, 1 thread';

let sharedPool: Piscina | undefined;
const threads = availableParallelism();

/** One pool for every engine of the run (the engine accepts an application's pool). */
function pool(): Piscina {
  sharedPool ??= new Piscina({ filename: workerFile(), minThreads: threads, maxThreads: threads, idleTimeout: 2 ** 31 - 1, concurrentTasksPerWorker: 2 });
  return sharedPool;
}

export async function closePool(): Promise<void> {
  if (sharedPool) await sharedPool.destroy();
  sharedPool = undefined;
}

function engineOptions(market: ResolvedMarket, spec: { grid?: GridSpec; es?: EsSpec }, pooled: boolean) {
  const method: BatchMethod = spec.es ? 'es' : 'grid';
  return { market, method, grid: spec.grid, es: spec.es, ...(pooled ? { pool: pool() } : { threads: 1 }) };
}

function sameMargins(got: MarginResult[], want: MarginResult[], what: string): void {
  if (got.length !== want.length) throw new CheckError(`${what}: ${got.length} results, expected ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    const a = got[i], b = want[i];
    const ia = a.ok ? a.initialMargin : a.message, ib = b.ok ? b.initialMargin : b.message;
    if (a.ok !== b.ok || !Object.is(ia, ib)) throw new CheckError(`${what}: portfolio ${b.portfolio}: ${String(ia)}, in-process ${String(ib)}`);
  }
}


export async function poolCubeCase(
  market: ResolvedMarket, spec: { grid?: GridSpec; es?: EsSpec }, size: string, cells: number, s: Settings, rows: Row[],
  log: (m: string) => void,
): Promise<void> {
  const reps = s.quick ? 3 : 7;
  const check = randomPortfolios(market, 10, 20, 5);
  const model: MarginModel = spec.es ? createEsModel(market, { es: spec.es }) : createGridModel(market, { grid: spec.grid });
  const want = model.marginAll(check);
  for (const pooled of [false, true]) {
    const impl = pooled ? `batch engine, pool of ${threads}` : ENGINE_1T;
    try {
      const times: number[] = [];
      for (let r = 0; r < reps; r++) {
        const engine: BatchEngine = await createBatchEngine(engineOptions(market, spec, pooled));
        try {
          times.push(engine.cubeMs);
          if (r === 0) sameMargins(await engine.marginAll(check), want, `${impl}, ${size}`);
        } finally {
          await engine.close();
        }
      }
      const ms = median(times);
      rows.push({ group: CUBE_GROUP, case: 'build', size, impl, unit: 'cell/s', value: cells / (ms / 1000), samples: reps, meanUs: ms * 1000,
        baselines: pooled ? [HOST_1T, ENGINE_1T] : [HOST_1T], status: 'ok',
        note: `median of ${reps} engines' cube builds, ${ms.toFixed(2)} ms (from the engine's own timing; a new engine also instantiates the module in each worker)` });
      log(`  ${impl} ${size}: ${ms.toFixed(2)} ms`);
    } catch (e) {
      rows.push({ group: CUBE_GROUP, case: 'build', size, impl, unit: 'cell/s', value: null, status: 'error', note: String(e) });
      log(`  ${impl} ${size}: ${String(e)}`);
    }
  }
}

/** A writable that drops what it is given. */
function sink(): Writable {
  return new Writable({ write(_chunk, _enc, cb) { cb(); } });
}

/**
 * The batch engine's rows of a throughput group: the engine on one thread and on the pool, each
 * first checked equal to the in-process model's margins bit for bit (objects in), then timed on
 * `text` (engine.run, CSV in, rows out). The pool row is also compared with the one-thread row.
 */
async function engineRows(
  c: { group: string; case: string; size: string; count: number; text: string; parsed: PortfolioLike[]; want: MarginResult[]; baselines: string[] },
  market: ResolvedMarket, spec: { grid?: GridSpec; es?: EsSpec }, s: Settings, rows: Row[], log: (m: string) => void,
): Promise<void> {
  for (const pooled of [false, true]) {
    const impl = pooled ? `batch engine, pool of ${threads}` : ENGINE_1T;
    const engine = await createBatchEngine(engineOptions(market, spec, pooled));
    try {
      sameMargins(await engine.marginAll(c.parsed), c.want, `${impl}, ${c.size}`);
      const m = await measureAsync(`${impl} ${c.size}`, () => engine.run(Readable.from([c.text], { objectMode: false }), sink()), s);
      rows.push({ group: c.group, case: c.case, size: c.size, impl, unit: 'portfolio/s', value: m.hz * c.count, rme: m.rme, samples: m.samples,
        meanUs: m.meanUs, baselines: pooled ? [...c.baselines, ENGINE_1T] : c.baselines, status: 'ok' });
      log(`  ${impl} ${c.size}`);
    } catch (e) {
      rows.push({ group: c.group, case: c.case, size: c.size, impl, unit: 'portfolio/s', value: null, status: 'error', note: String(e) });
      log(`  ${impl} ${c.size}: ${String(e)}`);
    } finally {
      await engine.close();
    }
  }
}

export async function batchCase(s: Settings, rows: Row[], log: (m: string) => void): Promise<void> {
  const market = exampleMarket();
  const cases: { method: BatchMethod; count: number }[] = s.quick
    ? [{ method: 'grid', count: 2_000 }]
    : [{ method: 'grid', count: 10_000 }, { method: 'es', count: 1_000 }];
  try {
    for (const { method, count } of cases) {
      const text = generateBook(exampleMarketInput(), { portfolios: count, seed: 1 });
      const size = `${count} portfolios, ${method}`;
      const spec = method === 'es' ? { es: market.risk.es } : { grid: market.risk.grid };
      const model: MarginModel = method === 'es' ? createEsModel(market) : createGridModel(market);
      const parsed = parsePortfolios(text, 'book.csv') as PortfolioLike[];
      const want = model.marginAll(parsed);
      const positions = parsed.reduce((a, p) => a + (p.positions?.length ?? 0), 0);
      const inProcess = 'in-process model, 1 thread (parse + margin())';
      try {
        const m = measure(`${inProcess} ${size}`, () => { model.marginAll(parsePortfolios(text, 'book.csv') as PortfolioLike[]); }, s);
        rows.push({ group: BATCH_GROUP, case: 'batch', size, impl: inProcess, unit: 'portfolio/s', value: m.hz * count, rme: m.rme,
          samples: m.samples, meanUs: m.meanUs, status: 'ok', note: `${positions} positions` });
        log(`  ${inProcess} ${size}`);
      } catch (e) {
        rows.push({ group: BATCH_GROUP, case: 'batch', size, impl: inProcess, unit: 'portfolio/s', value: null, status: 'error', note: String(e) });
      }
      await engineRows({ group: BATCH_GROUP, case: 'batch', size, count, text, parsed, want, baselines: [inProcess] }, market, spec, s, rows, log);
    }
  } finally {
    await closePool();
  }
}

const ES_GROUP = 'ES throughput (10-position portfolios, 10k scenarios, CSV in, rows out)';

/**
 * Issue-level ES throughput: portfolios of exactly 10 positions (distinct instruments of the example
 * market) over its 10,000 Monte Carlo scenarios, as CSV text: the batch engine's pool and one thread
 * (engine.run: parse, pack, aggregate, tail, write rows), the in-process model, and plain
 * TypeScript over the same cube (parse, aggregate twin, full sort), all in this run.
 */
export async function esThroughputCase(s: Settings, rows: Row[], log: (m: string) => void): Promise<void> {
  const market = exampleMarket();
  // A batch large enough that filling and draining the pool is a small part of the run; the
  // TypeScript baseline (about 1 ms a portfolio) runs on the first `tsCount` portfolios of the same
  // book, and its rate is per portfolio like the others.
  const count = s.quick ? 500 : 8_000;
  const tsCount = s.quick ? 300 : 1_000;
  const ports = randomPortfolios(market, 10, count, 2026);
  const csv = (ps: typeof ports) => 'portfolio,instrument,quantity\n' + ps.map((p) => p.positions.map((q) => `${p.id},${q.instrument},${q.quantity}`).join('\n')).join('\n') + '\n';
  const text = csv(ports);
  const tsText = csv(ports.slice(0, tsCount));
  const size = `${count} portfolios x 10 positions`;
  const model = createEsModel(market);
  const parsed = parsePortfolios(text, 'book.csv') as PortfolioLike[];
  const want = model.marginAll(parsed);
  const inProcess = 'in-process EsModel, 1 thread (parse + margin())';
  const TS_ES = 'plain TypeScript, 1 thread (parse, aggregate twin, full sort)';
  const cube = cubeByInstrument(model.cube);
  const sc = model.scenarios;
  const tsAll = (): number[] => (parsePortfolios(tsText, 'book.csv') as PortfolioLike[]).map((p) => {
    const res = resolvePositions(market, p.positions!);
    if (typeof res === 'string') throw new CheckError(res);
    const losses = referenceAggregate(cube, sc.stride, res.instr, res.qty.map((q) => -q), new Int32Array(res.instr.length), 1).subarray(0, sc.nScen);
    return Math.max(esTailRef(losses, model.confidence).es, 0);
  });
  try {
    const ts = tsAll();
    for (let i = 0; i < ts.length; i++) {
      const r = want[i];
      if (!r.ok || !(Math.abs(r.initialMargin - ts[i]) <= 1e-9 * Math.max(1, ts[i]))) throw new CheckError(`${parsed[i].id}: engine ${r.ok ? r.initialMargin : r.message}, TypeScript ${ts[i]}`);
    }
    // The baseline takes seconds a call: a few samples are enough for its (large) gap.
    const slow = { ...s, minSamples: 3, maxTime: Math.min(s.maxTime, 1) };
    const m0 = measure(`${TS_ES} ${size}`, () => { tsAll(); }, slow);
    rows.push({ group: ES_GROUP, case: 'es-batch', size, impl: TS_ES, unit: 'portfolio/s', value: m0.hz * tsCount, rme: m0.rme, samples: m0.samples, meanUs: m0.meanUs,
      status: 'ok', note: `measured on the first ${tsCount} portfolios` });
    const m1 = measure(`${inProcess} ${size}`, () => { model.marginAll(parsePortfolios(text, 'book.csv') as PortfolioLike[]); }, s);
    rows.push({ group: ES_GROUP, case: 'es-batch', size, impl: inProcess, unit: 'portfolio/s', value: m1.hz * count, rme: m1.rme, samples: m1.samples,
      meanUs: m1.meanUs, baselines: [TS_ES], status: 'ok' });
    log(`  ${inProcess} ${size}`);
  } catch (e) {
    rows.push({ group: ES_GROUP, case: 'es-batch', size, impl: 'check', unit: 'portfolio/s', value: null, status: 'error', note: String(e) });
    log(`  ${size}: ${String(e)}`);
    return;
  }
  try {
    await engineRows({ group: ES_GROUP, case: 'es-batch', size, count, text, parsed, want, baselines: [TS_ES, inProcess] },
      market, { es: market.risk.es }, s, rows, log);
  } finally {
    await closePool();
  }
}
