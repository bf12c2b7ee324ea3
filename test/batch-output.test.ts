// The batch engine's output and progress contract (runs against dist/: workers load
// dist/src/batch/worker.js): a failing output rejects run(), threads are bounded, progress counts
// work done from the start of the run.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { resolveMarket } from '../src/market/load.js';
import { generateBook } from '../src/demo/book.js';
import { packageFile } from '../src/paths.js';
import { createBatchEngine } from '../src/batch/engine.js';
import type { BatchProgress } from '../src/batch/options.js';
import { estimateProgress } from '../src/io/progress.js';
import type { MarketInput } from '../src/market/types.js';

const marketJson = JSON.parse(readFileSync(packageFile('examples', 'market.json'), 'utf8')) as MarketInput;
const market = resolveMarket(marketJson, 'examples/market.json');
const bookText = generateBook(marketJson, { portfolios: 3000, seed: 9 });

/** A Writable that accepts `limit` bytes, then fails every write with `code` (a full disk: ENOSPC). */
function failingAfter(limit: number, code = 'ENOSPC'): Writable & { accepted: number } {
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (w.accepted + chunk.length > limit) cb(Object.assign(new Error(`${code}: no space left on device, write`), { code }));
      else { w.accepted += chunk.length; cb(); }
    },
  }) as Writable & { accepted: number };
  w.accepted = 0;
  return w;
}

describe('batch engine output failures (item 14)', () => {
  for (const threads of [1, 2]) {
    it(`threads ${threads}: an output that fails (disk full) rejects run() with its error, never a summary`, async () => {
      const engine = await createBatchEngine({ market, threads, taskWork: 1 << 14 });
      try {
        const out = failingAfter(10_000);
        await expect(engine.run(Readable.from([Buffer.from(bookText)], { objectMode: false }), out))
          .rejects.toMatchObject({ code: 'ENOSPC' });
        expect(out.accepted).toBeLessThanOrEqual(10_000);
        // A failure at the very last write (all rows handed over) rejects too.
        const all = new Writable({ write(_c, _e, cb) { cb(); } });
        let bytes = 0;
        all._write = (c: Buffer, _e, cb) => { bytes += c.length; cb(); };
        await engine.run(Readable.from([Buffer.from(bookText)], { objectMode: false }), all);
        await expect(engine.run(Readable.from([Buffer.from(bookText)], { objectMode: false }), failingAfter(bytes - 1)))
          .rejects.toMatchObject({ code: 'ENOSPC' });
      } finally {
        await engine.close();
      }
    });
  }

  it('an output destroyed during the run (a closed pipe) rejects run()', async () => {
    const engine = await createBatchEngine({ market, threads: 1, taskWork: 1 << 12 });
    try {
      let n = 0;
      const out = new Writable({
        highWaterMark: 16,
        write(_chunk, _enc, cb) {
          if (++n === 3) { cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })); return; }
          setImmediate(cb);
        },
      });
      await expect(engine.run(Readable.from([Buffer.from(bookText)], { objectMode: false }), out)).rejects.toMatchObject({ code: 'EPIPE' });
    } finally {
      await engine.close();
    }
  });
});

describe('batch engine threads are bounded (item 18)', () => {
  it('createBatchEngine({ threads }) above 4 x the cores is a RangeError with a message', async () => {
    const max = 4 * availableParallelism();
    await expect(createBatchEngine({ market, threads: max + 1 })).rejects.toThrow(RangeError);
    await expect(createBatchEngine({ market, threads: max + 1 })).rejects.toThrow(
      `threads: at most ${max} (4 per core on this machine's ${availableParallelism()}), got ${max + 1}`);
    await expect(createBatchEngine({ market, threads: 1e9 })).rejects.toThrow(/at most/);
  });
});

