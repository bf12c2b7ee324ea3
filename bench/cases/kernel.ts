/**
 * Kernel throughput: option revaluations per second over 64 options of the example market and 10
 * to 10,000 scenarios, of
 * - the `revalue` kernel the host calls (WebAssembly SIMD, two scenarios a lane pair);
 * - `revalueScalar`, the scalar kernel (the algorithm the engine had before the SIMD kernel);
 * - both algorithms written in plain TypeScript (bench/ts-kernel.ts), the fair JIT baselines;
 * - the test twin (src/reference/cube.ts), on the smaller sizes;
 * the cost of an interop-only call; and the valuation kernel (value and four sensitivities of every
 * instrument of the market).
 */
import { Arena } from '../../src/wasm/arena.js';
import { instantiateKernels } from '../../src/wasm/module.js';
import { RevalueKernel, type RevalueArgs } from '../../src/kernels/revalue.js';
import { ValuationKernel } from '../../src/kernels/valuation.js';
import { referenceRevalue } from '../../src/reference/cube.js';
import { referenceValue } from '../../src/reference/valuation.js';
import {
  COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_U, COL_STYLE, KIND_CALL, NCOLS, NGREEKS, STATUS_OK, STYLE_AMERICAN,
} from '../../src/layout.js';
import { revalueTs, revalueTsShared, bsmPriceTs } from '../ts-kernel.js';
import { exampleMarket, kernelScenarios, pickOptions, subTable, underlyingCount, type KernelScenarios } from '../data.js';
import { CheckError, checkClose, measure, type Row, type Settings } from '../harness.js';

const GROUP = 'kernel: option revaluations';
const TOL = 1e-9;
export const TS_TWIN = 'TS twin (src/reference)';
export const TS_PORT = 'TS port, scalar-kernel algorithm';
export const TS_PORT_SIMD_ALG = 'TS port, SIMD-kernel algorithm';
export const WASM_SCALAR = 'WASM scalar kernel';
export const WASM_SIMD = 'WASM SIMD kernel (host)';

/** cs * (|V(S m)| + |V(S)|) per cell: the size of the prices an option's P&L is the difference of. */
export function priceScale(table: Float64Array, n: number,
  sc: Pick<KernelScenarios, 'stride' | 'nScen' | 'spotMult' | 'volShock' | 'volWeight' | 'horizonYears'>): Float64Array {
  const { stride, nScen, spotMult, volShock, volWeight, horizonYears: h } = sc;
  const scale = new Float64Array(n * stride);
  for (let i = 0; i < n; i++) {
    const at = (c: number) => table[c * n + i];
    if (at(COL_KIND) < KIND_CALL) continue;
    const call = at(COL_KIND) === KIND_CALL, u = at(COL_U);
    const v0 = bsmPriceTs(call, at(COL_S), at(COL_K), at(COL_T), at(COL_R), at(COL_Q), at(COL_VOL));
    for (let s = 0; s < nScen; s++) {
      const v1 = bsmPriceTs(call, at(COL_S) * spotMult[u * stride + s], at(COL_K), at(COL_T) - h, at(COL_R), at(COL_Q),
        at(COL_VOL) * (1 + volShock[u * stride + s] * volWeight[i]));
      scale[i * stride + s] = at(COL_CS) * (Math.abs(v0) + Math.abs(v1));
    }
  }
  return scale;
}

