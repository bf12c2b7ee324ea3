// Unsorted portfolio files (issue 9 item 11): a portfolio's rows may be anywhere in the file. Every
// path (parsePortfolios on a text or bytes, the batch engine on a stream, a path or an fs.ReadStream
// with 1 or 2 threads, CSV and NDJSON, the command line on a file and on standard input) gives one
// row per portfolio id, in order of first appearance, each equal to the sorted book's row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { resolveMarket } from '../src/market/load.js';
import { parsePortfolios } from '../src/portfolio/read.js';
import { ContiguityScan } from '../src/portfolio/stream.js';
import { CsvPortfolioReader } from '../src/portfolio/csv.js';
import { NdjsonPortfolioReader } from '../src/portfolio/ndjson.js';
import { createGridModel } from '../src/models/grid.js';
import { formatResults } from '../src/io/output.js';
import { generateBook } from '../src/demo/book.js';
import { packageFile } from '../src/paths.js';
import { createBatchEngine, type BatchEngine } from '../src/batch/engine.js';
import type { BatchInput, BatchRunOptions, BatchSummary } from '../src/batch/options.js';
import type { MarketInput, ResolvedMarket } from '../src/market/types.js';
import { Rng } from './helpers/random.js';
import { CLI } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'margin-unsorted-'));
const marketPath = packageFile('examples', 'market.json');
const marketJson = JSON.parse(readFileSync(marketPath, 'utf8')) as MarketInput;
const market: ResolvedMarket = resolveMarket(marketJson, 'examples/market.json');

const H = 'portfolio,instrument,quantity';
const sortedText = generateBook(marketJson, { portfolios: 1500, seed: 11 });
const sortedRows = sortedText.trimEnd().split('\n').slice(1);

/**
 * The rows of the sorted book in a seeded random order that keeps each portfolio's rows in their
 * order (a random interleaving: the results are then the same bits as the sorted book's, netting
 * and sums in the same order), or (`full`) in any order.
 */
function shuffled(seed: number, full = false): string[] {
  const rng = new Rng(seed);
  const order = sortedRows.map((_, k) => k);
  for (let k = order.length - 1; k > 0; k--) {
    const j = rng.int(0, k);
    [order[k], order[j]] = [order[j], order[k]];
  }
  const rows = order.map((k) => sortedRows[k]);
  if (full) return rows;
  // Give each portfolio's places, in file order, its rows in their sorted order.
  const byId = new Map<string, string[]>();
  for (const r of sortedRows) {
    const id = r.slice(0, r.indexOf(','));
    (byId.get(id) ?? byId.set(id, []).get(id)!).push(r);
  }
  const next = new Map<string, number>();
  return rows.map((r) => {
    const id = r.slice(0, r.indexOf(','));
    const k = next.get(id) ?? 0;
    next.set(id, k + 1);
    return byId.get(id)![k];
  });
}

const unsortedRows = shuffled(3);
const unsortedText = [H, ...unsortedRows].join('\n') + '\n';
/** Ids in order of first appearance in the unsorted file. */
const firstSeen = [...new Set(unsortedRows.map((r) => r.slice(0, r.indexOf(','))))];

/** NDJSON: one line per row (so a portfolio is on many lines), in the unsorted order. */
function ndjsonOf(rows: string[]): string {
  return rows.map((r) => {
    const [portfolio, instrument, quantity] = r.split(',');
    return JSON.stringify({ portfolio, positions: [{ instrument, quantity: Number(quantity) }] }) + '\n';
  }).join('');
}

function chunked(bytes: Buffer, size = 1 << 12): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
  return Readable.from(parts, { objectMode: false });
}

async function runText(e: BatchEngine, input: BatchInput, opts: BatchRunOptions = {}): Promise<{ text: string; summary: BatchSummary }> {
  const chunks: Buffer[] = [];
  const out = new Writable({ write(c, _e, cb) { chunks.push(Buffer.from(c)); cb(); } });
  const summary = await e.run(input, out, opts);
  return { text: Buffer.concat(chunks).toString('utf8'), summary };
}

/** The sorted book's rows by portfolio id (in-process), and its header. */
function rowsById(text: string): { header: string; rows: Map<string, string> } {
  const lines = text.trimEnd().split('\n');
  const rows = new Map<string, string>();
  for (const l of lines.slice(1)) rows.set(l.slice(0, l.indexOf(',')), l);
  return { header: lines[0], rows };
}

