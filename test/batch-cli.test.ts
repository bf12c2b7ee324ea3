// `margin-engine run` on the batch engine, as shipped (dist/src/cli/main.js, built by `pretest`): streamed
// input and output, --threads, SIGINT, standard error only for warnings when it is not a terminal,
// unwritable output and unreadable input reported before any work.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageFile } from '../src/paths.js';
import { generateBook } from '../src/demo/book.js';
import type { MarketInput } from '../src/market/types.js';
import { CLI } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'margin-batch-cli-'));
const marketJson = JSON.parse(readFileSync(packageFile('examples', 'market.json'), 'utf8')) as MarketInput;
marketJson.risk!.es = { ...marketJson.risk!.es!, scenarios: 2000 };
const marketPath = join(dir, 'market.json');
writeFileSync(marketPath, JSON.stringify(marketJson));
const bookText = generateBook(marketJson, { portfolios: 4000, seed: 5 });
const bookPath = join(dir, 'book.csv');
writeFileSync(bookPath, bookText);

function cli(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', cwd: dir, maxBuffer: 1 << 28 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('margin-engine run on the batch engine', () => {
  it('--threads 1 and --threads 2 write the same bytes (grid CSV, grid NDJSON, es CSV); standard error stays empty', () => {
    for (const [method, ext] of [['grid', 'csv'], ['grid', 'ndjson'], ['es', 'csv']] as const) {
      const outs = [1, 2].map((t) => {
        const out = join(dir, `out-${method}-${t}.${ext}`);
        const r = cli(['run', '--market', marketPath, '--portfolios', bookPath, '--method', method, '--threads', String(t), '--out', out]);
        expect(r.code, r.err).toBe(0);
        expect(r.err).toBe('');
        return readFileSync(out, 'utf8');
      });
      expect(outs[0].split('\n').length, `${method} ${ext}`).toBe(4000 + (ext === 'csv' ? 2 : 1));
      expect(outs[1] === outs[0], `${method} ${ext}: threads 1 and 2 differ`).toBe(true);
    }
  });

  it('reads standard input and writes standard output', () => {
    const a = cli(['run', '--market', marketPath, '--portfolios', '-', '--threads', '2'], bookText);
    const b = cli(['run', '--market', marketPath, '--portfolios', bookPath, '--threads', '1']);
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
  });

  it('an unwritable --out fails before any work (exit 2), even before the market is read', () => {
    const r = cli(['run', '--market', join(dir, 'no-such-market.json'), '--portfolios', bookPath, '--out', join(dir, 'no-such-dir', 'x.csv')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out .*no-such-dir.*x\.csv: cannot be written \(ENOENT\)/);
  });

  it('an unreadable --portfolios fails before the cube is built (exit 1)', () => {
    const r = cli(['run', '--market', marketPath, '--portfolios', join(dir, 'none.csv')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--portfolios .*none\.csv: cannot read \(ENOENT\)/);
    expect(r.out).toBe('');
  });

  it('a UTF-16 portfolio file: exit 1, the message names the file, line 1 and UTF-8', () => {
    const p = join(dir, 'utf16.csv');
    writeFileSync(p, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('portfolio,instrument,quantity\nP1,BTC-PERP,1\n', 'utf16le')]));
    const r = cli(['run', '--market', marketPath, '--portfolios', p]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${p}: line 1: not valid UTF-8 (byte 0xFF at column 1); portfolio files are UTF-8`);
  });

  it('error rows are counted on standard error (exit 0)', () => {
    const r = cli(['run', '--market', marketPath, '--portfolios', '-', '--threads', '2'], 'portfolio,instrument,quantity\nP1,BTC-PERP,1\nP2,NOPE,1\n');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[2]).toBe('P2,grid,,,error,"unknown instrument ""NOPE""",,USD');
    expect(r.err).toBe('margin-engine: 2 portfolios, 1 with errors\n');
  });

  it('SIGINT while standard input is still open: nothing is margined yet (a portfolio\'s rows may still come), the header, a message, exit 130', async () => {
    const full = cli(['run', '--market', marketPath, '--portfolios', bookPath, '--threads', '1']).out.split('\n');
    const child = spawn(process.execPath, [CLI, 'run', '--market', marketPath, '--portfolios', '-', '--threads', '2'], { cwd: dir });
    let out = '', err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    // Feed the whole book but keep standard input open: only SIGINT can end the run. Standard input
    // is read to its end (spooled) before any portfolio is margined, since unsorted input may bring
    // more rows of any portfolio at its very end: no row before it ends.
    child.stdin.write(bookText);
    await new Promise((r) => setTimeout(r, 2000));
    expect(out).toBe(`${full[0]}\n`);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    child.stdin.destroy();
    expect(code).toBe(130);
    expect(out).toBe(`${full[0]}\n`);
    expect(err).toBe(`margin-engine: interrupted (SIGINT): wrote 0 portfolios; the rest was not margined (stopped after ${Buffer.byteLength(bookText)} bytes of input)\n`);
  });

  describe('hostile input on every path of run: a file, standard input, streamed (--threads 1, 2) and in-process (--allocation)', () => {
    /** Runs `run` on `input` by every path; the (portfolio, status, error) of each row and standard error. */
    function everyPath(input: Buffer): { path: string; rows: [string, string, string | null][]; err: string }[] {
      const file = join(dir, 'hostile.csv');
      writeFileSync(file, input);
      const out: { path: string; rows: [string, string, string | null][]; err: string }[] = [];
      for (const [from, portfolios, stdin] of [['file', file, undefined], ['stdin', '-', input]] as const) {
        for (const t of ['1', '2']) {
          const r = cli(['run', '--market', marketPath, '--portfolios', portfolios, '--threads', t], stdin);
          expect(r.code, r.err).toBe(0);
          const rows = r.out.trimEnd().split('\n').slice(1).map((l) => {
            const f = l.match(/^([^,]*),grid,[^,]*,[^,]*,(ok|error),("(?:[^"]|"")*"|[^,]*)/)!;
            return [f[1], f[2], f[2] === 'ok' ? null : f[3].replace(/^"|"$/g, '').replace(/""/g, '"')] as [string, string, string | null];
          });
          out.push({ path: `${from}, --threads ${t}`, rows, err: r.err });
        }
        const nd = join(dir, 'hostile-alloc.ndjson');
        const r = cli(['run', '--market', marketPath, '--portfolios', portfolios, '--allocation', '--out', nd], stdin);
        expect(r.code, r.err).toBe(0);
        const rows = readFileSync(nd, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { portfolio: string; status: string; error: string | null })
          .map((o) => [o.portfolio, o.status, o.error] as [string, string, string | null]);
        out.push({ path: `${from}, in-process`, rows, err: r.err });
      }
      return out;
    }

    it('Latin-1 ids Müller, Möller, Mäller: three error rows on every path, never one ok row', () => {
      const input = Buffer.concat([
        Buffer.from('portfolio,instrument,quantity\nP0,BTC-PERP,1\n'),
        Buffer.from('M\xfcller,BTC-PERP,1\nM\xf6ller,BTC-PERP,2\nM\xe4ller,BTC-PERP,3\n', 'latin1'),
      ]);
      for (const r of everyPath(input)) {
        expect(r.rows, r.path).toEqual([
          ['P0', 'ok', null],
          ...[3, 4, 5].map((n, k) => [`row ${n}`, 'error', `row ${n}: not valid UTF-8 (byte 0x${['FC', 'F6', 'E4'][k]} at column 2); portfolio files are UTF-8`]),
        ]);
      }
    });

    it('no final line end: read whole, with a warning on standard error; an unclosed quote on the last portfolio keeps the one before', () => {
      const warning = 'margin-engine: warning: hostile.csv: the last line (line 3) has no line end; it was read as it is (if the file was cut short, its last row is incomplete)';
      for (const r of everyPath(Buffer.from('portfolio,instrument,quantity\nP1,BTC-PERP,1\nP2,BTC-PERP,-25'))) {
        expect(r.rows, r.path).toEqual([['P1', 'ok', null], ['P2', 'ok', null]]);
        const source = r.path.startsWith('stdin') ? 'stdin' : join(dir, 'hostile.csv');
        expect(r.err.split('\n')[0], r.path).toBe(warning.replace('hostile.csv', source));
      }
      for (const r of everyPath(Buffer.from('portfolio,instrument,quantity\nP0,BTC-PERP,1\nP1,"BTC-PERP,1'))) {
        expect(r.rows, r.path).toEqual([['P0', 'ok', null],
          ['P1', 'error', 'row 3: a quoted field opened on this row is never closed (the file ends inside it, 1 line on)']]);
      }
    });
  });
});