export function kernelCase(s: Settings, rows: Row[], log: (m: string) => void): void {
  const market = exampleMarket();
  const kernels = instantiateKernels();
  const arena = new Arena(kernels);
  const picked = pickOptions(market, 64, 7);
  const table = subTable(market, picked);
  const n = picked.length;
  const nU = underlyingCount(table, n);
  const simd = new RevalueKernel(kernels);
  const scalar = RevalueKernel.hasScalar(kernels) ? new RevalueKernel(kernels, { scalar: true }) : undefined;

  const sizes = s.quick ? [100, 10_000] : [10, 100, 1_000, 10_000];
  let interopDone = false;
  for (const nScen of sizes) {
    const size = `${n} options x ${nScen} scen`;
    const revals = n * nScen;
    const unit = 'reval/s';
    const add = (impl: string, baselines: string[] | undefined, f: () => void, note?: string): void => {
      try {
        const m = measure(`${impl} ${size}`, f, s);
        rows.push({ group: GROUP, case: 'revalue', size, impl, unit, value: m.hz * revals, rme: m.rme, samples: m.samples,
          meanUs: m.meanUs, baselines, status: 'ok', note });
      } catch (e) {
        rows.push({ group: GROUP, case: 'revalue', size, impl, unit, value: null, status: 'error', note: String(e) });
      }
      log(`  ${impl} ${size}`);
    };
    const sc = kernelScenarios(nU, n, nScen, 1000 + nScen);
    const mark = arena.mark();
    try {
      // Inputs in wasm memory, laid out once: nothing but the kernel call is timed.
      const tP = arena.putF64(table), mP = arena.putF64(sc.spotMult), vP = arena.putF64(sc.volShock), wP = arena.putF64(sc.volWeight);
      const cubeSimd = arena.allocF64(n * sc.stride), cubeScalar = arena.allocF64(n * sc.stride);
      const cubeTs = new Float64Array(n * sc.stride);
      const args = (cube: number): RevalueArgs => ({
        table: tP, nInstruments: n, spotMult: mP, nUnderlyings: nU, volShock: vP, volWeight: wP,
        horizonYears: sc.horizonYears, nScen, stride: sc.stride, cube,
      });
      const argsSimd = args(cubeSimd), argsScalar = args(cubeScalar);
      // Through the wrapper (src/kernels/revalue.ts): a bad status throws; false is a non-finite cell.
      const call = (k: RevalueKernel, a: RevalueArgs) => k.rows(a, 0, n);

      // Check once before timing: every implementation against the TypeScript port of the scalar
      // algorithm, within 1e-9 of the prices the P&L is a difference of; that port against the test
      // twin on the smaller sizes.
      if (revalueTs(table, n, 0, n, sc.spotMult, nU, sc.volShock, sc.volWeight, sc.horizonYears, nScen, sc.stride, cubeTs) !== 0) {
        throw new CheckError('TS port refused the arguments');
      }
      const scale = priceScale(table, n, sc);
      const cubeTs2 = new Float64Array(n * sc.stride), lnScratch = new Float64Array(nScen);
      const portB = () => revalueTsShared(table, n, 0, n, sc.spotMult, nU, sc.volShock, sc.volWeight, sc.horizonYears, nScen, sc.stride,
        cubeTs2, lnScratch);
      if (portB() !== 0) throw new CheckError('TS port (SIMD algorithm) refused the arguments');
      const worstB = checkClose('TS port of the SIMD algorithm vs TS port', cubeTs2, cubeTs, TOL, scale);
      if (!call(simd, argsSimd)) throw new CheckError('revalue returned a non-finite cell');
      const worstSimd = checkClose('WASM SIMD vs TS port', arena.f64(cubeSimd, n * sc.stride), cubeTs, TOL, scale);
      let worstScalar = NaN;
      if (scalar) {
        if (!call(scalar, argsScalar)) throw new CheckError('revalueScalar returned a non-finite cell');
        worstScalar = checkClose('WASM scalar vs TS port', arena.f64(cubeScalar, n * sc.stride), cubeTs, TOL, scale);
      }
      const twinSize = nScen <= 1_000;
      if (twinSize) {
        const twin = referenceRevalue(table, n, sc.spotMult, sc.volShock, sc.volWeight, sc.horizonYears, nScen, sc.stride);
        checkClose('TS port vs TS twin', cubeTs, twin, TOL, scale);
      }
      log(`  checked ${size}: max relative difference vs TS port: SIMD ${worstSimd.toExponential(2)}, ` +
        `scalar ${worstScalar.toExponential(2)}, TS port of the SIMD algorithm ${worstB.toExponential(2)}`);

      if (!interopDone) {
        interopDone = true;
        // The cost of crossing into WebAssembly: the same 12-argument call with an empty row range
        // (through the wrapper, as the host makes it).
        if (!simd.rows(argsSimd, 0, 0)) throw new CheckError('interop call returned a bad status');
        const im = measure('interop-only call (revalue, 0 rows)',
          () => { simd.rows(argsSimd, 0, 0); }, s);
        rows.push({ group: GROUP, case: 'interop', size: 'empty row range', impl: 'interop-only call (revalue, 0 rows)', unit: 'call/s',
          value: im.hz, rme: im.rme, samples: im.samples, meanUs: im.meanUs, status: 'ok',
          note: `${(im.meanUs * 1000).toFixed(0)} ns per call` });
      }
      if (twinSize) {
        add(TS_TWIN, undefined, () => { referenceRevalue(table, n, sc.spotMult, sc.volShock, sc.volWeight, sc.horizonYears, nScen, sc.stride); });
      }
      add(TS_PORT, twinSize ? [TS_TWIN] : undefined,
        () => { revalueTs(table, n, 0, n, sc.spotMult, nU, sc.volShock, sc.volWeight, sc.horizonYears, nScen, sc.stride, cubeTs); });
      if (scalar) add(WASM_SCALAR, [TS_PORT], () => { call(scalar, argsScalar); });
      else rows.push({ group: GROUP, case: 'revalue', size, impl: WASM_SCALAR, unit, value: null, status: 'unavailable', note: 'this build exports no revalueScalar' });
      add(TS_PORT_SIMD_ALG, [TS_PORT], portB);
      add(WASM_SIMD, scalar ? [TS_PORT, TS_PORT_SIMD_ALG, WASM_SCALAR] : [TS_PORT, TS_PORT_SIMD_ALG], () => { call(simd, argsSimd); });
    } catch (e) {
      rows.push({ group: GROUP, case: 'revalue', size, impl: 'check', unit, value: null, status: 'error', note: String(e) });
      log(`  ${size}: ${String(e)}`);
    } finally {
      arena.release(mark);
    }
  }
  americanCase(arena, table, n, nU, s, rows, log);
  valuationCase(arena, market.table, market.instruments.ids.length, s, rows, log);
}

