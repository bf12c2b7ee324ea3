/**
 * Loading the WebAssembly kernels: compiled once per process (or handed in by a worker), then
 * instantiated through @assemblyscript/loader against a memory the host owns.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instantiateSync } from '@assemblyscript/loader';

/** The functions every build of assembly/index.ts exports. Pointers are byte offsets. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;

  revalue(
    table: number, n: number, first: number, count: number, spotMult: number, nU: number, volShock: number, volWeight: number,
    horizonYears: number, nScen: number, stride: number, cube: number,
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

/**
 * Instantiates the kernels synchronously. `memory` defaults to a fresh private memory; pass a
 * shared one to let several workers read the same cube.
 */
export function instantiateKernels(
  module: WebAssembly.Module = compiledModule(),
  memory: WebAssembly.Memory = new WebAssembly.Memory({ initial: INITIAL_PAGES }),
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
  const { exports } = instantiateSync(module, imports) as unknown as { exports: KernelExports };
  return Object.assign(Object.create(null), exports, { memory }) as KernelExports;
}
