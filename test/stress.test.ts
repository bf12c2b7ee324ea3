// Named stress scenarios: losses of hand-computed linear portfolios, option revaluation against the
// reference BSM, the worst scenario and the floor on the initial margin, every validation message
// (with the JSON Schema's agreement), and the shipped command line (--stress, --allocation).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { parseMarket, resolveMarket } from '../src/market/load.js';
import { validateStress } from '../src/market/stress-spec.js';
import { StressTest } from '../src/models/stress.js';
import { createMarginModel, StressedModel } from '../src/models/create.js';
import { createGridModel } from '../src/models/grid.js';
import { bsmPriceRef } from '../src/reference/valuation.js';
import { isInputError } from '../src/errors.js';
import { packageFile } from '../src/paths.js';
import type { MarginOk, MarginResult } from '../src/results.js';
import { CLI } from './helpers/cli.js';
import { ok, inputErrorMessage } from './helpers/results.js';



const T_OPT = (Date.parse('2026-12-26T00:00:00Z') - Date.parse('2026-11-20T00:00:00Z')) / (365 * 86400000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function marketJson(stress?: unknown): any {
  return {
    asOf: '2026-11-20T00:00:00Z', currency: 'USD',
    underlyings: { BTC: { spot: 97000, rate: 0.04, group: 'CRYPTO' }, ETH: { spot: 3100, rate: 0.04, group: 'CRYPTO' }, SPX: { spot: 6000, rate: 0.04, yield: 0.013 } },
    instruments: {
      BTC: { kind: 'spot', underlying: 'BTC' },
      'BTC-PERP': { kind: 'perpetual', underlying: 'BTC', price: 97100 },
      'BTC-F': { kind: 'future', underlying: 'BTC', expiry: '2026-12-26T00:00:00Z', price: 97800, contractSize: 0.1 },
      'ETH-PERP': { kind: 'perpetual', underlying: 'ETH' },
      'BTC-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 100000, expiry: '2026-12-26T00:00:00Z', vol: 0.55 },
      'SPX-P': { kind: 'option', underlying: 'SPX', right: 'put', strike: 5800, expiry: '2026-12-26T00:00:00Z', vol: 0.18, contractSize: 100 },
    },
    risk: {
      grid: { points: [{ move: -0.1 }, { move: 0 }, { move: 0.1 }], volMoves: [-0.2, 0, 0.2], groups: { CRYPTO: { offset: 0.5 } }, maintenanceRatio: 0.8 },
      ...(stress === undefined ? {} : { stress }),
    },
  };
}

const SCENARIOS = [
  { name: 'Crash', spot: { BTC: -0.3, ETH: -0.4 }, vol: { BTC: 0.5 } },
  { name: 'Rally', spot: { BTC: 0.2, ETH: 0.25, SPX: 0.05 } },
  { name: 'Equity crash', spot: { SPX: -0.2 }, vol: { SPX: 1.0 } },
];

describe('stress losses', () => {
  const m = resolveMarket(marketJson(), 'market.json');
  const st = new StressTest(m, validateStress({ scenarios: SCENARIOS, horizonDays: 1 }, 'stress.json', '', m));
  const lossesOf = (positions: [string, number][]) =>
    Array.from(st.losses(positions.map(([id]) => m.instruments.index.get(id)!), positions.map(([, q]) => q)));

  it('linear instruments lose quantity x notional x move (computed by hand)', () => {
    // 2 BTC spot: 2 * 97000 * (-0.3) = -58200 P&L, loss 58200; in the rally -2 * 97000 * 0.2 = -38800.
    expect(lossesOf([['BTC', 2]])).toEqual([58200, -38800, 0].map((x) => expect.closeTo(x, 6)));
    // Perpetual at its quoted price F = 97100, short 3: loss = 3 * 97100 * move.
    const perp = lossesOf([['BTC-PERP', -3]]);
    const want = [3 * 97100 * -0.3, 3 * 97100 * 0.2, 0];
    perp.forEach((l, s) => expect(Math.abs(l - want[s]), `s=${s}`).toBeLessThanOrEqual(1e-9 * 97100));
    // Future F = 97800, contract size 0.1, long 5: loss = -5 * 0.1 * 97800 * move.
    const fut = lossesOf([['BTC-F', 5]]);
    [-5 * 0.1 * 97800 * -0.3, -5 * 0.1 * 97800 * 0.2, 0].forEach((w, s) => expect(Math.abs(fut[s] - w)).toBeLessThanOrEqual(1e-9 * 97800));
    // A spread: +1 BTC-PERP, -31.3 ETH-PERP in the crash: -(97100 * -0.3) - (-31.3 * 3100 * -0.4).
    const spread = lossesOf([['BTC-PERP', 1], ['ETH-PERP', -31.3]]);
    expect(Math.abs(spread[0] - (97100 * 0.3 - 31.3 * 3100 * 0.4))).toBeLessThanOrEqual(1e-9 * 97100);
  });

  it('options are revalued with the spot and vol moves and the horizon (reference BSM, 1e-9 relative)', () => {
    const l = lossesOf([['BTC-C', 2], ['SPX-P', -1]]);
    const h = 1 / 365;
    const call = (S: number, vol: number, T: number) => bsmPriceRef(true, S, 100000, T, 0.04, 0, vol);
    const put = (S: number, vol: number, T: number) => 100 * bsmPriceRef(false, S, 5800, T, 0.04, 0.013, vol);
    const want = [
      -(2 * (call(97000 * 0.7, 0.55 * 1.5, T_OPT - h) - call(97000, 0.55, T_OPT)) - (put(6000, 0.18, T_OPT - h) - put(6000, 0.18, T_OPT))),
      -(2 * (call(97000 * 1.2, 0.55, T_OPT - h) - call(97000, 0.55, T_OPT)) - (put(6000 * 1.05, 0.18, T_OPT - h) - put(6000, 0.18, T_OPT))),
      -(2 * (call(97000, 0.55, T_OPT - h) - call(97000, 0.55, T_OPT)) - (put(6000 * 0.8, 0.36, T_OPT - h) - put(6000, 0.18, T_OPT))),
    ];
    l.forEach((x, s) => expect(Math.abs(x - want[s]), `s=${s}: ${x} vs ${want[s]}`).toBeLessThanOrEqual(1e-9 * Math.abs(want[s])));
  });

  it('reports the worst scenario by name (the first on ties) and every loss in order', () => {
    const r = st.evaluate([m.instruments.index.get('BTC')!], [1], 0);
    expect(r.scenario).toBe('Crash');
    expect(r.losses.map((x) => x.scenario)).toEqual(['Crash', 'Rally', 'Equity crash']);
    expect(r.floor).toBeUndefined();
    expect(r.floored).toBe(false);
    const tie = st.evaluate([], [], 0);
    expect(tie).toMatchObject({ scenario: 'Crash', loss: 0 });
  });
});

describe('stress on top of a method', () => {
  const pos = (q: number) => [{ instrument: 'BTC-PERP', quantity: q }];

  it('reports only when floor is false: the margin is the method\'s', () => {
    const m = resolveMarket(marketJson({ scenarios: SCENARIOS }), 'market.json');
    const grid = ok(createGridModel(m).margin({ id: 'a', positions: pos(1) }));
    const r = ok(createMarginModel(m).margin({ id: 'a', positions: pos(1) }));
    expect(r.initialMargin).toBe(grid.initialMargin);
    expect(r.stress).toMatchObject({ scenario: 'Crash', floored: false, methodMargin: grid.initialMargin });
    expect(Math.abs(r.stress!.loss - 97100 * 0.3)).toBeLessThanOrEqual(1e-9 * 97100);
  });

  it('floors the initial margin at cover x the worst loss, and the maintenance margin follows the ratio', () => {
    const m = resolveMarket(marketJson({ scenarios: SCENARIOS, floor: true, cover: 0.8 }), 'market.json');
    const model = createMarginModel(m);
    expect(model).toBeInstanceOf(StressedModel);
    const r = ok(model.margin({ id: 'a', positions: pos(1) }));
    // Grid: 10 % of 97100 = 9710; floor 0.8 * 29130 = 23304.
    const floor = 0.8 * 97100 * 0.3;
    expect(Math.abs(r.initialMargin - floor)).toBeLessThanOrEqual(1e-9 * floor);
    expect(r.maintenanceMargin).toBe(0.8 * r.initialMargin);
    expect(r.stress).toMatchObject({ floored: true });
    expect(Math.abs(r.stress!.methodMargin - 9710)).toBeLessThanOrEqual(1e-9 * 9710);
    // A floor below the method's margin changes nothing.
    const m2 = resolveMarket(marketJson({ scenarios: SCENARIOS, floor: true, cover: 0.1 }), 'market.json');
    const r2 = ok(createMarginModel(m2).margin({ id: 'a', positions: pos(1) }));
    expect(Math.abs(r2.initialMargin - 9710)).toBeLessThanOrEqual(1e-9 * 9710);
    expect(r2.stress).toMatchObject({ floored: false });
    expect(Math.abs(r2.stress!.floor! - 0.1 * 29130)).toBeLessThanOrEqual(1e-9 * 29130);
  });

  it('a portfolio that gains in every scenario has a zero floor', () => {
    const m = resolveMarket(marketJson({ scenarios: [{ name: 'Up', spot: { BTC: 0.1 } }], floor: true }), 'market.json');
    const r = ok(createMarginModel(m, { method: 'grid' }).margin({ id: 'a', positions: pos(1) }));
    expect(r.stress!.loss).toBeLessThan(0);
    expect(r.stress!.floor).toBe(0);
  });

  it('leaves error results alone, and --stress replaces the market\'s block (null: none)', () => {
    const m = resolveMarket(marketJson({ scenarios: SCENARIOS, floor: true }), 'market.json');
    const e = createMarginModel(m).margin({ id: 'x', positions: [{ instrument: 'NOPE', quantity: 1 }] });
    expect(e).toMatchObject({ ok: false, code: 'E_UNKNOWN_INSTRUMENT' });
    const other = validateStress({ scenarios: [{ name: 'Only', spot: { ETH: -0.5 } }] }, 's.json', '', m);
    expect(ok(createMarginModel(m, { stress: other }).margin({ id: 'a', positions: pos(1) })).stress!.scenario).toBe('Only');
    expect(ok(createMarginModel(m, { stress: null }).margin({ id: 'a', positions: pos(1) })).stress).toBeUndefined();
  });

  it('works with the es method', () => {
    const json = marketJson({ scenarios: SCENARIOS, floor: true });
    json.underlyings.BTC.vol = 0.6; json.underlyings.ETH.vol = 0.7; json.underlyings.SPX.vol = 0.2;
    json.risk.es = { confidence: 0.975, horizonDays: 2, scenarios: 2000 };
    const r = ok(createMarginModel(resolveMarket(json, 'm.json'), { method: 'es' }).margin({ id: 'a', positions: pos(1) }));
    expect(r.method).toBe('es');
    expect(r.stress!.floored).toBe(true);
    expect(r.es!).toBeLessThan(r.initialMargin);
  });
});

describe('stress block: bad input, one message each', () => {
  const schema = JSON.parse(readFileSync(packageFile('schema', 'market.schema.json'), 'utf8'));
  const validate = new Ajv2020({ strictSchema: true, strictTypes: true, strictTuples: true, allErrors: true, logger: false }).compile(schema);
  const M = 'market.json: risk.stress';
  const FIELDS = '$schema, description, scenarios, cover, floor, horizonDays, volDynamics, basisMinYears';
  const cases: [string, unknown, string, boolean][] = [
    ['not an object', [], `${M}: expected a JSON object, got []`, true],
    ['scenarios missing', {}, `${M}.scenarios: expected a non-empty list of scenarios such as { "name": "Crash", "spot": { "BTC": -0.3 } }, got nothing`, true],
    ['scenarios empty', { scenarios: [] }, `${M}.scenarios: expected a non-empty list of scenarios such as { "name": "Crash", "spot": { "BTC": -0.3 } }, got []`, true],
    ['scenario not an object', { scenarios: [3] }, `${M}.scenarios[0]: expected a scenario such as { "name": "Crash", "spot": { "BTC": -0.3 } }, got 3`, true],
    ['name missing', { scenarios: [{ spot: { BTC: -0.1 } }] }, `${M}.scenarios[0].name: expected a non-empty name, got nothing`, true],
    ['name blank', { scenarios: [{ name: '  ', spot: { BTC: -0.1 } }] }, `${M}.scenarios[0].name: expected a non-empty name, got "  "`, true],
    ['name twice', { scenarios: [{ name: 'A', spot: { BTC: -0.1 } }, { name: 'A', spot: { ETH: -0.1 } }] },
      `${M}.scenarios[1].name: the name "A" is already used by risk.stress.scenarios[0]; names must be unique`, false],
    ['unknown scenario field', { scenarios: [{ name: 'A', spots: { BTC: -0.1 } }] },
      `${M}.scenarios[0].spots: unknown field for a stress scenario; did you mean "spot"? (expected one of: name, description, spot, vol, basis)`, true],
    ['moves nothing', { scenarios: [{ name: 'A' }] }, `${M}.scenarios[0]: scenario "A" moves nothing: give "spot", "vol" or "basis" moves`, true],
    ['spot not an object', { scenarios: [{ name: 'A', spot: -0.1 }] },
      `${M}.scenarios[0].spot: expected a JSON object of relative spot moves keyed by underlying, such as { "BTC": -0.3 }, got -0.1`, true],
    ['spot move -1', { scenarios: [{ name: 'A', spot: { BTC: -1 } }] }, `${M}.scenarios[0].spot.BTC: expected a number > -1, got -1`, true],
    ['vol move a string', { scenarios: [{ name: 'A', vol: { BTC: '50%' } }] }, `${M}.scenarios[0].vol.BTC: expected a number > -1, got "50%"`, true],
    ['unknown underlying', { scenarios: [{ name: 'A', spot: { DOGE: -0.5 } }] },
      `${M}.scenarios[0].spot.DOGE: unknown underlying "DOGE"; the market's underlyings are BTC, ETH, SPX`, false],
    ['cover 0', { scenarios: SCENARIOS, cover: 0 }, `${M}.cover: expected a number > 0, got 0`, true],
    ['floor a string', { scenarios: SCENARIOS, floor: 'yes' }, `${M}.floor: expected true or false, got "yes"`, true],
    ['horizonDays negative', { scenarios: SCENARIOS, horizonDays: -1 }, `${M}.horizonDays: expected a number >= 0, got -1`, true],
    ['unknown field', { scenarios: SCENARIOS, flor: true }, `${M}.flor: unknown field for a stress block; did you mean "floor"? (expected one of: ${FIELDS})`, true],
  ];
  for (const [name, block, want, schemaTells] of cases) {
    it(name, () => {
      const json = marketJson(block);
      expect(inputErrorMessage(() => resolveMarket(json, 'market.json'))).toBe(want);
      if (schemaTells) expect(validate(json), `schema accepted ${JSON.stringify(block)}`).toBe(false);
    });
  }

  it('a valid block passes the schema, and a stress file names itself in messages', () => {
    expect(validate(marketJson({ scenarios: SCENARIOS, cover: 0.5, floor: true, horizonDays: 1 })), JSON.stringify(validate.errors)).toBe(true);
    const m = resolveMarket(marketJson(), 'market.json');
    expect(inputErrorMessage(() => validateStress({ scenarios: [{ name: 'A', spot: { X: 0.1 } }] }, 'stress.json', '', m)))
      .toBe('stress.json: scenarios[0].spot.X: unknown underlying "X"; the market\'s underlyings are BTC, ETH, SPX');
  });

  it('the bundled examples/stress.json is valid for examples/market.json', () => {
    const m = parseMarket(readFileSync(packageFile('examples', 'market.json'), 'utf8'), 'examples/market.json');
    const s = validateStress(JSON.parse(readFileSync(packageFile('examples', 'stress.json'), 'utf8')), 'examples/stress.json', '', m);
    expect(s.scenarios.map((x) => x.name)).toEqual(['Crypto crash', 'Crypto squeeze', 'Equity crash', 'Risk-off', 'Vol crush']);
    expect(s).toMatchObject({ cover: 0.5, floor: true, horizonDays: 0 });
  });
});

describe('stress: the command line (built dist/src/cli/main.js)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'margin-stress-cli-'));
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const marketPath = join(dir, 'market.json');
  const json = marketJson();
  json.underlyings.BTC.vol = 0.6; json.underlyings.ETH.vol = 0.7; json.underlyings.SPX.vol = 0.2;
  json.risk.es = { confidence: 0.975, horizonDays: 2, scenarios: 2000 };
  writeFileSync(marketPath, JSON.stringify(json));
  const stressPath = join(dir, 'stress.json');
  writeFileSync(stressPath, JSON.stringify({ scenarios: SCENARIOS, floor: true, cover: 1 }));
  const bookPath = join(dir, 'book.csv');
  writeFileSync(bookPath, 'portfolio,instrument,quantity\nA,BTC-PERP,1\nB,NOPE,1\nC,ETH-PERP,-3\nC,"BTC-C",2\n');

  it('runs stress scenarios on --threads workers (issue 10): no warning, the rows of one thread', () => {
    const one = cli(['run', '--market', marketPath, '--portfolios', bookPath, '--stress', stressPath, '--threads', '1']);
    const two = cli(['run', '--market', marketPath, '--portfolios', bookPath, '--stress', stressPath, '--threads', '2']);
    expect(one.code, one.err).toBe(0);
    expect(two.code, two.err).toBe(0);
    expect(two.out).toBe(one.out);
    expect(two.err).not.toContain('--threads');
    expect(two.err).not.toContain('warning');
  });

  it('adds stress_loss,stress_scenario and floors the margin (grid and es)', () => {
    for (const method of ['grid', 'es']) {
      const r = cli(['run', '--method', method, '--market', marketPath, '--portfolios', bookPath, '--stress', stressPath]);
      expect(r.code, r.err).toBe(0);
      const lines = r.out.trimEnd().split('\n');
      const extra = method === 'grid' ? 'worst_point' : 'var,es';
      expect(lines[0]).toBe(`portfolio,method,initial_margin,maintenance_margin,status,error,${extra},stress_loss,stress_scenario,currency`);
      const a = lines[1].split(',');
      expect(a[0]).toBe('A');
      expect(a[a.length - 1]).toBe('USD');
      expect(a[a.length - 2]).toBe('Crash');
      const loss = Number(a[a.length - 3]);
      expect(Math.abs(loss - 97100 * 0.3)).toBeLessThanOrEqual(1e-9 * 97100);
      expect(Number(a[2])).toBe(loss); // floored at cover 1 x the worst loss
      expect(lines[2]).toBe(`B,${method},,,error,"unknown instrument ""NOPE""",${method === 'grid' ? '' : ','},,,USD`);
    }
  });

  it('applies the market\'s risk.stress without --stress, and writes the losses by name in NDJSON', () => {
    const withStress = join(dir, 'market-stress.json');
    writeFileSync(withStress, JSON.stringify(marketJson({ scenarios: SCENARIOS })));
    const out = join(dir, 'r.ndjson');
    const r = cli(['run', '--market', withStress, '--portfolios', bookPath, '--out', out]);
    expect(r.code, r.err).toBe(0);
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows[0].stress.scenario).toBe('Crash');
    expect(rows[0].stress.losses.map((x: { scenario: string }) => x.scenario)).toEqual(['Crash', 'Rally', 'Equity crash']);
    expect(rows[0].stress.floored).toBe(false);
    expect(rows[1].stress).toBeUndefined();
  });

  it('writes the allocation in NDJSON with --allocation; the shares sum to the margin', () => {
    const out = join(dir, 'alloc.ndjson');
    const r = cli(['run', '--market', marketPath, '--portfolios', bookPath, '--allocation', '--out', out]);
    expect(r.code, r.err).toBe(0);
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    const c = rows[2];
    expect(c.allocation.map((x: { instrument: string }) => x.instrument)).toEqual(['ETH-PERP', 'BTC-C']);
    const sum = c.allocation.reduce((s: number, x: { initial_margin: number }) => s + x.initial_margin, 0);
    expect(Math.abs(sum - c.initial_margin)).toBeLessThanOrEqual(1e-9 * c.initial_margin);
    expect(c.allocation[0]).toMatchObject({ underlying: 'ETH', group: 'CRYPTO', basis: 'scan', quantity: -3 });
  });

  it('exits 2 for --allocation without NDJSON output, and for a bad stress file naming it', () => {
    const a = cli(['run', '--market', marketPath, '--portfolios', bookPath, '--allocation']);
    expect(a.code).toBe(2);
    expect(a.err).toBe('margin-engine: --allocation: the per-position breakdown is written in NDJSON; use --out FILE.ndjson or --format ndjson\n');
    const bad = join(dir, 'bad-stress.json');
    writeFileSync(bad, JSON.stringify({ scenarios: [{ name: 'A', spot: { DOGE: -0.5 } }] }));
    const b = cli(['run', '--market', marketPath, '--portfolios', bookPath, '--stress', bad]);
    expect(b.code).toBe(2);
    expect(b.err).toBe(`margin-engine: ${bad}: scenarios[0].spot.DOGE: unknown underlying "DOGE"; the market's underlyings are BTC, ETH, SPX\n`);
    const c = cli(['run', '--market', marketPath, '--portfolios', bookPath, '--stress', join(dir, 'nope.json')]);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/--stress .*nope\.json: cannot read/);
  });
});
