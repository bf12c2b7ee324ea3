// Resource bombs fail fast (issue 9, item 20): the bytes of the P&L cube (instruments x scenarios
// x 8) and of the scenario set are estimated before anything is built, and a run that cannot fit
// the limit (2 GiB of the WebAssembly memory's 4 GiB) is a market/spec input error naming the
// numbers: the command line exits 2 with one line, in well under a second of work.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveMarket, parseMarket } from '../src/market/load.js';
import { createGridModel } from '../src/models/grid.js';
import { createEsModel } from '../src/models/tail.js';
import { createBatchEngine } from '../src/batch/engine.js';
import { isInputError } from '../src/errors.js';
import { packageFile } from '../src/paths.js';
import { checkCubeSize, CUBE_LIMIT_BYTES } from '../src/scenarios/types.js';
import type { MarketInput } from '../src/market/types.js';
import { CLI } from './helpers/cli.js';
import { thrown } from './helpers/results.js';

const dir = mkdtempSync(join(tmpdir(), 'margin-limits-'));

/** 50,000 perpetuals on one underlying, and a grid of 100,000 points (one vol move each). */
function bombMarket(): MarketInput {
  const instruments: MarketInput['instruments'] = {};
  for (let i = 0; i < 50_000; i++) instruments[`P${i}`] = { kind: 'perpetual', underlying: 'BTC' };
  const points = Array.from({ length: 100_000 }, (_, j) => ({ move: -0.5 + j / 100_000 }));
  return {
    asOf: '2026-11-20T00:00:00Z', currency: 'USD', underlyings: { BTC: { spot: 97000, vol: 0.5 } }, instruments,
    risk: { grid: { points, volMoves: [0] } },
  };
}


describe('the cube and scenario set are sized before anything is built', () => {
  it('the estimate: instruments x scenarios x 8 bytes, with the scenario set, against the limit', () => {
    const m = resolveMarket({ asOf: '2026-11-20T00:00:00Z', currency: 'USD', underlyings: { A: { spot: 1 } },
      instruments: { X: { kind: 'spot', underlying: 'A' } } }, 'm.json');
    // One instrument, one underlying: (1 + 3) x stride x 8 bytes. 67,108,864 scenarios x 32 bytes = 2 GiB exactly: fits.
    expect(() => checkCubeSize(m, 67_108_864, 'risk.es.scenarios')).not.toThrow();
    const e = thrown(() => checkCubeSize(m, 67_108_866, 'risk.es.scenarios'));
    expect(isInputError(e)).toBe(true);
    expect((e as Error).message).toBe('m.json: risk.es.scenarios: 1 instruments x 67108866 scenarios x 8 bytes = 0.5 GiB for the P&L cube '
      + '(2 GiB with the scenario set), more than the limit of 2 GiB (the WebAssembly memory holds at most 4 GiB): '
      + 'use fewer scenarios or a market with fewer instruments');
    expect(CUBE_LIMIT_BYTES).toBe(2 * 1024 ** 3);
  });

  it('a grid of 1e5 points on 50,000 instruments is refused in well under a second, naming the numbers', () => {
    const market = resolveMarket(bombMarket(), 'bomb.json');
    const t0 = performance.now();
    const e = thrown(() => createGridModel(market));
    const ms = performance.now() - t0;
    expect(isInputError(e)).toBe(true);
    expect((e as Error).message).toBe('bomb.json: risk.grid.points: 50000 instruments x 100000 scenarios x 8 bytes = 37.3 GiB for the P&L cube '
      + '(37.3 GiB with the scenario set), more than the limit of 2 GiB (the WebAssembly memory holds at most 4 GiB): '
      + 'use fewer scenarios or a market with fewer instruments');
    expect(ms).toBeLessThan(500);
  });

  it('ES with 1e7 scenarios on the example market is refused in well under a second (in-process and in the batch engine)', async () => {
    const json = JSON.parse(readFileSync(packageFile('examples', 'market.json'), 'utf8'));
    json.risk.es.scenarios = 10_000_000;
    const market = resolveMarket(json, 'market.json');
    const t0 = performance.now();
    const e = thrown(() => createEsModel(market));
    expect(performance.now() - t0).toBeLessThan(500);
    expect(isInputError(e)).toBe(true);
    expect((e as Error).message).toMatch(/^market\.json: risk\.es\.scenarios: 664 instruments x 10000000 scenarios x 8 bytes = 49\.5 GiB for the P&L cube/);
    const t1 = performance.now();
    let be: unknown;
    try { await createBatchEngine({ market, method: 'es', threads: 2 }); } catch (err) { be = err; }
    expect(performance.now() - t1).toBeLessThan(1000);
    expect(isInputError(be)).toBe(true);
    expect((be as Error).message).toMatch(/risk\.es\.scenarios: 664 instruments x 10000000 scenarios/);
  });

  it('the command line exits 2 with the message, for both bombs, without building anything', () => {
    const bomb = join(dir, 'bomb.json');
    writeFileSync(bomb, JSON.stringify(bombMarket()));
    const book = join(dir, 'book.csv');
    writeFileSync(book, 'portfolio,instrument,quantity\nA,P1,1\n');
    const grid = spawnSync(process.execPath, [CLI, 'run', '--market', bomb, '--portfolios', book], { encoding: 'utf8' });
    expect(grid.status).toBe(2);
    expect(grid.stdout).toBe('');
    expect(grid.stderr).toMatch(/risk\.grid\.points: 50000 instruments x 100000 scenarios x 8 bytes = 37\.3 GiB for the P&L cube/);
    expect(grid.stderr.trim().split('\n')).toHaveLength(1);

    const json = JSON.parse(readFileSync(packageFile('examples', 'market.json'), 'utf8'));
    json.risk.es.scenarios = 10_000_000;
    const esMarket = join(dir, 'es.json');
    writeFileSync(esMarket, JSON.stringify(json));
    parseMarket(JSON.stringify(json), 'es.json'); // the market itself is valid
    const id = Object.keys(json.instruments)[0];
    writeFileSync(book, `portfolio,instrument,quantity\nA,${id},1\n`);
    for (const threads of ['1', '2']) {
      const t0 = Date.now();
      const es = spawnSync(process.execPath, [CLI, 'run', '--method', 'es', '--market', esMarket, '--portfolios', book, '--threads', threads],
        { encoding: 'utf8' });
      expect(es.status, es.stderr).toBe(2);
      expect(es.stderr).toMatch(/risk\.es\.scenarios: 664 instruments x 10000000 scenarios x 8 bytes = 49\.5 GiB/);
      // Node's start and the market's parse included: far from the 6 s it took to fail before.
      expect(Date.now() - t0).toBeLessThan(4000);
    }
  });
});
