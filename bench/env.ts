/** The environment a benchmark run is measured in, printed above the table and stored in the JSON. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus, totalmem, platform, arch, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Benchmark from 'benchmark';

export interface Environment {
  node: string;
  v8: string;
  platform: string;
  cpu: string;
  cores: number;
  /** CPU clock in MHz as os.cpus() reports it (0 when unknown). */
  mhz: number;
  memoryGiB: number;
  benchmarkJs: string;
  /** The release target of asconfig.json plus its shared options (the flags build/margin.wasm was built with). */
  wasmBuild: string;
  wasmBytes: number;
  /** Short commit of the working tree, with "+dirty" when it has uncommitted changes. */
  commit: string;
}

/** The package root: the nearest directory above this file holding package.json and asconfig.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'asconfig.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('package root not found above the benchmark');
}

function wasmFlags(root: string): string {
  try {
    const cfg = JSON.parse(readFileSync(join(root, 'asconfig.json'), 'utf8')) as {
      targets?: { release?: Record<string, unknown> }; options?: Record<string, unknown>;
    };
    const rel = { ...(cfg.targets?.release ?? {}) };
    delete rel.outFile;
    delete rel.textFile;
    const parts = Object.entries({ ...rel, ...(cfg.options ?? {}) }).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`);
    return parts.join(' ');
  } catch {
    return 'unknown';
  }
}

function commit(root: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

export function environment(): Environment {
  const root = packageRoot();
  const c = cpus();
  const wasm = join(root, 'build', 'margin.wasm');
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${platform()} ${release()} ${arch()}`,
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    mhz: c[0]?.speed ?? 0,
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    benchmarkJs: Benchmark.version,
    wasmBuild: wasmFlags(root),
    wasmBytes: existsSync(wasm) ? statSync(wasm).size : 0,
    commit: commit(root),
  };
}

export function formatEnvironment(e: Environment): string {
  return [
    `node ${e.node} (V8 ${e.v8}), ${e.platform}`,
    `CPU ${e.cpu}${e.mhz ? ` @ ${e.mhz} MHz` : ''}, ${e.cores} cores, ${e.memoryGiB} GiB`,
    `wasm build: ${e.wasmBuild} (${e.wasmBytes} bytes)`,
    `benchmark.js ${e.benchmarkJs}, commit ${e.commit}`,
  ].join('\n');
}