const AMERICAN_GROUP = 'kernel: American revaluations (Bjerksund-Stensland 2002) beside European';

/**
 * The 64 options with a 2 % dividend yield (so calls and puts may be exercised early), priced
 * European (the `revalue` kernel: the baseline) and American (`revalue`, then `revalueAmerican`
 * over the American rows, as the cube build runs them), on 100 and 1,000 scenarios. Checked first
 * against the TypeScript twin (src/reference/cube.ts, americanPriceRef), within 1e-9 of the prices' size.
 */
function americanCase(arena: Arena, table0: Float64Array, n: number, nU: number, s: Settings, rows: Row[], log: (m: string) => void): void {
  const european = table0.slice(), american = table0.slice();
  for (let i = 0; i < n; i++) {
    european[COL_Q * n + i] = american[COL_Q * n + i] = 0.02;
    american[COL_STYLE * n + i] = STYLE_AMERICAN;
  }
  const k = new RevalueKernel(arena.kernels);
  for (const nScen of s.quick ? [100] : [100, 1_000]) {
    const size = `${n} options x ${nScen} scen`, unit = 'reval/s';
    const sc = kernelScenarios(nU, n, nScen, 2000 + nScen);
    const mark = arena.mark();
    try {
      const eP = arena.putF64(european), aP = arena.putF64(american);
      const mP = arena.putF64(sc.spotMult), vP = arena.putF64(sc.volShock), wP = arena.putF64(sc.volWeight);
      const cube = arena.allocF64(n * sc.stride);
      const args = (table: number): RevalueArgs => ({
        table, nInstruments: n, spotMult: mP, nUnderlyings: nU, volShock: vP, volWeight: wP, horizonYears: sc.horizonYears, nScen, stride: sc.stride, cube,
      });
      const ea = args(eP), aa = args(aP);
      // Through the wrapper: revalue, then revalueAmerican (which finds no American row in the European table).
      const eu = () => k.rows(ea, 0, n);
      const am = () => k.rows(aa, 0, n);
      if (!am()) throw new CheckError('revalueAmerican returned a non-finite cell');
      const twin = referenceRevalue(american, n, sc.spotMult, sc.volShock, sc.volWeight, sc.horizonYears, nScen, sc.stride);
      checkClose('American cube vs TS twin', arena.f64(cube, n * sc.stride), twin, TOL, priceScale(american, n, sc));
      const me = measure(`European ${size}`, () => { eu(); }, s);
      rows.push({ group: AMERICAN_GROUP, case: 'american', size, impl: 'WASM SIMD European (revalue)', unit, value: me.hz * n * nScen,
        rme: me.rme, samples: me.samples, meanUs: me.meanUs, status: 'ok' });
      const ma = measure(`American ${size}`, () => { am(); }, s);
      rows.push({ group: AMERICAN_GROUP, case: 'american', size, impl: 'WASM American (revalue + revalueAmerican)', unit, value: ma.hz * n * nScen,
        rme: ma.rme, samples: ma.samples, meanUs: ma.meanUs, baselines: ['WASM SIMD European (revalue)'], status: 'ok' });
      log(`  American ${size}: ${(ma.hz * n * nScen / 1e6).toFixed(2)} M reval/s, European ${(me.hz * n * nScen / 1e6).toFixed(2)} M reval/s`);
    } catch (e) {
      rows.push({ group: AMERICAN_GROUP, case: 'american', size, impl: 'check', unit, value: null, status: 'error', note: String(e) });
      log(`  American ${size}: ${String(e)}`);
    } finally {
      arena.release(mark);
    }
  }
}

