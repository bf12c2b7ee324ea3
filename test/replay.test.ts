// The `replay` and `accounts` commands as shipped (dist/src/cli/main.js, built by `pretest`), on the
// bundled examples: output lines, exit codes, and agreement with the library (the same replay
// through MarginBook, and the book after the events equal to a from-scratch run).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageFile } from '../src/paths.js';
import { parseAccountMarket, resolveAccountMarket } from '../src/accounts/market.js';
import { parseAccounts, resolveAccounts } from '../src/accounts/parse.js';
import { marginAccounts } from '../src/accounts/margin.js';
import { ACCOUNT_COLUMNS } from '../src/accounts/report.js';
import { MarginBook } from '../src/book/book.js';
import { replay } from '../src/book/replay.js';
import { CLI } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'margin-replay-'));
const MARKET = packageFile('examples', 'market.json');
const ACCOUNTS = packageFile('examples', 'accounts.json');
const EVENTS = packageFile('examples', 'events.ndjson');

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function exampleBook(): MarginBook {
  const am = parseAccountMarket(readFileSync(MARKET, 'utf8'), 'examples/market.json');
  return new MarginBook(am, parseAccounts(readFileSync(ACCOUNTS, 'utf8'), 'examples/accounts.json', am.market));
}

describe('margin-engine replay', () => {
  const r = cli(['replay', '--market', MARKET, '--accounts', ACCOUNTS, '--events', EVENTS]);
  const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l));

  it('exits 0 and summarises on standard error', () => {
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/8 accounts loaded in [0-9.]+ ms; 20 events in [0-9.]+ ms: 18 applied, 2 rejected, \d+ status changes, \d+ margin calls, 3 what-ifs/);
  });

  it('writes status changes, margin calls, what-if answers and rejected events as NDJSON, in event order', () => {
    expect(new Set(lines.map((l) => l.type))).toEqual(new Set(['status', 'margin_call', 'whatif', 'error']));
    for (let k = 1; k < lines.length; k++) expect(lines[k].event).toBeGreaterThanOrEqual(lines[k - 1].event);
    for (const [k, l] of lines.entries()) {
      if (l.type === 'status') {
        expect(['healthy', 'margin_call', 'liquidation']).toContain(l.to);
        expect(l.from).not.toBe(l.to);
        if (l.event === 0) expect(l.from).toBeNull(); else expect(l.t).toMatch(/^2026-11-20T/);
      }
      if (l.type === 'margin_call') {
        // Right after the status line that caused it, asking for the deficit.
        const s = lines[k - 1];
        expect([s.type, s.account, s.event, s.to]).toEqual(['status', l.account, l.event, l.status]);
        expect(l.call).toBe(-s.excess);
        expect(l.call).toBeGreaterThan(0);
      }
    }
    const errors = lines.filter((l) => l.type === 'error');
    expect(errors.map((e) => [e.event, e.message])).toEqual([
      [12, `${EVENTS}: line 12: amount: -6 would take account "basis-trader"'s BTC balance from 5 to -1; a balance cannot go below 0`],
      [13, `${EVENTS}: line 13: account: "nobody" is not in the book (8 accounts: basis-trader, option-seller, coin-margined, isolated-trader, leveraged-long, index-hedger and 2 more)`],
    ]);
    const whatifs = lines.filter((l) => l.type === 'whatif');
    expect(whatifs.map((w) => w.account)).toEqual(['option-seller', 'thin-margin', 'coin-margined']);
    expect(whatifs[2].numeraire).toBe('BTC');
    expect(lines.some((l) => l.type === 'margin_call' && l.event > 0)).toBe(true);
  });

  it('equals the library replay line for line, and leaves a book equal to a from-scratch run', () => {
    const book = exampleBook();
    let text = '';
    replay(book, readFileSync(EVENTS, 'utf8'), EVENTS, (l) => { text += l; });
    expect(text).toBe(r.out);
    const am = resolveAccountMarket(book.snapshotMarket(), 'snapshot');
    const fresh = marginAccounts(am, resolveAccounts(book.snapshotAccounts(), 'snapshot', am.market));
    const live = book.marginAll();
    fresh.forEach((f, k) => {
      if (!f.ok) throw new Error(f.message);
      for (const [x, y] of [[live[k].equity, f.equity], [live[k].initialMargin, f.initialMargin], [live[k].modes.cross.initialMargin, f.modes.cross.initialMargin]]) {
        expect(Math.abs(x - y), `${f.account}: ${x} vs ${y}`).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(x), Math.abs(y), 1));
      }
      expect(live[k].status).toBe(f.status);
    });
  });

  it('reads events from standard input and writes to --out', () => {
    const out = join(dir, 'changes.ndjson');
    const s = cli(['replay', '--market', MARKET, '--accounts', ACCOUNTS, '--events', '-', '--out', out], readFileSync(EVENTS, 'utf8'));
    expect(s.code, s.err).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(r.out.replaceAll(`${EVENTS}: line`, 'stdin: line'));
  });

  it('runs the es method', () => {
    const s = cli(['replay', '--market', MARKET, '--accounts', ACCOUNTS, '--events', EVENTS, '--method', 'es']);
    expect(s.code, s.err).toBe(0);
    expect(s.out.trimEnd().split('\n').map((l) => JSON.parse(l).type)).toContain('whatif');
  });

  it('exit codes: 2 for arguments or an unusable market, 1 for an unusable account or event file', () => {
    expect(cli(['replay', '--market', MARKET, '--accounts', ACCOUNTS]).code).toBe(2);
    const noEvents = cli(['replay', '--market', MARKET, '--accounts', ACCOUNTS]);
    expect(noEvents.err).toBe('margin-engine: replay: --events FILE is required\n');
    expect(cli(['replay', '--market', MARKET, '--accounts', ACCOUNTS, '--events', EVENTS, '--method', 'fhs']).code).toBe(2);
    const badMarket = join(dir, 'bad-market.json');
    writeFileSync(badMarket, '{"asOf": "2026-11-20T00:00:00Z"}');
    const m = cli(['replay', '--market', badMarket, '--accounts', ACCOUNTS, '--events', EVENTS]);
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/bad-market\.json: currency: expected a non-empty string, got nothing/);
    expect(cli(['replay', '--market', MARKET, '--accounts', ACCOUNTS, '--events', join(dir, 'missing.ndjson')]).code).toBe(1);
    const badAccounts = join(dir, 'bad-accounts.json');
    writeFileSync(badAccounts, JSON.stringify({ accounts: [{ account: 'A', collateral: { USD: -1 } }] }));
    const a = cli(['replay', '--market', MARKET, '--accounts', badAccounts, '--events', EVENTS]);
    expect(a.code).toBe(1);
    expect(a.err).toBe(`margin-engine: ${badAccounts}: accounts[0].collateral.USD: expected a balance >= 0, got -1\n`);
  });
});

