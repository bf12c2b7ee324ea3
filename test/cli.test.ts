// The command line as shipped (dist/src/cli/main.js, built by `pretest`): docs/methods.md §16, §17.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageFile } from '../src/paths.js';
import { CLI } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'margin-cli-'));

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const market = {
  asOf: '2026-11-20T00:00:00Z', currency: 'USD',
  underlyings: { BTC: { spot: 97000, rate: 0.04, vol: 0.6, group: 'CRYPTO' }, ETH: { spot: 3100, rate: 0.04, vol: 0.75, group: 'CRYPTO' } },
  instruments: {
    BTC: { kind: 'spot', underlying: 'BTC' },
    'BTC-PERP': { kind: 'perpetual', underlying: 'BTC', contractSize: 1 },
    'BTC-26DEC26': { kind: 'future', underlying: 'BTC', expiry: '2026-12-26T00:00:00Z', price: 97800 },
    'BTC-26DEC26-100000-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 100000, expiry: '2026-12-26T00:00:00Z', vol: 0.55 },
    'ETH-PERP': { kind: 'perpetual', underlying: 'ETH' },
  },
  risk: {
    grid: { points: [{ move: -0.15 }, { move: 0 }, { move: 0.15 }], volMoves: [-0.3, 0, 0.3], groups: { CRYPTO: { offset: 0.5 } }, maintenanceRatio: 0.8 },
    es: { confidence: 0.975, horizonDays: 2, scenarios: 2000, seed: 1, distribution: 'student-t', degreesOfFreedom: 5, correlations: [['BTC', 'ETH', 0.8]] },
  },
};
const marketPath = join(dir, 'market.json');
writeFileSync(marketPath, JSON.stringify(market));
const csv = 'portfolio,instrument,quantity\nP1,BTC-PERP,-2\nP1,BTC-26DEC26-100000-C,3\nP2,BTC-27DEC26-X,1\nP3,ETH-PERP,10\nP3,BTC,"0.5"\n';
const csvPath = join(dir, 'book.csv');
writeFileSync(csvPath, csv);

describe('margin-engine CLI', () => {
  it('prints help and version', () => {
    const h = cli(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/margin-engine run\s+--market FILE --portfolios FILE/);
    expect(h.out).toMatch(/margin-engine value --market FILE/);
    const v = cli(['--version']);
    expect(v.code).toBe(0);
    expect(v.out.trim()).toBe(JSON.parse(readFileSync(packageFile('package.json'), 'utf8')).version);
  });

  it('writes one row per portfolio in input order, error rows included, exit 0', () => {
    const r = cli(['run', '--market', marketPath, '--portfolios', csvPath]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('portfolio,method,initial_margin,maintenance_margin,status,error,worst_point,currency');
    expect(lines.length).toBe(4);
    expect(lines[1]).toMatch(/^P1,grid,[0-9.e+-]+,[0-9.e+-]+,ok,,\d+,USD$/);
    expect(lines[2]).toBe('P2,grid,,,error,"unknown instrument ""BTC-27DEC26-X""",,USD');
    expect(lines[3]).toMatch(/^P3,grid,[0-9.e+-]+,[0-9.e+-]+,ok,,\d+,USD$/);
    const [, , im, mm] = lines[1].split(',');
    expect(Number(mm)).toBeCloseTo(0.8 * Number(im), 9);
    expect(r.err).toMatch(/1 with errors/);
  });

  it('reads standard input and writes NDJSON with the group breakdown when --out ends in .ndjson', () => {
    const out = join(dir, 'res.ndjson');
    const r = cli(['run', '--market', marketPath, '--portfolios', '-', '--out', out], csv);
    expect(r.code).toBe(0);
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.portfolio)).toEqual(['P1', 'P2', 'P3']);
    expect(rows[0]).toMatchObject({ method: 'grid', status: 'ok', error: null });
    expect(rows[0].groups[0].group).toBe('CRYPTO');
    expect(rows[1]).toMatchObject({ status: 'error', initial_margin: null, error: 'unknown instrument "BTC-27DEC26-X"' });
  });

  it('runs the es method with var and es columns', () => {
    const r = cli(['run', '--market', marketPath, '--portfolios', csvPath, '--method', 'es']);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('portfolio,method,initial_margin,maintenance_margin,status,error,var,es,currency');
    const [, method, im, , status, , v, es] = lines[1].split(',');
    expect([method, status]).toEqual(['es', 'ok']);
    expect(Number(im)).toBe(Math.max(Number(es), 0));
    expect(Number(es)).toBeGreaterThanOrEqual(Number(v));
  });

  it('values every instrument: instrument,value,delta,gamma,vega,theta,vol,vol_source,greeks_wrt', () => {
    const r = cli(['value', '--market', marketPath]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('instrument,value,delta,gamma,vega,theta,vol,vol_source,greeks_wrt');
    expect(lines.length).toBe(6);
    const perpLine = lines.find((l) => l.startsWith('BTC-PERP,'))!;
    expect(perpLine.endsWith(',,,BTC')).toBe(true);
    expect(perpLine.split(',').slice(1, 6).map(Number)).toEqual([0, 1, 0, 0, 0]);
    const callLine = lines.find((l) => l.startsWith('BTC-26DEC26-100000-C,'))!;
    const call = callLine.split(',').map(Number);
    expect(call[1]).toBeGreaterThan(0);
    expect(call[5]).toBeLessThan(0);
    expect(callLine.endsWith(`,${market.instruments['BTC-26DEC26-100000-C'].vol},given,BTC`)).toBe(true);
  });

  it('exits 2 naming the file, field and expectation for an unusable market', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...market, underlyings: { ...market.underlyings, BTC: { spot: -5 } } }));
    const r = cli(['run', '--market', bad, '--portfolios', csvPath]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.json: underlyings\.BTC\.spot: expected a number > 0 and <= 1e\+15, got -5/);
    expect(r.out).toBe('');
  });

  it('exits 2 for bad arguments', () => {
    expect(cli(['run', '--portfolios', csvPath]).code).toBe(2);
    expect(cli(['run', '--market', marketPath, '--portfolios', csvPath, '--method', 'nope']).code).toBe(2);
    expect(cli(['run', '--market', marketPath, '--portfolios', csvPath, '--bogus']).code).toBe(2);
    expect(cli(['frobnicate']).code).toBe(2);
    expect(cli(['run', '--market', join(dir, 'missing.json'), '--portfolios', csvPath]).code).toBe(2);
    const noEs = join(dir, 'noes.json');
    writeFileSync(noEs, JSON.stringify({ ...market, risk: { grid: market.risk.grid } }));
    const r = cli(['run', '--market', noEs, '--portfolios', csvPath, '--method', 'es']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/risk\.es/);
  });

  it('fails before any work when the output cannot be written', () => {
    const r = cli(['run', '--market', marketPath, '--portfolios', csvPath, '--out', join(dir, 'no', 'such', 'dir', 'x.csv')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out .*cannot be written/);
  });

  it('exits 1 for an unusable portfolio file', () => {
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    const r = cli(['run', '--market', marketPath, '--portfolios', empty]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/empty\.csv/);
  });
});
