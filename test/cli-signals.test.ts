// Signals on the command line as shipped (dist/src/cli/main.js, built by `pretest`): SIGINT, SIGTERM and
// SIGHUP stop a run cleanly on the streamed path and on the in-process one (stress, fhs,
// allocation): the rows computed are written (FILE.partial for --out FILE, which is left as it
// was), standard error says where it stopped, exit 128 + the signal's number.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageFile } from '../src/paths.js';
import { generateBook } from '../src/demo/book.js';
import type { MarketInput } from '../src/market/types.js';
import { CLI } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'margin-cli-signals-'));
const marketJson = JSON.parse(readFileSync(packageFile('examples', 'market.json'), 'utf8')) as MarketInput;
const marketPath = join(dir, 'market.json');
writeFileSync(marketPath, JSON.stringify(marketJson));
const stressPath = join(dir, 'stress.json');
writeFileSync(stressPath, readFileSync(packageFile('examples', 'stress.json')));
const bookText = generateBook(marketJson, { portfolios: 4000, seed: 5 });
const bookPath = join(dir, 'book.csv');
writeFileSync(bookPath, bookText);
const bigText = generateBook(marketJson, { portfolios: 60000, seed: 6 });
const bigPath = join(dir, 'big.csv');
writeFileSync(bigPath, bigText);

interface Run { code: number | null; out: string; err: string }

/**
 * Spawns the CLI, feeds `input` to standard input (left open when `keepOpen`), waits until standard
 * error matches `ready` (when given) and then `delayMs`, sends `signal`, and waits for the exit.
 */
function signalled(args: string[], o: { input?: string; keepOpen?: boolean; ready?: RegExp; delayMs: number; signal: NodeJS.Signals; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: o.env });
    let out = '', err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    let armed = false;
    const arm = () => {
      if (armed) return;
      armed = true;
      setTimeout(() => child.kill(o.signal), o.delayMs);
    };
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; if (o.ready && o.ready.test(err)) arm(); });
    if (o.input !== undefined) {
      child.stdin.write(o.input);
      if (!o.keepOpen) child.stdin.end();
    }
    if (!o.ready) arm();
    child.on('exit', (code) => { child.stdin.destroy(); resolve({ code, out, err }); });
  });
}

function full(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, maxBuffer: 1 << 28 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** The rows of `text` are a prefix (whole lines) of `reference`, with the header and at least one row; returns the rows. */
function prefixOf(text: string, reference: string): number {
  expect(text.endsWith('\n')).toBe(true);
  const rows = text.split('\n');
  const ref = reference.split('\n');
  const n = rows.length - 2; // the header and the empty tail
  expect(n).toBeGreaterThan(0);
  expect(n).toBeLessThan(ref.length - 2);
  expect(rows.slice(0, n + 1)).toEqual(ref.slice(0, n + 1));
  return n;
}

describe('signals stop a run cleanly (item 17)', () => {
  // Standard input is read to its end (spooled) before any portfolio is margined: the rows of an
  // unsorted file may come back at its very end. A signal while it is still open stops the run with
  // no rows; the rows so far of a run stopped while it margins are tested on the engine (batch.test,
  // unsorted.test) and, with stress scenarios, below.
  for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`streamed run, ${signal}, standard input still open: the header only, a message, exit ${code}`, async () => {
      const reference = full(['run', '--market', marketPath, '--portfolios', bookPath, '--threads', '1']);
      // The whole book is fed but standard input stays open: only the signal can end the run.
      const r = await signalled(['run', '--market', marketPath, '--portfolios', '-', '--threads', '2'],
        { input: bookText, keepOpen: true, delayMs: 2000, signal });
      expect(r.code, r.err).toBe(code);
      expect(r.out).toBe(reference.slice(0, reference.indexOf('\n') + 1));
      expect(r.err).toMatch(new RegExp(`^margin-engine: interrupted \\(${signal}\\): wrote 0 portfolios; the rest was not margined`));
    }, 60_000);
  }

  it('streamed run with --out FILE, SIGTERM: FILE.partial (the header), FILE is left as it was, no temporary or spooled file', async () => {
    const reference = full(['run', '--market', marketPath, '--portfolios', bookPath, '--threads', '1']);
    const out = join(dir, 'streamed.csv');
    writeFileSync(out, 'precious\n');
    const spool = mkdtempSync(join(dir, 'spool-'));
    const r = await signalled(['run', '--market', marketPath, '--portfolios', '-', '--threads', '2', '--out', out],
      { input: bookText, keepOpen: true, delayMs: 2000, signal: 'SIGTERM', env: { ...process.env, TMPDIR: spool } });
    expect(r.code, r.err).toBe(143);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    expect(readFileSync(`${out}.partial`, 'utf8')).toBe(reference.slice(0, reference.indexOf('\n') + 1));
    expect(r.err).toContain('wrote 0 portfolios');
    expect(r.err).toContain(`the rows written are in ${out}.partial`);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(spool)).toEqual([]); // the spooled copy of standard input is removed
  }, 60_000);

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`pooled run with stress scenarios, ${signal}: the rows margined so far go to FILE.partial, a message, exit ${code}`, async () => {
      // Every method runs on the engine (issue 10): a run with stress scenarios stops as a grid run
      // does. The book is a file (not spooled), 60,000 portfolios.
      const args = ['run', '--market', marketPath, '--portfolios', bigPath, '--stress', stressPath, '--threads', '2'];
      // The reference is the whole run, timed: the signal is sent 70 % of the way through the same
      // run (its start, the first pass over the file and the cubes come first; rows come after).
      const t0 = Date.now();
      const reference = full(args);
      const delayMs = Math.max(200, Math.round(0.7 * (Date.now() - t0)));
      expect(reference).toBe(full(['run', '--market', marketPath, '--portfolios', bigPath, '--stress', stressPath, '--threads', '1']));
      const out = join(dir, `stress-${signal}.csv`);
      const r = await signalled([...args, '--out', out], { delayMs, signal });
      expect(r.code, r.err).toBe(code);
      expect(existsSync(out)).toBe(false);
      const n = prefixOf(readFileSync(`${out}.partial`, 'utf8'), reference);
      expect(r.err).toMatch(new RegExp(`margin-engine: interrupted \\(${signal}\\): wrote ${n} portfolios \\(the last "P\\d+"\\); "P\\d+" and the portfolios after it were not margined \\(stopped after \\d+ bytes of input\\); the rows written are in .*stress-${signal}\\.csv\\.partial\\n$`));
    }, 90_000);
  }
});

