// Golden outputs (test/fixtures/golden/, written by scripts/make-golden.mjs): the command line as
// built (dist/, by `pretest`) must print them byte for byte, on every supported Node version
// (.ci/run runs this suite on Node 20, 22 and 24) and for any number of threads: every command
// (run with each method, preset and option, value, demo, calibrate, accounts, replay) with
// --threads 1, and every `run` again with --threads 2 (the other commands have no --threads).
// Only standard output and the output files are compared (standard error carries warnings and
// timings); the demo summary's timings and output folder are normalised (see normalise()), and
// the outputs on the big book (written at each run, several batch tasks) are compared by SHA-256.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { packageFile } from '../src/paths.js';
import { CASES, GOLDEN_DIR, GOLDEN_FILES, GOLDEN_PORTFOLIOS, goldenInputs, runCases } from '../scripts/make-golden.mjs';

const REGENERATE = 'If the change of the numbers or of the format is intended, regenerate the golden files with '
  + '`npm run golden` and commit them, saying why in the commit.';

/** The golden folder's size limit, in bytes (it holds about 1.29 MB). */
const MAX_GOLDEN_BYTES = 1_500_000;

interface GoldenCase { name: string; threads?: boolean; files: string[]; stdout?: string }
interface CaseResult { case: GoldenCase; args: string[]; status: number | null; stderr: string; outputs: Record<string, string> }

const golden = (f: string): string => readFileSync(join(GOLDEN_DIR, f), 'utf8');
const lines = (text: string): number => text.trimEnd().split('\n').length;

/** Where two texts first differ: the line number and both lines (each cut to 300 characters). */
function firstDifference(want: string, got: string): string {
  const a = want.split('\n'), b = got.split('\n');
  const cut = (s: string | undefined) => (s === undefined ? '(end of file)' : s.length > 300 ? `${s.slice(0, 300)}...` : s);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}:\n    golden:  ${cut(a[i])}\n    current: ${cut(b[i])}`;
  }
  return 'the same lines, different bytes';
}

/** What differs between the results and the golden files, one entry per failed case or file. */
function differences(results: CaseResult[], threads: number): string[] {
  const found: string[] = [];
  for (const r of results) {
    const c = r.case;
    const command = `margin-engine ${r.args.join(' ')}`;
    if (r.status !== 0) {
      found.push(`${c.name}: ${command} exited with ${r.status}: ${r.stderr.trim()}`);
      continue;
    }
    if (r.outputs['(standard output)'] !== undefined) {
      found.push(`${c.name}: ${command} wrote to standard output: ${r.outputs['(standard output)'].slice(0, 300)}`);
    }
    for (const f of [...c.files, ...(c.stdout ? [c.stdout] : [])]) {
      const want = golden(f);
      const got = r.outputs[f];
      if (got !== want) {
        const from = `${c.stdout === f ? ' (standard output)' : ''}${c.name === f ? '' : ` of ${c.name}`}`;
        found.push(`${f}${from} (Node ${process.version}, --threads ${threads}) `
          + `differs from test/fixtures/golden/${f} at ${firstDifference(want, got)}`);
      }
    }
  }
  return found;
}

describe(`golden outputs on Node ${process.version}`, () => {
  it('the golden files are committed, one row per portfolio, and small', () => {
    let total = 0;
    for (const f of GOLDEN_FILES as string[]) {
      expect(existsSync(join(GOLDEN_DIR, f)), f).toBe(true);
      total += Buffer.byteLength(golden(f));
    }
    expect(total).toBeLessThan(MAX_GOLDEN_BYTES);
    // No file that no command writes any more (npm run golden does not delete).
    const present = (readdirSync(GOLDEN_DIR, { recursive: true }) as string[])
      .filter((f) => statSync(join(GOLDEN_DIR, f)).isFile()).map((f) => f.split(sep).join('/'));
    expect(present.sort()).toEqual([...(GOLDEN_FILES as string[])].sort());
    expect(lines(golden('book.csv'))).toBeGreaterThan(GOLDEN_PORTFOLIOS);
    for (const f of ['grid.csv', 'es.csv']) expect(lines(golden(f)), f).toBe(GOLDEN_PORTFOLIOS + 1);
    // rand-a: 200 random portfolios and 7 special ones; rand-b: 40 and 3 (its last line amends its first).
    for (const f of ['grid.csv', 'es.csv', 'fhs.csv', 'stress-grid.csv', 'preset-tims-index.csv']) {
      expect(lines(golden(`rand-a/${f}`)), f).toBe(207 + 1);
    }
    for (const f of ['grid.csv', 'grid.ndjson', 'allocation-stress-fhs.ndjson']) expect(lines(golden(`rand-b/${f}`)), f).toBe(43 + f.endsWith('.csv'));
    // The special portfolios come out as they should (and so the books exercise those paths).
    const a = golden('rand-a/grid.csv');
    expect(a).toContain('A-UNKNOWN,grid,,,error,"unknown instrument ""BTC-27DEC26-X""",,USD\n');
    expect(a).toMatch(/\nA-BADQTY,grid,,,error,"row \d+: quantity ""abc"" is not a finite number",,USD\n/);
    expect(a).toContain('\n"\'-SHORT",grid,');
    expect(golden('rand-a/grid-raw.csv')).toContain('\n-SHORT,grid,');
    expect(golden('rand-b/grid.csv')).toContain('\nB-EMPTY,grid,0,0,ok,,,USD\n');
    expect(golden('rand-b/allocation-grid.ndjson')).toContain('"allocation":');
    expect(golden('rand-a/stress-es.csv').split('\n')[0]).toBe('portfolio,method,initial_margin,maintenance_margin,status,error,var,es,stress_loss,stress_scenario,currency');
  });

  it('the seeded inputs are the ones scripts/make-golden.mjs writes', () => {
    for (const [f, text] of Object.entries(goldenInputs() as Record<string, string>)) {
      if (golden(`inputs/${f}`) !== text) expect.fail(`test/fixtures/golden/inputs/${f} is not what the script writes. ${REGENERATE}`);
    }
  });

  for (const threads of [1, 2]) {
    const cases = (CASES as GoldenCase[]).filter((c) => threads === 1 || c.threads);
    it(`${threads === 1 ? 'every command' : 'every run'} with --threads ${threads} prints the golden bytes (${cases.length} commands)`, async () => {
      const results = await runCases(cases, { inputDir: GOLDEN_DIR, threads, concurrency: 2 }) as CaseResult[];
      expect(results.length).toBe(cases.length);
      const found = differences(results, threads);
      if (found.length > 0) expect.fail(`${found.length} differences:\n- ${found.slice(0, 10).join('\n- ')}\n${REGENERATE}`);
    }, 240_000);
  }
});

describe('supported Node versions', () => {
  it('package.json engines, the README and .ci/run name the same ones: 20, 22 and 24', () => {
    const engines = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')).engines.node as string;
    expect(engines.split('||').map((r) => Number(/^\s*\^(\d+)\.0\.0\s*$/.exec(r)?.[1]))).toEqual([20, 22, 24]);
    expect(readFileSync(packageFile('README.md'), 'utf8')).toContain('Node 20, 22 or 24');
    // CI runs the suite on the machine's Node (20), then on each of OTHER_NODE_VERSIONS.
    const ci = readFileSync(packageFile('.ci', 'run'), 'utf8');
    expect(/^OTHER_NODE_VERSIONS=\(([^)]*)\)$/m.exec(ci)?.[1].trim().split(/\s+/).map(Number)).toEqual([22, 24]);
  });
});