describe('progress counts work done (item 12)', () => {
  it('estimateProgress: the share done is portfolios margined over the portfolios the input holds, ETA from the rate of work', () => {
    // 1,000 of 4,000 bytes read (100 portfolios, so about 400 in the file); 50 margined in 2 s.
    const e = estimateProgress({ margined: 50, read: 100, bytes: 1000, totalBytes: 4000, elapsedMs: 2000 });
    expect(e.fraction).toBeCloseTo(50 / 400, 15);
    expect(e.etaMs).toBeCloseTo(2000 * (1 - 0.125) / 0.125, 9); // 14 s
    // Reading far ahead of the work does not shorten the ETA: all bytes read, 10 % margined.
    const ahead = estimateProgress({ margined: 40, read: 400, bytes: 4000, totalBytes: 4000, elapsedMs: 1000 });
    expect(ahead.fraction).toBeCloseTo(0.1, 15);
    expect(ahead.etaMs).toBeCloseTo(9000, 9);
    expect(estimateProgress({ margined: 0, read: 10, bytes: 100, totalBytes: 4000, elapsedMs: 500 })).toEqual({ fraction: 0 });
    expect(estimateProgress({ margined: 5, read: 10, bytes: 100, elapsedMs: 500 })).toEqual({});
    expect(estimateProgress({ margined: 400, read: 400, bytes: 4000, totalBytes: 4000, elapsedMs: 800 })).toEqual({ fraction: 1, etaMs: 0 });
  });

  it('the first progress report comes within a second, while a stream is still open (nothing margined before it ends), counting portfolios margined', async () => {
    const engine = await createBatchEngine({ market, threads: 1, taskWork: 1 << 14 });
    try {
      // The whole book at once, then the input stays open for 1.5 s: it is read (spooled) meanwhile;
      // no portfolio is margined before it ends, since any portfolio's rows may still come.
      const input = new Readable({ read() {} });
      input.push(Buffer.from(bookText));
      const timer = setTimeout(() => input.push(null), 1500);
      const seen: BatchProgress[] = [];
      const out = new Writable({ write(_c, _e, cb) { cb(); } });
      const summary = await engine.run(input, out, { onProgress: (p) => seen.push(p), progressMs: 100, totalBytes: bookText.length });
      clearTimeout(timer);
      expect(seen.length).toBeGreaterThan(3);
      expect(seen[0].elapsedMs).toBeLessThan(1000);
      const early = seen.filter((p) => p.elapsedMs < 1000);
      expect(early.length).toBeGreaterThan(0);
      const open = early[early.length - 1];
      expect([open.margined, open.portfolios, open.read, open.bytes, open.fraction]).toEqual([0, 0, 0, bookText.length, undefined]);
      const last = seen[seen.length - 1];
      expect([last.portfolios, last.margined, last.fraction]).toEqual([summary.portfolios, summary.portfolios, 1]);
      expect(summary.portfolios).toBe(3000);
    } finally {
      await engine.close();
    }
  });

  it('a file: progress counts portfolios margined while the run goes on, rising, before the last row', async () => {
    const engine = await createBatchEngine({ market, threads: 1, taskWork: 1 << 12 });
    try {
      const path = join(mkdtempSync(join(tmpdir(), 'margin-progress-')), 'book.csv');
      writeFileSync(path, bookText);
      const seen: BatchProgress[] = [];
      const out = new Writable({ write(_c, _e, cb) { cb(); } });
      const summary = await engine.run({ path }, out, { onProgress: (p) => seen.push(p), progressMs: 0, totalBytes: bookText.length });
      const during = seen.filter((p) => p.margined > 0 && p.margined < 3000);
      expect(during.length).toBeGreaterThan(3);
      for (let k = 1; k < seen.length; k++) expect(seen[k].margined).toBeGreaterThanOrEqual(seen[k - 1].margined);
      for (const p of during) {
        expect(p.margined).toBeGreaterThanOrEqual(p.portfolios);
        expect(p.read).toBeGreaterThanOrEqual(p.margined);
        expect(p.fraction).toBeGreaterThan(0);
        expect(p.fraction).toBeLessThan(1);
      }
      expect(summary.portfolios).toBe(3000);
    } finally {
      await engine.close();
    }
  });
});