describe('signals stop accounts and replay too (item 17)', () => {
  const accounts = JSON.parse(readFileSync(packageFile('examples', 'accounts.json'), 'utf8'));
  delete accounts.$schema;
  const one = accounts.accounts as { account: string }[];
  accounts.accounts = [];
  for (let i = 0; i < 12500; i++) for (const a of one) accounts.accounts.push({ ...a, account: `${a.account}-${i}` });
  const accountsPath = join(dir, 'accounts.json');
  writeFileSync(accountsPath, JSON.stringify(accounts));
  const exampleMarket = packageFile('examples', 'market.json');

  it('accounts, SIGINT: the accounts margined so far go to FILE.partial (a prefix of the full report), a message, exit 130', async () => {
    const reference = full(['accounts', '--market', exampleMarket, '--accounts', accountsPath]);
    const out = join(dir, 'accounts-out.csv');
    const r = await signalled(['accounts', '--market', exampleMarket, '--accounts', accountsPath, '--out', out], { delayMs: 1200, signal: 'SIGINT' });
    expect(r.code, r.err).toBe(130);
    expect(existsSync(out)).toBe(false);
    const n = prefixOf(readFileSync(`${out}.partial`, 'utf8'), reference);
    expect(r.err).toBe(`margin-engine: interrupted (SIGINT): margined ${n} of 100000 accounts; the rest were not margined; the rows written are in ${out}.partial\n`);
  }, 90_000);

  it('replay, SIGTERM: the lines written so far go to FILE.partial (a prefix of the full replay), a message, exit 143', async () => {
    const lines = readFileSync(packageFile('examples', 'events.ndjson'), 'utf8').trimEnd().split('\n');
    const events = join(dir, 'events.ndjson');
    writeFileSync(events, Array.from({ length: 5000 }, () => lines.join('\n')).join('\n') + '\n');
    const args = ['replay', '--market', exampleMarket, '--accounts', packageFile('examples', 'accounts.json'), '--events', events];
    const reference = full(args);
    const out = join(dir, 'replay-out.ndjson');
    const r = await signalled([...args, '--out', out], { delayMs: 1200, signal: 'SIGTERM' });
    expect(r.code, r.err).toBe(143);
    expect(existsSync(out)).toBe(false);
    const partial = readFileSync(`${out}.partial`, 'utf8');
    expect(partial.length).toBeGreaterThan(0);
    expect(reference.startsWith(partial)).toBe(true);
    expect(partial.length).toBeLessThan(reference.length);
    const m = /^margin-engine: interrupted \(SIGTERM\): replayed lines 1 to (\d+) of .*; line (\d+) and the lines after it were not applied; the rows written are in .*replay-out\.ndjson\.partial\n$/.exec(r.err);
    expect(m, r.err).not.toBeNull();
    // Every line written is for an event of the lines replayed.
    const last = JSON.parse(partial.trimEnd().split('\n').pop()!);
    expect(last.event).toBeLessThanOrEqual(Number(m![1]));
  }, 90_000);
});