const model = createGridModel(market);
const sortedOut = formatResults(model.marginAll(parsePortfolios(sortedText, 'book.csv')), 'grid', 'csv');
const sortedById = rowsById(sortedOut);
/** What every path must write for the unsorted book: the sorted book's rows, in order of first appearance. */
const expected = [sortedById.header, ...firstSeen.map((id) => sortedById.rows.get(id)!)].join('\n') + '\n';

describe('unsorted portfolio files: in-process (parsePortfolios)', () => {
  it('the book really is unsorted, and every portfolio keeps all its rows', () => {
    let changes = 0;
    for (let k = 1; k < unsortedRows.length; k++) if (unsortedRows[k].split(',')[0] !== unsortedRows[k - 1].split(',')[0]) changes++;
    expect(changes).toBeGreaterThan(sortedRows.length / 2);
    expect(firstSeen.length).toBe(1500);
    const parsed = parsePortfolios(unsortedText, 'book.csv');
    expect(parsed.length).toBe(1500);
    expect(parsed.reduce((a, p) => a + p.positions!.length, 0)).toBe(sortedRows.length);
  });

  it('CSV text and bytes, NDJSON text and bytes: the sorted book\'s rows, in order of first appearance', () => {
    for (const [source, text] of [['book.csv', unsortedText], ['book.ndjson', ndjsonOf(unsortedRows)]] as const) {
      for (const input of [text, Buffer.from(text)]) {
        const got = formatResults(model.marginAll(parsePortfolios(input, source)), 'grid', 'csv');
        expect(got === expected, `${source} ${typeof input}`).toBe(true);
      }
    }
  });

  it('rows in any order (within a portfolio too): the same margins to 1e-12 relative (only the order of the sums differs)', () => {
    const rows = shuffled(5, true);
    const got = model.marginAll(parsePortfolios([H, ...rows].join('\n') + '\n', 'book.csv'));
    const ref = new Map(model.marginAll(parsePortfolios(sortedText, 'book.csv')).map((r) => [r.portfolio, r]));
    expect(got.length).toBe(1500);
    for (const r of got) {
      const s = ref.get(r.portfolio)!;
      expect(r.ok && s.ok).toBe(true);
      if (!r.ok || !s.ok) continue;
      expect(Math.abs(r.initialMargin - s.initialMargin)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(s.initialMargin)));
      expect(Math.abs(r.maintenanceMargin - s.maintenanceMargin)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(s.maintenanceMargin)));
    }
  });
});

