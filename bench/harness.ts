/**
 * The measuring side of the suite: benchmark.js for throughput (mean time per call and its
 * relative margin of error), an hrtime sampling loop for latency percentiles, a result check run
 * once before timing, and the rows every case reports.
 */
import { buildCube } from '../src/cube/cube.js';
import type { ResolvedMarket } from '../src/market/types.js';
import type { ScenarioSet } from '../src/scenarios/types.js';
import type { Arena } from '../src/wasm/arena.js';
import Benchmark from 'benchmark';

export interface Settings {
  quick: boolean;
  /** benchmark.js: seconds of sampling per measurement. */
  maxTime: number;
  /** benchmark.js: minimum number of samples. */
  minSamples: number;
  /** Latency: untimed calls before sampling. */
  latencyWarmup: number;
  /** Latency: timed calls (one hrtime pair each). */
  latencySamples: number;
}

export function settings(quick: boolean): Settings {
  return quick
    ? { quick, maxTime: 0.25, minSamples: 5, latencyWarmup: 2_000, latencySamples: 5_000 }
    : { quick, maxTime: 2, minSamples: 10, latencyWarmup: 20_000, latencySamples: 50_000 };
}

export type Status = 'ok' | 'error' | 'unavailable';

/** One measured implementation at one size. Rows of one group and size are compared with each other. */
export interface Row {
  group: string;
  case: string;
  size: string;
  impl: string;
  /** Throughput rows: units per second; latency rows: p50 in microseconds. */
  unit: string;
  value: number | null;
  /** benchmark.js relative margin of error of the mean, percent. */
  rme?: number;
  samples?: number;
  /** Mean microseconds per call. */
  meanUs?: number;
  p50us?: number;
  p99us?: number;
  /** Implementations (same group and size) this row is compared with, in order. */
  baselines?: string[];
  /** value / baseline value (throughput) or baseline p50 / p50 (latency): > 1 means this row is faster. */
  ratios?: Record<string, number>;
  status: Status;
  note?: string;
}

export interface Measured {
  /** Calls per second. */
  hz: number;
  rme: number;
  samples: number;
  meanUs: number;
}

/** Times a synchronous call with benchmark.js. Throws what the call throws. */
/** The median time, in ms, of `reps` builds of `market`'s cube under `scen` in `arena` (each released after it). */
export function medianCubeBuildMs(arena: Arena, market: ResolvedMarket, scen: ScenarioSet, reps: number): number {
  return median(Array.from({ length: reps }, () => {
    const mark = arena.mark();
    const t0 = performance.now();
    buildCube(arena, market, scen);
    const t = performance.now() - t0;
    arena.release(mark);
    return t;
  }));
}

/** The median of some timings (the upper middle one for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

export function measure(name: string, fn: () => void, s: Settings): Measured {
  const b = new Benchmark(name, fn, { maxTime: s.maxTime, minSamples: s.minSamples });
  b.run({ async: false });
  if (b.error) throw b.error;
  if (b.aborted || !(b.hz > 0)) throw new Error(`${name}: benchmark aborted`);
  return { hz: b.hz, rme: b.stats.rme, samples: b.stats.sample.length, meanUs: b.stats.mean * 1e6 };
}

/** Times an asynchronous call with benchmark.js in deferred mode. Rejects with what the call rejects with. */
export function measureAsync(name: string, fn: () => Promise<unknown>, s: Settings): Promise<Measured> {
  return new Promise((resolve, reject) => {
    let failure: unknown;
    const b = new Benchmark(name, (d: Benchmark.Deferred) => {
      if (failure !== undefined) { d.resolve(); return; }
      fn().then(() => d.resolve(), (e: unknown) => { failure = e; d.resolve(); });
    }, { defer: true, maxTime: s.maxTime, minSamples: s.minSamples });
    b.on('complete', () => {
      if (failure !== undefined) reject(failure);
      else if (b.error) reject(b.error);
      else resolve({ hz: b.hz, rme: b.stats.rme, samples: b.stats.sample.length, meanUs: b.stats.mean * 1e6 });
    });
    b.run({ async: true });
  });
}

export interface Latency {
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
  samples: number;
}

/** Keeps results alive so that the optimiser cannot drop a call. */
export let sink: unknown;

/**
 * Per-call latency in microseconds: `warmup` untimed calls, then `samples` calls each between two
 * process.hrtime.bigint() readings. fn(i) gets the call number (to cycle through inputs).
 */
