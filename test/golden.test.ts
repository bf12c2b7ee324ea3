// Golden outputs (test/fixtures/golden/, written by scripts/make-golden.mjs): the command line as
// built (dist/, by `pretest`) must print them byte for byte, on every supported Node version
// (.ci/run runs this suite on Node 20, 22 and 24) and for any number of threads.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageFile } from '../src/paths.js';
import { GOLDEN_DIR, GOLDEN_FILES, GOLDEN_PORTFOLIOS, makeGolden } from '../scripts/make-golden.mjs';

const REGENERATE = 'If the change of the numbers or of the format is intended, regenerate the golden files with '
  + '`npm run golden` and commit them, saying why in the commit.';

const work = mkdtempSync(join(tmpdir(), 'margin-golden-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Where two texts first differ: the line number and both lines. */
function firstDifference(want: string, got: string): string {
  const a = want.split('\n'), b = got.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return `line ${i + 1}:\n  golden:  ${a[i] ?? '(end of file)'}\n  current: ${b[i] ?? '(end of file)'}`;
    }
  }
  return 'the same lines, different bytes';
}

describe(`golden outputs on Node ${process.version}`, () => {
  it('the golden files are committed, one row per portfolio, and small', () => {
    let total = 0;
    for (const f of GOLDEN_FILES as string[]) {
      const text = readFileSync(join(GOLDEN_DIR, f), 'utf8');
      total += Buffer.byteLength(text);
      if (f === 'grid.csv' || f === 'es.csv') expect(text.trimEnd().split('\n').length, f).toBe(GOLDEN_PORTFOLIOS + 1);
    }
    expect(total).toBeLessThan(600_000);
  });

  for (const threads of [1, 2]) {
    it(`demo book, grid, es and value with --threads ${threads} are the golden bytes`, () => {
      const dir = join(work, `threads-${threads}`);
      const written = makeGolden(dir, { threads }) as Record<string, string>;
      for (const f of GOLDEN_FILES as string[]) {
        const want = readFileSync(join(GOLDEN_DIR, f), 'utf8');
        const got = readFileSync(written[f], 'utf8');
        if (got !== want) {
          expect.fail(`${f} (Node ${process.version}, --threads ${threads}) differs from test/fixtures/golden/${f} at `
            + `${firstDifference(want, got)}\n${REGENERATE}`);
        }
      }
    });
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