/** Value and sensitivities of every instrument of the example market. */
function valuationCase(arena: Arena, table: Float64Array, n: number, s: Settings, rows: Row[], log: (m: string) => void): void {
  const group = 'kernel: valuation (value + 4 greeks)';
  const size = `${n} instruments`;
  const unit = 'instr/s';
  const mark = arena.mark();
  try {
    const tP = arena.putF64(table.subarray(0, NCOLS * n));
    const outSimd = arena.allocF64(NGREEKS * n), outScalar = arena.allocF64(NGREEKS * n);
    const simd = new ValuationKernel(arena);
    const scalar = typeof arena.kernels.valueInstrumentsScalar === 'function' ? new ValuationKernel(arena, { scalar: true }) : undefined;
    const want = referenceValue(table, n);
    // Check once: each column within 1e-9 of the twin, relative to the column's largest value
    // (a greek of a far option can be a tiny difference of large terms).
    const check = (what: string, ptr: number): void => {
      const got = arena.f64(ptr, NGREEKS * n);
      for (let c = 0; c < NGREEKS; c++) {
        const w = want.subarray(c * n, (c + 1) * n);
        let big = 0;
        for (const x of w) big = Math.max(big, Math.abs(x));
        checkClose(`${what} column ${c}`, got.subarray(c * n, (c + 1) * n), w, TOL, big * 1e-6);
      }
    };
    if (simd.run(tP, n, outSimd) !== STATUS_OK) throw new CheckError('valueInstruments returned a non-finite value');
    check('valueInstruments', outSimd);
    if (scalar) {
      if (scalar.run(tP, n, outScalar) !== STATUS_OK) throw new CheckError('valueInstrumentsScalar returned a non-finite value');
      check('valueInstrumentsScalar', outScalar);
    }
    const push = (impl: string, baselines: string[] | undefined, f: () => void): void => {
      const m = measure(impl, f, s);
      rows.push({ group, case: 'valueInstruments', size, impl, unit, value: m.hz * n, rme: m.rme, samples: m.samples, meanUs: m.meanUs, baselines, status: 'ok' });
      log(`  ${impl} ${size}`);
    };
    push(TS_TWIN, undefined, () => { referenceValue(table, n); });
    if (scalar) push(WASM_SCALAR, [TS_TWIN], () => { scalar.run(tP, n, outScalar); });
    push(WASM_SIMD, scalar ? [TS_TWIN, WASM_SCALAR] : [TS_TWIN], () => { simd.run(tP, n, outSimd); });
  } catch (e) {
    rows.push({ group, case: 'valueInstruments', size, impl: 'check', unit, value: null, status: 'error', note: String(e) });
  } finally {
    arena.release(mark);
  }
}
