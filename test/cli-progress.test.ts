// Progress on a terminal (item 12): the CLI as shipped (dist/src/cli/main.js), its standard error on a
// pseudo-terminal (util-linux `script`), standard output to a file.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageFile } from '../src/paths.js';
import { generateBook } from '../src/demo/book.js';
import type { MarketInput } from '../src/market/types.js';
import { CLI } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'margin-cli-progress-'));
const marketJson = JSON.parse(readFileSync(packageFile('examples', 'market.json'), 'utf8')) as MarketInput;
const bookPath = join(dir, 'book.csv');
writeFileSync(bookPath, generateBook(marketJson, { portfolios: 60000, seed: 8 }));

describe('progress on a terminal (item 12)', () => {
  it('shows portfolios margined as they are margined, with the share done and the time left, then clears the line', async () => {
    const out = join(dir, 'out.csv');
    const cmd = `"${process.execPath}" "${CLI}" run --market "${packageFile('examples', 'market.json')}" --portfolios "${bookPath}" --threads 2 --out "${out}"`;
    const transcript = await new Promise<string>((resolve) => {
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
      let t = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => { t += d; });
      child.on('exit', () => resolve(t));
    });
    expect(transcript.endsWith('\r\x1b[K')).toBe(true); // the last progress line is cleared
    const lines = transcript.split('\r\x1b[K').filter((l) => l !== '');
    const progress = lines.map((l) => /^margin-engine: ([\d,]+) portfolios done, [\d.]+ (?:k |M )?positions\/s, (\d+)%(?:, ETA (\d+m)?\d+s)?$/.exec(l));
    expect(progress.every((m) => m !== null), JSON.stringify(lines)).toBe(true);
    const counts = progress.map((m) => Number(m![1].replace(/,/g, '')));
    const shares = progress.map((m) => Number(m![2]));
    expect(counts.length).toBeGreaterThanOrEqual(2);
    for (let k = 1; k < counts.length; k++) expect(counts[k]).toBeGreaterThanOrEqual(counts[k - 1]);
    // Lines while the run is under way: some portfolios margined, not all, with an ETA.
    const mid = progress.filter((m, k) => counts[k] > 0 && counts[k] < 60000);
    expect(mid.length).toBeGreaterThan(0);
    expect(mid.some((m) => m![3] !== undefined || /ETA/.test(m![0]))).toBe(true);
    expect(shares.every((s) => s >= 0 && s <= 100)).toBe(true);
    expect(readFileSync(out, 'utf8').split('\n').length).toBe(60002);
  }, 90_000);
});