describe('margin-engine accounts', () => {
  it('writes one CSV row per account with every mode side by side', () => {
    const r = cli(['accounts', '--market', MARKET, '--accounts', ACCOUNTS]);
    expect(r.code, r.err).toBe(0);
    const [header, ...rows] = r.out.trimEnd().split('\n');
    expect(header).toBe(ACCOUNT_COLUMNS.join(','));
    expect(header.startsWith('account,mode,method,numeraire,status,equity,initial_margin,maintenance_margin,excess,error')).toBe(true);
    const example = JSON.parse(readFileSync(ACCOUNTS, 'utf8'));
    expect(rows.map((x) => x.split(',')[0])).toEqual(example.accounts.map((a: { account: string }) => a.account));
    const col = (name: string) => ACCOUNT_COLUMNS.indexOf(name as never);
    for (const row of rows) {
      const c = row.split(',');
      expect(['healthy', 'margin_call', 'liquidation']).toContain(c[col('status')]);
      expect(Number(c[col('portfolio_initial')])).toBeLessThanOrEqual(Number(c[col('cross_initial')]) * (1 + 1e-12));
      expect(Number(c[col('initial_margin')])).toBe(Number(c[col(`${c[1]}_initial`)]));
    }
    expect(r.err).toMatch(/8 accounts, \d+ not healthy/);
  });

  it('writes NDJSON with the standalone items when --out ends in .ndjson; a bad account is an error row', () => {
    const file = join(dir, 'accounts-bad.json');
    const example = JSON.parse(readFileSync(ACCOUNTS, 'utf8'));
    example.accounts.push({ account: 'broken', collateral: { DOGE: 5 } });
    writeFileSync(file, JSON.stringify(example));
    const out = join(dir, 'report.ndjson');
    const r = cli(['accounts', '--market', MARKET, '--accounts', file, '--out', out]);
    expect(r.code, r.err).toBe(0);
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBe(9);
    // The market maker: 20 positions and two collateral assets at risk (BTC, ETH; USD is not).
    expect(rows[6].standalone.length).toBe(22);
    expect(Object.keys(rows[0].modes)).toEqual(['isolated', 'cross', 'portfolio']);
    expect(rows[8]).toMatchObject({ account: 'broken', status: 'error', code: 'E_INPUT' });
    expect(rows[8].error).toMatch(/accounts\[8\]\.collateral\.DOGE: asset "DOGE" has no price/);
    expect(r.err).toMatch(/1 with errors/);
  });

  it('lists the commands in --help', () => {
    const h = cli(['--help']);
    expect(h.out).toMatch(/margin-engine accounts --market FILE --accounts FILE/);
    expect(h.out).toMatch(/margin-engine replay --market FILE --accounts FILE --events FILE/);
  });
});
