// Filtered historical simulation (method fhs): synthetic histories whose answer is known by
// construction (returns of constant size make the filter the identity, a history of identical
// returns makes every scenario the same), the EWMA recursion checked by hand through the model,
// the joint-date dependence, the stressed period and the lookback, determinism, every bad-input
// message, and the shipped command line. Tolerances are stated per test (relative unless said).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { resolveMarket } from '../src/market/load.js';
import { createFhsModel, FhsModel } from '../src/models/fhs.js';
import { validateFhs } from '../src/market/fhs-spec.js';
import { cubeView } from '../src/cube/cube.js';
import { esTailRef } from '../src/reference/tail.js';
import { bsmPriceRef } from '../src/reference/valuation.js';
import { isInputError } from '../src/errors.js';
import { packageFile } from '../src/paths.js';
import { loadEsPreset, loadFhsPreset, methodPresetNames } from '../src/presets.js';
import type { MarginOk, MarginResult } from '../src/results.js';
import { Rng } from './helpers/random.js';
import { CLI } from './helpers/cli.js';
import { END, csv, days } from './helpers/history.js';
import { ok, inputErrorMessage } from './helpers/results.js';

const S_BTC = 97000, S_ETH = 3100;

/** A path from 100 with the given log returns. */
function path(returns: number[], start = 100): number[] {
  const p = [start];
  for (const r of returns) p.push(p[p.length - 1] * Math.exp(r));
  return p;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function marketJson(fhs: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}): any {
  return {
    asOf: `${END}T00:00:00Z`, currency: 'USD',
    underlyings: { BTC: { spot: S_BTC, rate: 0.04, group: 'CRYPTO' }, ETH: { spot: S_ETH, rate: 0.04, group: 'CRYPTO' }, IDLE: { spot: 1 } },
    instruments: {
      'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
      'ETH-PERP': { kind: 'perpetual', underlying: 'ETH' },
      'BTC-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 100000, expiry: '2026-12-26T00:00:00Z', vol: 0.55 },
    },
    risk: fhs ? { fhs } : {},
    ...extra,
  };
}

const market = (fhs: Record<string, unknown>) => resolveMarket(marketJson(fhs), 'market.json');


/** Signs from a seeded generator: returns of size c and random sign. */
function constantSize(n: number, c: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => (rng.next() < 0.5 ? -c : c));
}