describe('unsorted portfolio files: the batch engine', () => {
  const engines: BatchEngine[] = [];
  const engine = async (threads: number) => {
    const e = await createBatchEngine({ market, threads, taskWork: 1 << 14 });
    engines.push(e);
    return e;
  };
  let e1: BatchEngine, e2: BatchEngine;
  const csvPath = join(dir, 'unsorted.csv');
  const ndjsonPath = join(dir, 'unsorted.ndjson');
  beforeAll(async () => {
    e1 = await engine(1);
    e2 = await engine(2);
    writeFileSync(csvPath, unsortedText);
    writeFileSync(ndjsonPath, ndjsonOf(unsortedRows));
  });
  afterAll(async () => { await Promise.all(engines.map((e) => e.close())); });

  it('a stream, a path, an fs.ReadStream; CSV and NDJSON; 1 and 2 threads: the same bytes as in-process, the sorted book\'s rows', async () => {
    const spool = mkdtempSync(join(dir, 'spool-'));
    for (const e of [e1, e2]) {
      for (const [source, path] of [['book.csv', csvPath], ['book.ndjson', ndjsonPath]] as const) {
        const bytes = readFileSync(path);
        const inputs: [string, () => BatchInput][] = [
          ['stream', () => chunked(bytes)], ['path', () => ({ path })], ['ReadStream', () => createReadStream(path)],
        ];
        for (const [how, input] of inputs) {
          const r = await runText(e, input(), { source, spoolDir: spool });
          const context = `${e.threads} threads, ${source}, ${how}`;
          expect(r.text === expected, context).toBe(true);
          expect(r.summary.unsorted, context).toBe(true);
          expect(r.summary.portfolios, context).toBe(1500);
          expect(r.summary.positions, context).toBe(sortedRows.length);
        }
      }
    }
    expect(readdirSync(spool)).toEqual([]); // the spooled copies are removed
  });

  it('the sorted book is streamed (contiguous): the same rows as in-process', async () => {
    for (const e of [e1, e2]) {
      const r = await runText(e, chunked(Buffer.from(sortedText)), { source: 'book.csv' });
      expect(r.summary.unsorted).toBe(false);
      expect(r.text === sortedOut).toBe(true);
    }
  });

  it('bad rows and unknown instruments in later blocks: the same error rows as in-process, on every path', async () => {
    const rows = [...unsortedRows];
    const idA = firstSeen[3], idB = firstSeen[10], idC = firstSeen[20];
    rows.push(`${idA},BTC-PERP,x`, `${idB},NOPE,1`, ',ETH-PERP,1', `${idC},NOPE,1`, `${idC},BTC-PERP,1e400`);
    const text = [H, ...rows].join('\n') + '\n';
    const inProcess = formatResults(model.marginAll(parsePortfolios(text, 'book.csv')), 'grid', 'csv');
    const lines = inProcess.trimEnd().split('\n');
    const row = (id: string) => lines.find((l) => l.startsWith(`${id},`))!;
    expect(row(idA)).toBe(`${idA},grid,,,error,"row ${rows.length - 3}: quantity ""x"" is not a finite number",`);
    expect(row(idB)).toBe(`${idB},grid,,,error,"unknown instrument ""NOPE""",`);
    expect(row(idC)).toBe(`${idC},grid,,,error,"row ${rows.length + 1}: quantity ""1e400"" is not a finite number",`);
    expect(lines.length).toBe(1 + 1500 + 1);
    for (const e of [e1, e2]) {
      const r = await runText(e, chunked(Buffer.from(text)), { source: 'book.csv' });
      expect(r.text === inProcess, `${e.threads} threads`).toBe(true);
      expect(r.summary.errors).toBe(4);
    }
  });

  it('an abort while unsorted input is margined writes a prefix of the rows, in order; the spooled copy is removed', async () => {
    const spool = mkdtempSync(join(dir, 'spool-abort-'));
    const ac = new AbortController();
    const r = await runText(e2, chunked(readFileSync(csvPath)), {
      source: 'book.csv', spoolDir: spool, signal: ac.signal, progressMs: 1,
      onProgress: (p) => { if (p.margined > 0) ac.abort(); },
    });
    expect(r.summary.stoppedAt).toBeDefined();
    const n = r.summary.stoppedAt!.portfolios;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(1500);
    expect(r.text).toBe(expected.split('\n').slice(0, n + 1).join('\n') + '\n');
    expect(readdirSync(spool)).toEqual([]);
  });

  it('a stream that fails with a file-level error: rejected, the spooled copy is removed', async () => {
    const spool = mkdtempSync(join(dir, 'spool-error-'));
    const utf16 = Buffer.from(`\ufeff${H}\nP1,BTC-PERP,1\n`, 'utf16le');
    await expect(runText(e1, chunked(utf16), { source: 'book.csv', spoolDir: spool })).rejects.toThrow(/line 1/);
    expect(readdirSync(spool)).toEqual([]);
  });
});

