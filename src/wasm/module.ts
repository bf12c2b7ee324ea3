/**
 * Loading the WebAssembly kernels: compiled once per process (or handed in by a worker), then
 * instantiated through @assemblyscript/loader against a memory the host owns.
 *
 * One build, one memory kind: the module imports a *shared* memory (asconfig.json: sharedMemory,
 * threads, maximumMemory 65536 pages), in-process as well as in the worker pool, so the batch
 * engine's workers read one instrument P&L cube in place and the in-process path runs exactly the
 * same code (measured: no difference in the latency of a 10-position grid margin; see the batch
 * benchmark). A shared memory cannot move, so V8 reserves its maximum as address space up front
 * (as it reserves guard regions for every wasm32 memory); pages are committed as they are used.
 *
 * The module holds no mutable static data: its only data segments are the constant tables of the
 * standard library's math functions (below heapBase). Instantiation writes active segments into
 * the memory, so each worker that instantiates against a shared memory rewrites those bytes with
 * the same values; nothing else the host laid out is touched.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instantiateSync } from '@assemblyscript/loader';
import { KERNEL_LAYOUT } from '../layout.js';
import { KernelError } from '../kernels/error.js';

/** The functions every build of assembly/index.ts exports. Pointers are byte offsets. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;

  revalue(
    table: number, n: number, first: number, count: number, spotMult: number, nU: number, volShock: number, volWeight: number,
    horizonYears: number, nScen: number, stride: number, cube: number,
  ): number;
  /** revalue with a vol move per cell: row i of volRows for instrument i (assembly/revalue-simd.ts). */
  revalueVolRows(
    table: number, n: number, first: number, count: number, spotMult: number, nU: number, volRows: number, volWeight: number,
    horizonYears: number, nScen: number, stride: number, cube: number,
  ): number;
  /** The per-cell vol moves of scenario sets with vol dynamics (assembly/vol-dynamics.ts). */
  volMoves(
    table: number, n: number, first: number, count: number, nU: number, spotMult: number, lnMult: number, volShock: number,
    volAbs: number, volSkew: number, volFloor: number, volWeight: number, y0: number, lnKF: number, sticky: number,
    surfaces: number, maxVol: number, nScen: number, stride: number, out: number,
  ): number;
  aggregate(
    cube: number, stride: number, nScen: number, posInstr: number, posQty: number, posRow: number,
    nPos: number, out: number, nRows: number,
  ): number;
  gridReduce(
    pnl: number, stride: number, nRows: number, rowGroup: number, nGroups: number, offsets: number,
    scenPoint: number, nScen: number, cover: number, nPoints: number, out: number,
  ): number;
  valueInstruments(table: number, n: number, out: number): number;
  /** Basis-shifted cells over revalue's (assembly/basis.ts). */
  basisCells(
    table: number, n: number, first: number, count: number, spotMult: number, nU: number, shift: number, amount: number,
    volShock: number, volWeight: number, byRow: number, horizonYears: number, nScen: number, stride: number, cube: number,
  ): number;
  /** American rows over valueInstruments' output (assembly/american-cube.ts). */
  valueAmerican(table: number, n: number, out: number): number;
  /** American rows over revalue's cells (assembly/american-cube.ts); byRow != 0: volShock has a row per instrument. */
  revalueAmerican(
    table: number, n: number, first: number, count: number, spotMult: number, nU: number, volShock: number, volWeight: number,
    byRow: number, horizonYears: number, nScen: number, stride: number, cube: number,
  ): number;
  // Expected shortfall (assembly/rng.ts, shocks.ts, tail.ts). u32 arguments are passed as numbers.
  philoxBlock(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: number): number;
  rngSample(seed: number, firstScenario: number, nScen: number, kind: number, nu: number, nPer: number, out: number): number;
  esShocks(
    seed: number, firstScenario: number, nScen: number, nU: number, chol: number, scale: number,
    dist: number, nu: number, stride: number, out: number,
  ): number;
  esTail(losses: number, n: number, confidence: number, out: number): number;
  esTailIndex(losses: number, index: number, n: number, confidence: number, out: number): number;
  [name: string]: unknown;
}

let compiled: WebAssembly.Module | undefined;

/** Where the built module lives: build/margin.wasm at the package root (from src/ or dist/src/). */
export function wasmPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'build', 'margin.wasm');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('build/margin.wasm not found: run `npm run build` first');
}

/** The compiled module, compiled on first use and cached for the process. */
export function compiledModule(): WebAssembly.Module {
  if (!compiled) compiled = new WebAssembly.Module(readFileSync(wasmPath()));
  return compiled;
}

/** The initial size of a fresh kernel memory, in 64 KiB pages. */
const INITIAL_PAGES = 16;
/** The largest memory the module accepts (asconfig.json maximumMemory): 65536 pages, 4 GiB. */
export const MAX_PAGES = 65536;
export const PAGE_BYTES = 65536;

/**
 * A memory the kernels can be instantiated against: shared (the module imports a shared memory),
 * `initialPages` pages to start with, growable to `maximumPages`.
 */
export function createKernelMemory(initialPages = INITIAL_PAGES, maximumPages = MAX_PAGES): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages, shared: true });
}

/**
 * Instantiates the kernels synchronously. `memory` defaults to a fresh memory of this process
 * (createKernelMemory); pass one made elsewhere, for example the batch engine's, to let several
 * workers read the same cube.
 */
export function instantiateKernels(
  module: WebAssembly.Module = compiledModule(),
  memory: WebAssembly.Memory = createKernelMemory(),
): KernelExports {
  const imports = {
    env: {
      memory,
      abort(_msg: number, _file: number, line: number, column: number): void {
        // Kernels never throw; an abort means a kernel bug, and the instance is unusable after it.
        throw new Error(`margin-engine kernel aborted at line ${line}:${column}`);
      },
    },
  };
  // The instance's own exports, not the loader's demangled ones: the loader wraps every function in
  // a rest-arguments closure (to pass an argument count this module does not use), which costs an
  // array allocation per kernel call, on the per-portfolio path.
  const { instance } = instantiateSync(module, imports);
  checkLayout(instance.exports);
  return Object.assign(Object.create(null), instance.exports, { memory }) as KernelExports;
}

/**
 * Throws a KernelError unless the module exports every layout constant of src/layout.ts
 * (generated from assembly/layout.ts) as a global of the same value: a module built from other
 * sources than this host (a stale build/margin.wasm) is refused before any kernel runs.
 */
export function checkLayout(exports: WebAssembly.Exports): void {
  for (const name in KERNEL_LAYOUT) {
    const g = exports[name];
    const got = g instanceof WebAssembly.Global ? g.value : undefined;
    if (got !== KERNEL_LAYOUT[name]) {
      throw KernelError.host('module', `${name} is ${got === undefined ? 'not exported' : got} in build/margin.wasm, ` +
        `${KERNEL_LAYOUT[name]} in src/layout.ts: rebuild the module (npm run build:wasm)`);
    }
  }
}