describe('fhs: answers known by construction', () => {
  it('returns of constant size: the filter is the identity and FHS is historical simulation of overlapping h-day returns', () => {
    const rb = constantSize(400, 0.02, 1), re = constantSize(400, 0.03, 2);
    const pb = path(rb), pe = path(re);
    const h = 3, m = 20, conf = 0.975;
    const model = createFhsModel(market({ confidence: conf, horizonDays: h, seedReturns: m, lambda: 0.94 }), { history: csv({ BTC: pb, ETH: pe }) });
    // Scenarios end at price dates t = m + h .. 400, R = ln(P_t / P_{t-h}) (the unfiltered h-day return).
    const R = (p: number[]) => { const out: number[] = []; for (let t = m + h; t < p.length; t++) out.push(Math.log(p[t] / p[t - h])); return out; };
    const Rb = R(pb), Re = R(pe);
    expect(model.scenarios.nScen).toBe(Rb.length);
    for (const [q, qe] of [[1, 0], [-2, 0], [1, -20]]) {
      const losses = Rb.map((r, s) => -(q * S_BTC * (Math.exp(r) - 1) + qe * S_ETH * (Math.exp(Re[s]) - 1)));
      const want = esTailRef(losses, conf);
      const got = ok(model.margin({ id: 'p', positions: [{ instrument: 'BTC-PERP', quantity: q }, { instrument: 'ETH-PERP', quantity: qe }] }));
      const tol = 1e-9 * Math.abs(want.es);
      expect(Math.abs(got.es! - want.es), `q=${q},${qe}: es ${got.es} want ${want.es}`).toBeLessThanOrEqual(tol);
      expect(Math.abs(got.var! - want.var), `var ${got.var} want ${want.var}`).toBeLessThanOrEqual(1e-9 * Math.abs(want.var));
      expect(got.initialMargin).toBe(Math.max(got.es!, 0));
    }
  });

  it('with horizonMethod sqrt, scenarios are sqrt(h) times one daily return', () => {
    const rb = constantSize(200, 0.015, 3);
    const pb = path(rb);
    const h = 4, m = 10;
    const model = createFhsModel(market({ confidence: 0.99, horizonDays: h, seedReturns: m, horizonMethod: 'sqrt' }),
      { history: csv({ BTC: pb, ETH: path(constantSize(200, 0.01, 4)) }) });
    expect(model.scenarios.nScen).toBe(200 - m);
    const mult = model.fhs.spotMult;
    for (let s = 0; s < model.scenarios.nScen; s++) {
      const want = Math.exp(2 * Math.log(pb[m + s + 1] / pb[m + s]));
      expect(Math.abs(mult[s] - want), `s=${s}`).toBeLessThanOrEqual(1e-12 * want);
    }
  });

  it('a history of identical returns gives identical scenarios: ES = VaR = the h-day loss', () => {
    const c = -0.01, h = 2;
    const model = createFhsModel(market({ confidence: 0.99, horizonDays: h, seedReturns: 5 }),
      { history: csv({ BTC: path(Array(60).fill(c)), ETH: path(Array(60).fill(0.005)) }) });
    const r = ok(model.margin({ id: 'L', positions: [{ instrument: 'BTC-PERP', quantity: 1 }] }));
    const loss = S_BTC * (1 - Math.exp(h * c));
    expect(Math.abs(r.es! - loss)).toBeLessThanOrEqual(1e-9 * loss);
    expect(Math.abs(r.var! - loss)).toBeLessThanOrEqual(1e-9 * loss);
    // The short side gains in every scenario: ES < 0, margin 0.
    const s = ok(model.margin({ id: 'S', positions: [{ instrument: 'BTC-PERP', quantity: -1 }] }));
    expect(s.es!).toBeLessThan(0);
    expect(s.initialMargin).toBe(0);
  });

  it('follows the EWMA recursion on a small history computed by hand', () => {
    // BTC closes 100, 101, 99, 102, 100.5, 103: r_i = ln(P_{i+1}/P_i), i = 0..4; lambda 0.9, m = 2, h = 2.
    // v2 = (r0^2 + r1^2)/2, v3 = 0.9 v2 + 0.1 r2^2, v4 = 0.9 v3 + 0.1 r3^2, v5 = 0.9 v4 + 0.1 r4^2 (today);
    // f_i = r_i sqrt(v5 / v_i); scenarios end at i = 3 and 4: R = f2 + f3, f3 + f4.
    const P = [100, 101, 99, 102, 100.5, 103];
    const r = [Math.log(101 / 100), Math.log(99 / 101), Math.log(102 / 99), Math.log(100.5 / 102), Math.log(103 / 100.5)];
    const v2 = (r[0] ** 2 + r[1] ** 2) / 2;
    const v3 = 0.9 * v2 + 0.1 * r[2] ** 2;
    const v4 = 0.9 * v3 + 0.1 * r[3] ** 2;
    const v5 = 0.9 * v4 + 0.1 * r[4] ** 2;
    const f2 = r[2] * Math.sqrt(v5 / v2), f3 = r[3] * Math.sqrt(v5 / v3), f4 = r[4] * Math.sqrt(v5 / v4);
    const model = createFhsModel(market({ confidence: 0.5, horizonDays: 2, seedReturns: 2, lambda: 0.9 }),
      { history: csv({ BTC: P, ETH: [10, 11, 10.5, 10, 10.2, 10.1] }) });
    expect(model.scenarios.nScen).toBe(2);
    expect(model.fhs.dates).toEqual(days(6).slice(4));
    const want = [Math.exp(f2 + f3), Math.exp(f3 + f4)];
    for (let s = 0; s < 2; s++) expect(Math.abs(model.fhs.spotMult[s] - want[s]), `s=${s}`).toBeLessThanOrEqual(1e-14);
    const btc = model.market.underlyings.index.get('BTC')!;
    expect(Math.abs(model.fhs.sigmaToday[btc] - Math.sqrt(v5))).toBeLessThanOrEqual(1e-16);
    // IDLE has no instrument: it needs no history and does not move.
    const idle = model.market.underlyings.index.get('IDLE')!;
    expect(Number.isNaN(model.fhs.sigmaToday[idle])).toBe(true);
    expect(model.fhs.spotMult[idle * model.scenarios.stride]).toBe(1);
  });

  it('rescales to today\'s volatility: a volatile last month raises the margin above plain historical simulation', () => {
    const rng = new Rng(5);
    const returns = Array.from({ length: 300 }, (_, i) => rng.normal() * (i >= 270 ? 0.05 : 0.01));
    const history = csv({ BTC: path(returns), ETH: path(returns.map((x) => x / 2)) });
    const base = { confidence: 0.99, horizonDays: 1, seedReturns: 20 };
    const filtered = ok(createFhsModel(market({ ...base, lambda: 0.94 }), { history }).margin({ id: 'L', positions: [{ instrument: 'BTC-PERP', quantity: 1 }] }));
    const plain = ok(createFhsModel(market({ ...base, lambda: 1 }), { history }).margin({ id: 'L', positions: [{ instrument: 'BTC-PERP', quantity: 1 }] }));
    expect(filtered.es!).toBeGreaterThan(1.5 * plain.es!);
  });

  it('options are revalued at T - h/365 with unchanged implied vol (checked against the reference BSM)', () => {
    const model = createFhsModel(market({ confidence: 0.99, horizonDays: 2, seedReturns: 10 }),
      { history: csv({ BTC: path(constantSize(80, 0.03, 9)), ETH: path(constantSize(80, 0.01, 10)) }) });
    const ins = model.market.instruments;
    const i = ins.index.get('BTC-C')!;
    const cube = cubeView(model.cube);
    for (const s of [0, 17, model.scenarios.nScen - 1]) {
      const S1 = S_BTC * model.fhs.spotMult[s];
      const want = bsmPriceRef(true, S1, 100000, ins.T[i] - 2 / 365, 0.04, 0, 0.55) - bsmPriceRef(true, S_BTC, 100000, ins.T[i], 0.04, 0, 0.55);
      expect(Math.abs(cube[model.cube.row[i] * model.scenarios.stride + s] - want), `s=${s}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
    }
  });
});

describe('fhs: joint dates, stressed period, lookback', () => {
  it('keeps the cross-asset dependence: identical returns on the same dates hedge exactly', () => {
    const rng = new Rng(7);
    const returns = Array.from({ length: 200 }, () => rng.normal() * 0.02);
    const history = csv({ BTC: path(returns), ETH: path(returns, 30) });
    const model = createFhsModel(market({ confidence: 0.99, horizonDays: 2, seedReturns: 20 }), { history });
    const hedge = [{ instrument: 'BTC-PERP', quantity: 1 }, { instrument: 'ETH-PERP', quantity: -S_BTC / S_ETH }];
    const r = ok(model.margin({ id: 'h', positions: hedge }));
    expect(Math.abs(r.es!)).toBeLessThanOrEqual(1e-9 * S_BTC);
    // The same returns on other dates (reversed in time) no longer hedge.
    const shuffled = csv({ BTC: path(returns), ETH: path([...returns].reverse(), 30) });
    const r2 = ok(createFhsModel(market({ confidence: 0.99, horizonDays: 2, seedReturns: 20 }), { history: shuffled }).margin({ id: 'h', positions: hedge }));
    expect(r2.es!).toBeGreaterThan(0.01 * S_BTC);
  });

  it('adds the stressed period\'s unfiltered scenarios, even outside the lookback', () => {
    const rng = new Rng(11);
    const n = 300, h = 2;
    const returns = Array.from({ length: n }, (_, i) => rng.normal() * (i > 40 && i < 60 ? 0.08 : 0.01));
    const P = path(returns);
    const dates = days(n + 1);
    const from = dates[45], to = dates[55];
    const model = createFhsModel(market({ confidence: 0.99, horizonDays: h, seedReturns: 20, lookback: 100, stressedPeriod: { from, to } }),
      { history: csv({ BTC: P, ETH: path(returns.map((x) => -x)) }, dates) });
    const f = model.fhs;
    expect(f.nFiltered).toBe(100);
    expect(model.scenarios.nScen).toBe(111);
    expect(f.dates.slice(0, 100)).toEqual(dates.slice(n + 1 - 100));
    expect(f.dates.slice(100)).toEqual(dates.slice(45, 56));
    expect(Array.from(f.stressed.slice(99, 101))).toEqual([0, 1]);
    for (let c = 0; c < 11; c++) {
      const t = 45 + c;
      const want = P[t] / P[t - h];
      expect(Math.abs(f.spotMult[100 + c] - want), `stressed ${c}`).toBeLessThanOrEqual(1e-13 * want);
    }
    // The stressed scenarios drive the margin of a long: without them it is lower.
    const noStress = createFhsModel(market({ confidence: 0.99, horizonDays: h, seedReturns: 20, lookback: 100 }),
      { history: csv({ BTC: P, ETH: path(returns.map((x) => -x)) }, dates) });
    const pos = [{ instrument: 'BTC-PERP', quantity: 1 }];
    expect(ok(model.margin({ id: 'a', positions: pos })).es!).toBeGreaterThan(ok(noStress.margin({ id: 'b', positions: pos })).es!);
  });

  it('a stressed date inside the lookback appears twice, filtered and unfiltered', () => {
    const returns = constantSize(100, 0.02, 12);
    const dates = days(101);
    const model = createFhsModel(market({ confidence: 0.9, horizonDays: 1, seedReturns: 10, stressedPeriod: { from: dates[99], to: dates[100] } }),
      { history: csv({ BTC: path(returns), ETH: path(returns) }, dates) });
    expect(model.fhs.nFiltered).toBe(90);
    expect(model.fhs.dates.slice(-4)).toEqual([dates[99], dates[100], dates[99], dates[100]]);
  });

  it('is deterministic, and the order of the history\'s rows does not matter', () => {
    const rng = new Rng(13);
    const returns = Array.from({ length: 150 }, () => rng.normal() * 0.02);
    const text = csv({ BTC: path(returns), ETH: path(returns.map((x) => x * 0.7 + 0.001)) });
    const lines = text.trimEnd().split('\n');
    const shuffled = [lines[0], ...lines.slice(1).sort((a, b) => (a.split(',')[1] + a) < (b.split(',')[1] + b) ? 1 : -1)].join('\n');
    const fhs = { confidence: 0.975, horizonDays: 2, seedReturns: 15 };
    const a = createFhsModel(market(fhs), { history: text });
    const b = createFhsModel(market(fhs), { history: shuffled });
    const ids = a.market.instruments.ids;
    const book = Array.from({ length: 20 }, (_, k) => ({ id: `p${k}`,
      positions: Array.from({ length: rng.int(1, 4) }, () => ({ instrument: rng.pick(ids), quantity: rng.uniform(-3, 3) })) }));
    expect(JSON.stringify(b.marginAll(book))).toBe(JSON.stringify(a.marginAll(book)));
  });
});

describe('fhs: bad input, one message each', () => {
  const good = () => csv({ BTC: path(constantSize(60, 0.02, 1)), ETH: path(constantSize(60, 0.02, 2)) });
  const fhs = { confidence: 0.99, horizonDays: 2, seedReturns: 10 };
  const H = 'history.csv';

  it('a market without risk.fhs', () => {
    const m = resolveMarket(marketJson(undefined), 'market.json');
    expect(inputErrorMessage(() => createFhsModel(m, { history: good() })))
      .toBe('market.json: risk.fhs: the fhs method needs a risk.fhs block (or a preset), found none');
  });

  it('a history without an underlying the market\'s instruments need', () => {
    expect(inputErrorMessage(() => createFhsModel(market(fhs), { history: csv({ BTC: path(constantSize(60, 0.02, 1)) }) })))
      .toBe(`${H}: no prices for underlying "ETH" of the market; the history has BTC`);
  });

  it('a gap', () => {
    const lines = good().split('\n').filter((l) => l !== `${days(61)[30]},ETH,${path(constantSize(60, 0.02, 2))[30]}`);
    expect(inputErrorMessage(() => createFhsModel(market(fhs), { history: lines.join('\n') })))
      .toBe(`${H}: ETH has no price on ${days(61)[30]}, a date on which BTC has one (row 62); every underlying needs a price `
        + 'on every date of the history (gaps are not filled)');
  });

  it('a duplicate row and a non-positive price (parse errors surface through the model)', () => {
    const dup = good() + `${days(61)[3]},BTC,5\n`;
    expect(inputErrorMessage(() => createFhsModel(market(fhs), { history: dup })))
      .toBe(`${H}: row 124: a second price for BTC on ${days(61)[3]}; row 8 already gives one`);
    const neg = good().replace(/\n([0-9-]+),ETH,[^\n]+\n/, '\n$1,ETH,-1\n');
    expect(inputErrorMessage(() => createFhsModel(market(fhs), { history: neg })))
      .toMatch(/^history\.csv: row 3: price: ETH closes at -1 on [0-9-]+; a price must be > 0 \(its log return is undefined\)$/);
  });

  it('too few dates for the seed and the horizon', () => {
    const short = csv({ BTC: path(constantSize(11, 0.02, 1)), ETH: path(constantSize(11, 0.02, 2)) });
    expect(inputErrorMessage(() => createFhsModel(market(fhs), { history: short })))
      .toBe(`${H}: too few dates for the FHS horizon: the history has 12 dates (11 daily returns); the filter's seed takes 10 `
        + '(risk.fhs.seedReturns) and each 2-day overlapping scenario 1 more, leaving no scenario; it needs at least 13 dates');
    const sqrt = csv({ BTC: path(constantSize(10, 0.02, 1)), ETH: path(constantSize(10, 0.02, 2)) });
    expect(inputErrorMessage(() => createFhsModel(market({ ...fhs, horizonMethod: 'sqrt' }), { history: sqrt })))
      .toBe(`${H}: too few dates for the FHS horizon: the history has 11 dates (10 daily returns); the filter's seed takes 10 `
        + '(risk.fhs.seedReturns), leaving no scenario; it needs at least 12 dates');
  });

  it('too few dates for the lookback', () => {
    expect(inputErrorMessage(() => createFhsModel(market({ ...fhs, lookback: 100 }), { history: good() })))
      .toBe(`${H}: too few dates for risk.fhs.lookback 100: the history has 61 dates (60 daily returns); the filter's seed takes 10 `
        + '(risk.fhs.seedReturns) and each 2-day overlapping scenario 1 more, leaving 49 scenarios; it needs at least 112 dates');
  });

  it('a stressed period the history does not cover', () => {
    expect(inputErrorMessage(() => createFhsModel(market({ ...fhs, stressedPeriod: { from: '2020-03-01', to: '2020-04-30' } }), { history: good() })))
      .toBe(`${H}: risk.fhs.stressedPeriod: no scenario ends from 2020-03-01 to 2020-04-30: the history runs from ${days(61)[0]} `
        + `to ${END} and a 2-day scenario needs 2 earlier dates`);
  });

  it('a price that never moves (zero EWMA variance)', () => {
    const flat = csv({ BTC: Array(40).fill(100), ETH: path(constantSize(39, 0.02, 2)) });
    expect(inputErrorMessage(() => createFhsModel(market(fhs), { history: flat })))
      .toBe(`${H}: BTC: the EWMA variance is 0 on ${days(40)[10]} (the price did not move in the 10 seed returns or since); `
        + 'the filter cannot rescale returns by a zero volatility');
  });

  it('a history that ends after the market\'s asOf', () => {
    const late = csv({ BTC: path(constantSize(60, 0.02, 1)), ETH: path(constantSize(60, 0.02, 2)) }, days(61, '2026-11-21'));
    expect(inputErrorMessage(() => createFhsModel(market(fhs), { history: late })))
      .toBe(`${H}: row 122: date 2026-11-21 is after the market's asOf 2026-11-20; a history must end on or before it`);
  });

  // The FHS block itself: exact messages, and the JSON Schema agrees (schema: whether it can tell).
  const schema = JSON.parse(readFileSync(packageFile('schema', 'market.schema.json'), 'utf8'));
  const validate = new Ajv2020({ strictSchema: true, strictTypes: true, strictTuples: true, allErrors: true, logger: false }).compile(schema);
  const M = 'market.json: risk.fhs';
  const FIELDS = '$schema, description, version, confidence, horizonDays, lambda, seedReturns, horizonMethod, lookback, stressedPeriod, maintenanceRatio';
  const cases: [string, Record<string, unknown>, string, boolean][] = [
    ['confidence 1', { confidence: 1 }, `${M}.confidence: expected a number strictly between 0 and 1, got 1`, true],
    ['confidence missing', { confidence: undefined }, `${M}.confidence: expected a number strictly between 0 and 1, got nothing`, true],
    ['horizonDays 1.5', { horizonDays: 1.5 }, `${M}.horizonDays: expected a whole number >= 1, got 1.5`, true],
    ['horizonDays 0', { horizonDays: 0 }, `${M}.horizonDays: expected a whole number >= 1, got 0`, true],
    ['lambda 0', { lambda: 0 }, `${M}.lambda: expected a number in (0, 1], got 0`, true],
    ['lambda 1.2', { lambda: 1.2 }, `${M}.lambda: expected a number in (0, 1], got 1.2`, true],
    ['seedReturns 0', { seedReturns: 0 }, `${M}.seedReturns: expected a whole number >= 1, got 0`, true],
    ['horizonMethod', { horizonMethod: 'sum' }, `${M}.horizonMethod: expected "overlapping" or "sqrt", got "sum"`, true],
    ['lookback 0', { lookback: 0 }, `${M}.lookback: expected a whole number >= 1, got 0`, true],
    ['stressedPeriod a string', { stressedPeriod: '2020' },
      `${M}.stressedPeriod: expected a JSON object such as { "from": "2020-02-20", "to": "2020-04-30" }, got "2020"`, true],
    ['stressedPeriod bad day', { stressedPeriod: { from: '2020-02-30', to: '2020-04-30' } },
      `${M}.stressedPeriod.from: expected a day YYYY-MM-DD such as "2020-03-02", got "2020-02-30"`, false],
    ['stressedPeriod to missing', { stressedPeriod: { from: '2020-02-20' } },
      `${M}.stressedPeriod.to: expected a day YYYY-MM-DD such as "2020-03-02", got nothing`, true],
    ['stressedPeriod reversed', { stressedPeriod: { from: '2020-04-30', to: '2020-02-20' } },
      `${M}.stressedPeriod: the period ends (2020-02-20) before it starts (2020-04-30)`, false],
    ['stressedPeriod unknown field', { stressedPeriod: { from: '2020-02-20', to: '2020-04-30', filtered: true } },
      `${M}.stressedPeriod.filtered: unknown field for a stressed period (expected one of: from, to)`, true],
    ['unknown field', { lamda: 0.9 }, `${M}.lamda: unknown field for an FHS block; did you mean "lambda"? (expected one of: ${FIELDS})`, true],
    ['maintenanceRatio 0', { maintenanceRatio: 0 }, `${M}.maintenanceRatio: expected a number in (0, 1] (maintenance margin = ratio x initial margin, at most the initial margin), got 0`, true],
    ['maintenanceRatio above 1', { maintenanceRatio: 1.2 }, `${M}.maintenanceRatio: expected a number in (0, 1] (maintenance margin = ratio x initial margin, at most the initial margin), got 1.2`, true],
  ];
  for (const [name, edit, want, schemaTells] of cases) {
    it(`the block: ${name}`, () => {
      const block: Record<string, unknown> = { ...fhs, ...edit };
      for (const k of Object.keys(block)) if (block[k] === undefined) delete block[k];
      const json = marketJson(block);
      expect(inputErrorMessage(() => resolveMarket(json, 'market.json'))).toBe(want);
      if (schemaTells) expect(validate(json), `schema accepted ${JSON.stringify(block)}`).toBe(false);
    });
  }

  it('a valid block passes the schema and fills the defaults', () => {
    const json = marketJson({ confidence: 0.99, horizonDays: 2, stressedPeriod: { from: '2020-02-20', to: '2020-04-30' } });
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(resolveMarket(json, 'market.json').risk.fhs).toEqual({
      confidence: 0.99, horizonDays: 2, lambda: 0.97, seedReturns: 30, horizonMethod: 'overlapping', maintenanceRatio: 1,
      stressedPeriod: { from: '2020-02-20', to: '2020-04-30' },
    });
  });
});

describe('fhs: presets and the bundled example', () => {
  it('ships the PRISMA-like preset, which runs on the example market and history', () => {
    expect(methodPresetNames('fhs')).toEqual(['prisma-fhs']);
    const spec = loadFhsPreset('prisma-fhs');
    expect(spec).toMatchObject({ confidence: 0.99, horizonDays: 2, lambda: 0.97, horizonMethod: 'overlapping', lookback: 750 });
    const { preset, ...block } = spec;
    expect(preset).toEqual({ name: 'prisma-fhs', version: '2026-12-1' });
    expect(validateFhs(JSON.parse(readFileSync(packageFile('presets', 'fhs', 'prisma-fhs.json'), 'utf8')), 'p', '')).toEqual(block);
    const m = resolveMarket(JSON.parse(readFileSync(packageFile('examples', 'market.json'), 'utf8')), 'examples/market.json');
    const model = createFhsModel(m, { fhs: spec, history: readFileSync(packageFile('examples', 'history.csv'), 'utf8') });
    expect(model).toBeInstanceOf(FhsModel);
    expect(model.scenarios.nScen).toBe(750);
    expect(model.fhs.dates[749]).toBe('2026-11-20');
    const r = ok(model.margin({ id: 'L', positions: [{ instrument: 'BTC-PERP', quantity: 1 }] }));
    // A 2-day 99 % ES of a 97,000 USD long with a realised vol of about 55-70 % a year: a few percent.
    expect(r.es! / S_BTC).toBeGreaterThan(0.03);
    expect(r.es! / S_BTC).toBeLessThan(0.3);
  });

  it('ships the STANS-like ES preset, which keeps the market\'s correlations, and grid presets stay grid-only', () => {
    expect(methodPresetNames('es')).toEqual(['stans']);
    expect(methodPresetNames('grid')).not.toContain('stans');
    const bare = loadEsPreset('stans');
    expect(bare).toMatchObject({ confidence: 0.99, horizonDays: 2, distribution: 'student-t', degreesOfFreedom: 4, correlations: [] });
    const m = resolveMarket(JSON.parse(readFileSync(packageFile('examples', 'market.json'), 'utf8')), 'examples/market.json');
    const spec = loadEsPreset('stans', m);
    expect(spec.correlations).toEqual(m.risk.es!.correlations);
    expect(spec.confidence).toBe(0.99);
    expect(inputErrorMessage(() => loadEsPreset('nope'))).toBe('--preset: unknown es preset "nope"; expected one of stans');
  });

  it('the example history is what its committed script writes (same bytes)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'margin-history-'));
    const out = join(dir, 'history.csv');
    const r = spawnSync(process.execPath, [packageFile('scripts', 'make-example-history.mjs'), out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(packageFile('examples', 'history.csv'), 'utf8'));
    expect(readFileSync(out).length).toBeLessThan(2 * 1024 * 1024);
  });
});

describe('fhs: the command line (built dist/src/cli/main.js)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'margin-fhs-cli-'));
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const marketPath = join(dir, 'market.json');
  writeFileSync(marketPath, JSON.stringify(marketJson({ confidence: 0.975, horizonDays: 2, seedReturns: 10 })));
  const historyPath = join(dir, 'history.csv');
  writeFileSync(historyPath, csv({ BTC: path(constantSize(120, 0.02, 1)), ETH: path(constantSize(120, 0.03, 2)) }));
  const bookPath = join(dir, 'book.csv');
  writeFileSync(bookPath, 'portfolio,instrument,quantity\nA,BTC-PERP,1\nB,NOPE,1\nC,ETH-PERP,-3\nC,BTC-C,2\n');

  it('runs --method fhs with --history: var and es columns, one row per portfolio', () => {
    const r = cli(['run', '--method', 'fhs', '--market', marketPath, '--portfolios', bookPath, '--history', historyPath]);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('portfolio,method,initial_margin,maintenance_margin,status,error,var,es,currency');
    expect(lines.length).toBe(4);
    const [id, method, im, mm, status, , v, es] = lines[1].split(',');
    expect([id, method, status]).toEqual(['A', 'fhs', 'ok']);
    expect(Number(im)).toBe(Math.max(Number(es), 0));
    expect(Number(mm)).toBe(Number(im));
    expect(Number(es)).toBeGreaterThanOrEqual(Number(v));
    expect(lines[2]).toBe('B,fhs,,,error,"unknown instrument ""NOPE""",,,USD');
    // The same number as the in-process model.
    const model = createFhsModel(market({ confidence: 0.975, horizonDays: 2, seedReturns: 10 }), { history: readFileSync(historyPath, 'utf8') });
    expect(Number(es)).toBe(ok(model.margin({ id: 'A', positions: [{ instrument: 'BTC-PERP', quantity: 1 }] })).es);
  });

  it('runs the PRISMA-like preset on the bundled example', () => {
    const book = join(dir, 'ex.csv');
    writeFileSync(book, 'portfolio,instrument,quantity\nX,BTC-PERP,1\nX,ETH-PERP,-10\n');
    const r = cli(['run', '--method', 'fhs', '--preset', 'prisma-fhs', '--market', packageFile('examples', 'market.json'),
      '--portfolios', book, '--history', packageFile('examples', 'history.csv')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')[1]).toMatch(/^X,fhs,[0-9.e+-]+,[0-9.e+-]+,ok,,/);
  });

  it('exits 2 without --history, with --history for another method, and for a bad history naming file and row', () => {
    const a = cli(['run', '--method', 'fhs', '--market', marketPath, '--portfolios', bookPath]);
    expect(a.code).toBe(2);
    expect(a.err).toBe('margin-engine: --method fhs needs --history FILE (CSV date,underlying,price)\n');
    const b = cli(['run', '--method', 'grid', '--market', marketPath, '--portfolios', bookPath, '--history', historyPath]);
    expect(b.code).toBe(2);
    expect(b.err).toBe('margin-engine: --history: a price history applies to --method fhs\n');
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'date,underlying,price\n2026-11-19,BTC,0\n');
    const c = cli(['run', '--method', 'fhs', '--market', marketPath, '--portfolios', bookPath, '--history', bad]);
    expect(c.code).toBe(2);
    expect(c.err).toBe(`margin-engine: ${bad}: row 2: price: BTC closes at 0 on 2026-11-19; a price must be > 0 (its log return is undefined)\n`);
    const missing = cli(['run', '--method', 'fhs', '--market', marketPath, '--portfolios', bookPath, '--history', join(dir, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--history .*nope\.csv: cannot read/);
  });
});
