/**
 * The benchmark suite: `npm run bench` (full, a few minutes) or `npm run bench -- --quick` (a smoke
 * check under a minute). Prints the environment and a table, and writes the same numbers as JSON
 * to bench/results/latest.json (or the file after --out). `--only kernel,cube,vol-dynamics,basis,latency,es,es-vol,es-batch,batch,backtest`
 * runs some groups. See bench/README.md for what each case measures and how to read it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { environment, formatEnvironment, packageRoot } from './env.js';
import { computeRatios, formatTable, settings, timerOverhead, type Row } from './harness.js';
import { kernelCase } from './cases/kernel.js';
import { cubeCase } from './cases/cube.js';
import { latencyCase } from './cases/latency.js';
import { esCase } from './cases/es.js';
import { esVolCase } from './cases/es-vol.js';
import { volDynamicsCase } from './cases/vol-dynamics.js';
import { basisCase } from './cases/basis.js';
import { batchCase, closePool, esThroughputCase } from './cases/batch.js';
import { backtestCase } from './cases/backtest.js';

const GROUPS = ['kernel', 'cube', 'vol-dynamics', 'basis', 'latency', 'es', 'es-vol', 'es-batch', 'batch', 'backtest'] as const;
type Group = (typeof GROUPS)[number];

function parseArgs(argv: string[]): { quick: boolean; out: string; only: Set<Group> } {
  let quick = false, out = join(packageRoot(), 'bench', 'results', 'latest.json');
  let only = new Set<Group>(GROUPS);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') quick = true;
    else if (a === '--out') out = resolve(argv[++i] ?? '');
    else if (a === '--only') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      for (const n of names) if (!(GROUPS as readonly string[]).includes(n)) throw new Error(`--only: unknown group ${n} (groups: ${GROUPS.join(', ')})`);
      only = new Set(names as Group[]);
    } else throw new Error(`unknown argument ${a} (use --quick, --only GROUPS, --out FILE)`);
  }
  return { quick, out, only };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const s = settings(args.quick);
  const env = environment();
  const started = new Date();
  const t0 = performance.now();
  const log = (m: string) => process.stderr.write(m + '\n');
  console.log(`margin-engine benchmark (${args.quick ? 'quick' : 'full'})`);
  console.log(formatEnvironment(env));
  const timer = timerOverhead();
  console.log(`timer: two hrtime readings cost p50 ${(timer.p50 * 1000).toFixed(0)} ns (included in latency figures)\n`);
  const rows: Row[] = [];
  const groups: [Group, () => void | Promise<void>][] = [
    ['kernel', () => kernelCase(s, rows, log)],
    ['cube', () => cubeCase(s, rows, log)],
    ['vol-dynamics', () => volDynamicsCase(s, rows, log)],
    ['basis', () => basisCase(s, rows, log)],
    ['latency', () => latencyCase(s, rows, log)],
    ['es', () => esCase(s, rows, log)],
    ['es-vol', () => esVolCase(s, rows, log)],
    ['es-batch', () => esThroughputCase(s, rows, log)],
    ['batch', () => batchCase(s, rows, log)],
    ['backtest', () => backtestCase(s, rows, log)],
  ];
  for (const [name, run] of groups) {
    if (!args.only.has(name)) continue;
    log(`${name}...`);
    const g0 = performance.now();
    await run();
    log(`${name}: ${((performance.now() - g0) / 1000).toFixed(1)} s`);
  }
  await closePool();
  computeRatios(rows);
  const seconds = (performance.now() - t0) / 1000;
  console.log(formatTable(rows));
  console.log(`total ${seconds.toFixed(1)} s`);
  const result = {
    suite: 'margin-engine', mode: args.quick ? 'quick' : 'full', startedAt: started.toISOString(), seconds,
    environment: env, settings: s, timerOverheadUs: { p50: timer.p50, p99: timer.p99 }, rows,
  };
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, JSON.stringify(result, null, 2) + '\n');
  console.log(`results written to ${args.out}`);
  if (rows.some((r) => r.status === 'error')) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