export function sampleLatency(fn: (i: number) => unknown, warmup: number, samples: number): Latency {
  for (let i = 0; i < warmup; i++) sink = fn(i);
  const t = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    sink = fn(i);
    const t1 = process.hrtime.bigint();
    t[i] = Number(t1 - t0) / 1000;
  }
  let sum = 0;
  for (let i = 0; i < samples; i++) sum += t[i];
  t.sort();
  const at = (p: number): number => t[Math.min(samples - 1, Math.floor(p * samples))];
  return { p50: at(0.5), p99: at(0.99), mean: sum / samples, min: t[0], max: t[samples - 1], samples };
}

/** The cost of the timing itself: two back-to-back hrtime readings, in microseconds. */
export function timerOverhead(): Latency {
  return sampleLatency(() => 0, 10_000, 50_000);
}

/** Thrown by a result check: the case is aborted and reported as an error. */
export class CheckError extends Error {
  override readonly name = 'CheckError';
}

/**
 * Checks |got - want| <= tol * max(|want|, scale) element by element (scale: per element or one
 * number, default 0). Returns the worst relative error; throws CheckError naming the first bad element.
 */
export function checkClose(
  what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number, scale: ArrayLike<number> | number = 0,
): number {
  if (got.length !== want.length) throw new CheckError(`${what}: ${got.length} results, expected ${want.length}`);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const sc = typeof scale === 'number' ? scale : scale[i];
    const den = Math.max(Math.abs(want[i]), sc, 1e-300);
    const err = Math.abs(got[i] - want[i]) / den;
    if (!(err <= tol) && !(got[i] === want[i])) {
      throw new CheckError(`${what}: element ${i} is ${got[i]}, expected ${want[i]} (relative error ${err.toExponential(2)} > ${tol})`);
    }
    if (err > worst) worst = err;
  }
  return worst;
}

/** Fills in `ratios` of every row that names baselines. */
export function computeRatios(rows: Row[]): void {
  for (const r of rows) {
    if (!r.baselines || r.status !== 'ok' || r.value === null) continue;
    r.ratios = {};
    for (const name of r.baselines) {
      const b = rows.find((x) => x.group === r.group && x.size === r.size && x.impl === name);
      if (!b || b.status !== 'ok' || b.value === null) continue;
      r.ratios[name] = r.unit === 'us' ? b.value / r.value : r.value / b.value;
    }
  }
}

export function formatRate(x: number, unit: string): string {
  const [div, suffix] = x >= 1e9 ? [1e9, 'G'] : x >= 1e6 ? [1e6, 'M'] : x >= 1e3 ? [1e3, 'k'] : [1, ''];
  const v = x / div;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${suffix}${unit}`;
}

export function formatUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : us >= 10 ? `${us.toFixed(1)} us` : `${us.toFixed(2)} us`;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/** The table printed at the end of a run, one block per group. */
export function formatTable(rows: Row[]): string {
  const lines: string[] = [];
  const groups = [...new Set(rows.map((r) => r.group))];
  const header = ['case', 'size', 'implementation', 'result', '±%', 'p99', 'compared with'];
  for (const g of groups) {
    const body: string[][] = [];
    for (const r of rows.filter((x) => x.group === g)) {
      let result = '', rme = '', p99 = '', ratios = '';
      if (r.status === 'ok' && r.value !== null) {
        result = r.unit === 'us' ? `p50 ${formatUs(r.value)}` : formatRate(r.value, r.unit);
        rme = r.rme !== undefined ? r.rme.toFixed(1) : '';
        p99 = r.p99us !== undefined ? formatUs(r.p99us) : '';
        ratios = Object.entries(r.ratios ?? {}).map(([k, v]) => `${v.toFixed(2)}x ${k}`).join(', ');
      } else {
        result = r.status === 'unavailable' ? 'not available' : 'ERROR';
        ratios = r.note ?? '';
      }
      body.push([r.case, r.size, r.impl, result, rme, p99, ratios]);
    }
    const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
    lines.push(`== ${g}`);
    lines.push(header.map((h, c) => pad(h, widths[c], c >= 3 && c <= 5)).join('  ').trimEnd());
    for (const b of body) lines.push(b.map((x, c) => pad(x, widths[c], c >= 3 && c <= 5)).join('  ').trimEnd());
    const notes = rows.filter((x) => x.group === g && x.status === 'ok' && x.note).map((x) => `  note (${x.impl}, ${x.size}): ${x.note}`);
    lines.push(...notes, '');
  }
  return lines.join('\n');
}