describe('the first pass (ContiguityScan) never says contiguous when the reader would group', () => {
  /** Whether the reader amends (groups) on these bytes. */
  function readerGroups(bytes: Buffer, ndjson: boolean): boolean {
    const r = ndjson ? new NdjsonPortfolioReader() : new CsvPortfolioReader();
    let amends = false;
    const text = bytes.toString('utf8');
    try {
      for (const line of text.split(/\r\n|\n|\r/)) for (const e of r.push(line)) amends ||= e.amends;
      for (const e of r.end()) amends ||= e.amends;
    } catch { /* a file-level error */ }
    return amends;
  }
  function scan(bytes: Buffer, ndjson: boolean, chunk: number): boolean {
    const s = new ContiguityScan(ndjson);
    for (let at = 0; at < bytes.length; at += chunk) s.push(bytes.subarray(at, at + chunk));
    return s.end();
  }

  it('2,000 random small files (ids, quotes, CR, blank and bad lines), CSV and NDJSON, any chunking', () => {
    const rng = new Rng(17);
    const ids = ['P1', 'P2', 'P3', '', ' ', 'P"1', 'pörtfolio', 'portfolio'];
    let grouped = 0, contiguous = 0;
    for (let k = 0; k < 2000; k++) {
      const ndjson = k % 2 === 1;
      const lines: string[] = ndjson ? [] : [H];
      const n = rng.int(1, 12);
      for (let i = 0; i < n; i++) {
        const id = rng.pick(ids);
        const kind = rng.int(0, 9);
        if (ndjson) {
          if (kind === 0) lines.push('');
          else if (kind === 1) lines.push(`{"portfolio":${JSON.stringify(id)},"positions":[{"instrument":"portfolio","quantity":1}]}`);
          else if (kind === 2) lines.push('{"portfolio": 3}');
          else lines.push(JSON.stringify({ portfolio: id, positions: [{ instrument: 'A', quantity: 1 }] }));
        } else if (kind === 0) lines.push('');
        else if (kind === 1) lines.push('   ');
        else if (kind === 2) lines.push(`"${id.replace(/"/g, '""')}",A,1`);
        else if (kind === 3) lines.push(id);
        else lines.push(`${id},A,${rng.int(-3, 3)}`);
      }
      const sep = rng.pick(['\n', '\r\n', '\r']);
      const bytes = Buffer.from(lines.join(sep) + (rng.int(0, 1) ? sep : ''));
      const groups = readerGroups(bytes, ndjson);
      for (const chunk of [1, 3, 1 << 16]) {
        const verdict = scan(bytes, ndjson, chunk);
        if (groups) expect(verdict, `${JSON.stringify(bytes.toString())} chunks of ${chunk}`).toBe(false);
      }
      if (groups) grouped++;
      else if (scan(bytes, ndjson, 7)) contiguous++;
    }
    expect(grouped).toBeGreaterThan(200);
    expect(contiguous).toBeGreaterThan(200);
  });

  it('the seeded book sorted is contiguous, unsorted is not; a row that comes back is found in any chunking', () => {
    for (const chunk of [5, 4096, 1 << 20]) {
      expect(scan(Buffer.from(sortedText), false, chunk)).toBe(true);
      expect(scan(Buffer.from(unsortedText), false, chunk)).toBe(false);
      expect(scan(Buffer.from(sortedText + `${sortedRows[0]}\n`), false, chunk)).toBe(false);
    }
  });
});

describe('unsorted portfolio files: the command line', () => {
  const csvPath = join(dir, 'cli-unsorted.csv');
  const sortedPath = join(dir, 'cli-sorted.csv');
  beforeAll(() => {
    writeFileSync(csvPath, unsortedText);
    writeFileSync(sortedPath, sortedText);
  });
  function cli(args: string[], input?: string) {
    const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, TMPDIR: dir } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }

  it('a file and standard input, --threads 1 and 2, and the in-process path (--stress): the sorted book\'s rows, in order of first appearance', () => {
    const sorted = cli(['run', '--market', marketPath, '--portfolios', sortedPath, '--threads', '1']);
    expect(sorted.code, sorted.err).toBe(0);
    const byId = rowsById(sorted.out);
    const want = [byId.header, ...firstSeen.map((id) => byId.rows.get(id)!)].join('\n') + '\n';
    const before = readdirSync(dir).length;
    for (const [portfolios, input] of [[csvPath, undefined], ['-', unsortedText]] as const) {
      for (const threads of ['1', '2']) {
        const r = cli(['run', '--market', marketPath, '--portfolios', portfolios, '--threads', threads], input);
        expect(r.code, r.err).toBe(0);
        expect(r.err).toBe('');
        expect(r.out === want, `${portfolios} --threads ${threads}`).toBe(true);
      }
    }
    expect(readdirSync(dir).length).toBe(before); // no spooled copy of standard input left behind
    // The in-process path (stress scenarios run in-process) groups the same way.
    const stress = packageFile('examples', 'stress.json');
    const a = cli(['run', '--market', marketPath, '--portfolios', sortedPath, '--stress', stress]);
    const b = cli(['run', '--market', marketPath, '--portfolios', '-', '--stress', stress], unsortedText);
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    const s = rowsById(a.out);
    expect(b.out).toBe([s.header, ...firstSeen.map((id) => s.rows.get(id)!)].join('\n') + '\n');
  });
});
