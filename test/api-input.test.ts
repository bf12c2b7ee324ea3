/**
 * The public API under bad input, imported by the package's own name: every bad portfolio object
 * is an error result with a code and a message (never a throw that loses the batch), on every
 * method and on the batch engine's object input; objects with one id are one portfolio, as rows of
 * a file are.
 *
 * Hand-worked numbers (examples/market.json, its grid): BTC spot 97,000, BTC-PERP contract size 1;
 * the grid's largest up move for a short is +16 % at cover 1 (the +50 % point has cover 0.3:
 * 0.5 x 0.3 = 0.15 < 0.16), so q short perpetuals margin q x 97,000 x 0.16 and no option minimum.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import * as api from 'margin-engine';
import type { MarginModel, MarginResult, PortfolioLike } from 'margin-engine';

const root = fileURLToPath(new URL('..', import.meta.url));
const marketText = readFileSync(`${root}examples/market.json`, 'utf8');
const market = api.parseMarket(marketText, 'market.json');
const SHORT_PERP = 97000 * 0.16; // per contract, see the header
const TOL = 1e-9; // relative: the margin is one product and a max

const grid = api.createGridModel(market);
const es = api.createEsModel(market, { es: api.validateEs({ ...(JSON.parse(marketText).risk.es), scenarios: 2000 }, 'test', 'es', market) });
const stressed = api.createMarginModel(market, {
  allocation: true,
  stress: api.validateStress({ scenarios: [{ name: 'up', spot: { BTC: 0.3 } }] }, 'test', 'stress', market),
});
const MODELS: [string, MarginModel][] = [['grid', grid], ['es', es], ['grid + stress + allocation', stressed]];

/** A bad portfolio object, the code and a piece of the message it must give. */
const BAD: [string, unknown, string, string][] = [
  ['null', null, 'E_PORTFOLIO', 'a portfolio must be an object'],
  ['a number', 5, 'E_PORTFOLIO', 'a portfolio must be an object'],
  ['a string', 'P1', 'E_PORTFOLIO', 'a portfolio must be an object'],
  ['an array', [], 'E_PORTFOLIO', 'a portfolio must be an object'],
  ['no id', { positions: [] }, 'E_PORTFOLIO', 'id: expected a string, got nothing'],
  ['a number id', { id: 42, positions: [] }, 'E_PORTFOLIO', 'id: expected a string, got 42'],
  ['no positions', { id: 'X' }, 'E_PORTFOLIO', 'positions: expected a list of positions'],
  ['positions null', { id: 'X', positions: null }, 'E_PORTFOLIO', 'got null'],
  ['positions an object', { id: 'X', positions: { instrument: 'BTC-PERP', quantity: 1 } }, 'E_PORTFOLIO', 'positions: expected a list'],
  ['a position null', { id: 'X', positions: [{ instrument: 'BTC-PERP', quantity: 1 }, null] }, 'E_PORTFOLIO', 'position 2: expected an object'],
  ['a position a number', { id: 'X', positions: [7] }, 'E_PORTFOLIO', 'position 1: expected an object'],
  ['instrument a number', { id: 'X', positions: [{ instrument: 5, quantity: 1 }] }, 'E_PORTFOLIO', 'position 1: instrument 5 is not a string'],
  ['no quantity', { id: 'X', positions: [{ instrument: 'BTC-PERP' }] }, 'E_PORTFOLIO', 'quantity nothing is not a finite number'],
  ['quantity a string', { id: 'X', positions: [{ instrument: 'BTC-PERP', quantity: '1' }] }, 'E_PORTFOLIO', 'quantity "1" is not a finite number'],
  ['quantity NaN', { id: 'X', positions: [{ instrument: 'BTC-PERP', quantity: NaN }] }, 'E_PORTFOLIO', 'quantity NaN is not a finite number'],
  ['quantity Infinity', { id: 'X', positions: [{ instrument: 'BTC-PERP', quantity: -Infinity }] }, 'E_PORTFOLIO', 'quantity -Infinity'],
  ['a bad quantity after an unknown instrument', { id: 'X', positions: [{ instrument: 'NOPE', quantity: 1 }, { instrument: 'BTC-PERP', quantity: null }] },
    'E_PORTFOLIO', 'position 2 ("BTC-PERP"): quantity null'],
  ['an unknown instrument', { id: 'X', positions: [{ instrument: 'NOPE', quantity: 1 }] }, 'E_UNKNOWN_INSTRUMENT', 'unknown instrument "NOPE"'],
  ['a reader\'s error entry', { id: 'X', error: 'row 3: quantity "abc" is not a finite number' }, 'E_PORTFOLIO', 'row 3: quantity "abc"'],
  ['an error that is not a string', { id: 'X', error: 5 }, 'E_PORTFOLIO', 'error: expected a string'],
];

function expectError(r: MarginResult, code: string, part: string, id: string): void {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.code).toBe(code);
  expect(typeof r.message).toBe('string');
  expect(r.message).toContain(part);
  expect(r.portfolio).toBe(id);
}

const idOf = (p: unknown) => (typeof p === 'object' && p !== null && typeof (p as { id?: unknown }).id === 'string' ? (p as { id: string }).id : '');
const good: PortfolioLike = { id: 'G', positions: [{ instrument: 'BTC-PERP', quantity: -2 }] };

describe('bad portfolio objects are error results, never throws', () => {
  for (const [name, model] of MODELS) {
    it(`${name}: margin() of each bad object gives its code and message`, () => {
      for (const [what, p, code, part] of BAD) {
        let r: MarginResult | undefined;
        expect(() => { r = model.margin(p as PortfolioLike); }, what).not.toThrow();
        expectError(r!, code, part, idOf(p));
      }
    });

    it(`${name}: marginAll() gives one result per object, the good ones untouched`, () => {
      // Distinct ids so that no two are one portfolio.
      const input = BAD.map(([, p], k) => (idOf(p) === 'X' ? { ...(p as object), id: `X${k}` } : p));
      const all = model.marginAll([good, ...input, { ...good, id: 'G2' }] as PortfolioLike[]);
      expect(all.length).toBe(BAD.length + 2);
      const one = model.margin(good);
      expect(one.ok).toBe(true);
      for (const r of [all[0], all[all.length - 1]]) {
        expect(r.ok).toBe(true);
        if (r.ok && one.ok) expect(r.initialMargin).toBe(one.initialMargin);
      }
      BAD.forEach(([, p, code, part], k) => {
        const r = all[k + 1];
        const id = idOf(p) === 'X' ? `X${k}` : '';
        expectError(r, code, part, id);
        // An object without a usable id is named by its place in the input (1-based).
        if (id === '') expect((r as { message: string }).message).toContain(`portfolio ${k + 2} of the input`);
      });
    });
  }

  it('grid: a short perpetual margins its hand-worked value', () => {
    const r = grid.margin(good);
    expect(r.ok).toBe(true);
    if (r.ok) expect(Math.abs(r.initialMargin - 2 * SHORT_PERP)).toBeLessThan(TOL * 2 * SHORT_PERP);
  });

  it('marginAll() of something that is not a list throws an InputError naming it', () => {
    expect(() => grid.marginAll(null as unknown as PortfolioLike[])).toThrow(/portfolios: expected a list/);
    expect(() => grid.marginAll(5 as unknown as PortfolioLike[])).toThrow(api.InputError);
  });
});

describe('objects with one id are one portfolio, at its first appearance', () => {
  const split: PortfolioLike[] = [
    { id: 'A', positions: [{ instrument: 'BTC-PERP', quantity: -2 }] },
    { id: 'B', positions: [{ instrument: 'BTC-PERP', quantity: -1 }] },
    { id: 'A', positions: [{ instrument: 'BTC-PERP', quantity: -1 }] },
    { id: 'C', positions: [{ instrument: 'BTC-PERP', quantity: -2 }] },
    { id: 'C', positions: [{ instrument: 'BTC-PERP', quantity: 2 }] },
  ];

  function checkSplit(all: MarginResult[]): void {
    expect(all.map((r) => r.portfolio)).toEqual(['A', 'B', 'C']);
    const im = all.map((r) => (r.ok ? r.initialMargin : NaN));
    expect(Math.abs(im[0] - 3 * SHORT_PERP)).toBeLessThan(TOL * 3 * SHORT_PERP); // -2 and -1 together
    expect(Math.abs(im[1] - SHORT_PERP)).toBeLessThan(TOL * SHORT_PERP);
    expect(im[2]).toBe(0); // -2 and +2 net to nothing
  }

  it('in-process marginAll (grid)', () => checkSplit(grid.marginAll(split)));
  it('in-process marginAll (grid + stress + allocation)', () => {
    const all = stressed.marginAll(split);
    checkSplit(all);
    const a = all[0];
    // The allocation is over the netted position: one BTC-PERP of quantity -3.
    if (a.ok) expect(a.allocation!.map((s) => [s.instrument, s.quantity])).toEqual([['BTC-PERP', -3]]);
  });

  it('engine.marginAll over objects (an array, an async iterable, an object-mode stream)', async () => {
    const engine = await api.createBatchEngine({ market, threads: 1 });
    try {
      checkSplit(await engine.marginAll(split));
      checkSplit(await engine.marginAll((async function* () { yield* split; })()));
      checkSplit(await engine.marginAll(Readable.from(split)));
    } finally {
      await engine.close();
    }
  });

  it('an id with a bad object is one error result naming which object', () => {
    const input = [split[0], { id: 'A', positions: null }, split[1]] as PortfolioLike[];
    const all = grid.marginAll(input);
    expect(all.length).toBe(2);
    expectError(all[0], 'E_PORTFOLIO', 'positions: expected a list', 'A');
    expect((all[0] as { message: string }).message).toContain('object 2 of the 2 with the id "A"');
    expect(all[1].ok).toBe(true);
  });
});

describe('the batch engine\'s object input: bad objects are error rows, the batch goes on', () => {
  it('engine.marginAll and engine.run give the in-process results', async () => {
    const input = [good, ...BAD.map(([, p], k) => (idOf(p) === 'X' ? { ...(p as object), id: `X${k}` } : p))] as PortfolioLike[];
    const inProcess = grid.marginAll(input);
    const engine = await api.createBatchEngine({ market, threads: 1 });
    try {
      const results = await engine.marginAll(input);
      expect(results.length).toBe(input.length);
      for (let k = 0; k < results.length; k++) {
        const r = results[k], q = inProcess[k];
        expect(r.portfolio).toBe(q.portfolio);
        expect(r.ok).toBe(q.ok);
        if (!r.ok && !q.ok) {
          expect(r.code).toBe(q.code);
          expect(r.message).toBe(q.message);
        }
        if (r.ok && q.ok) expect(r.initialMargin).toBe(q.initialMargin);
      }
      let text = '';
      const { Writable } = await import('node:stream');
      const sink = new Writable({ write(chunk, _e, cb) { text += chunk.toString(); cb(); } });
      const summary = await engine.run(input, sink);
      expect(summary.portfolios).toBe(input.length);
      expect(summary.errors).toBe(BAD.length);
      await expect(engine.marginAll(null as unknown as PortfolioLike[])).rejects.toThrow(/input: expected a byte stream or portfolio objects/);
    } finally {
      await engine.close();
    }
  });
});

describe('objects given to the public entry points: validated with a message, or accepted in their JSON form', () => {
  const stressJson = JSON.parse(readFileSync(`${root}examples/stress.json`, 'utf8'));
  const accountsText = readFileSync(`${root}examples/accounts.json`, 'utf8');
  const accountMarket = api.parseAccountMarket(marketText, 'market.json');

  it('createMarginModel({ stress }) takes a stress file as parsed JSON: the same numbers as validateStress, hand-worked', () => {
    const fromJson = api.createMarginModel(market, { stress: stressJson }).margin(good);
    const fromSpec = api.createMarginModel(market, { stress: api.validateStress(stressJson, 'stress.json', '', market) }).margin(good);
    expect(fromJson).toEqual(fromSpec);
    expect(fromJson.ok).toBe(true);
    if (!fromJson.ok) return;
    // Short 2 BTC-PERP: the worst scenario is "Crypto squeeze" (BTC +25 %): loss 2 x 97,000 x 0.25;
    // floor = cover 0.5 x that = 24,250 < the grid's 31,040, so not floored.
    const st = fromJson.stress!;
    expect(st.scenario).toBe('Crypto squeeze');
    expect(Math.abs(st.loss - 48500)).toBeLessThan(48500 * TOL);
    expect(Math.abs(st.floor! - 24250)).toBeLessThan(24250 * TOL);
    expect(st.floored).toBe(false);
    expect(Math.abs(fromJson.initialMargin - 2 * SHORT_PERP)).toBeLessThan(TOL * 2 * SHORT_PERP);
    // new StressTest takes it too.
    expect(new api.StressTest(market, stressJson).scenarios.nScen).toBe(5);
  });

  it('a bad stress, grid, es or fhs block is an InputError naming the option and the field', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => api.createMarginModel(market, { stress: { scenarios: [{ name: 'x', spot: { BTC: -2 } }] } as never }), /^options: stress\.scenarios\[0\]\.spot\.BTC: /],
      [() => api.createMarginModel(market, { stress: { scenarios: [{ name: 'x', spot: { NOPE: 0.1 } }] } as never }), /unknown underlying "NOPE"/],
      [() => api.createMarginModel(market, { stress: 'stress.json' as never }), /^options: stress: expected/],
      [() => api.createGridModel(market, { grid: { points: 'many' } as never }), /^options: grid/],
      [() => api.createEsModel(market, { es: { confidence: 0.99 } as never }), /^options: es/],
      [() => api.createMarginModel(market, { method: 'fhs', fhs: { confidence: 2 } as never, history: 'date,underlying,price\n' }), /^options: fhs/],
      [() => api.createFhsModel(market, { fhs: api.loadFhsPreset('prisma-fhs', market), history: 5 as never }), /^history: expected CSV text/],
    ];
    for (const [f, message] of cases) {
      expect(f).toThrow(api.InputError);
      expect(f).toThrow(message);
    }
  });

  it('a grid given as its JSON form is validated and gives the validated grid\'s numbers', () => {
    const json = JSON.parse(readFileSync(`${root}presets/crypto.json`, 'utf8'));
    const a = api.createGridModel(market, { grid: json }).margin(good);
    const b = api.createGridModel(market, { grid: api.loadPreset('crypto', market) }).margin(good);
    // The same numbers; only the preset's block says it is the preset (a copy of its JSON is not).
    const { preset, ...numbers } = b as typeof b & { preset?: unknown };
    expect(preset).toEqual({ name: 'crypto', version: api.presetVersion('crypto', 'grid') });
    expect(a).toEqual(numbers);
    expect(a.ok).toBe(true);
  });

  it('a market that is not a ResolvedMarket is an InputError saying what to pass', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => api.createGridModel(accountMarket as never), /^createGridModel: expected a market from parseMarket or resolveMarket, got an AccountMarket \(parseAccountMarket\); pass its \.market$/],
      [() => api.createEsModel({} as never), /^createEsModel: expected a market from parseMarket/],
      [() => api.createMarginModel(null as never), /^createMarginModel: expected a market/],
      [() => api.valueMarket('market.json' as never), /^valueMarket: expected a market/],
      [() => new api.StressTest({} as never, stressJson), /^StressTest: expected a market/],
    ];
    for (const [f, message] of cases) {
      expect(f).toThrow(api.InputError);
      expect(f).toThrow(message);
    }
  });

  it('createBatchEngine with a wrong market rejects with an InputError', async () => {
    await expect(api.createBatchEngine({ market: accountMarket as never, threads: 1 })).rejects.toThrow(/^createBatchEngine: market: expected a market .* pass its \.market$/);
    await expect(api.createBatchEngine({ market: undefined as never })).rejects.toThrow(api.InputError);
  });

  it('parseAccounts takes either market type; anything else is an InputError; so do marginAccounts and MarginBook', () => {
    const viaResolved = api.parseAccounts(accountsText, 'accounts.json', accountMarket.market);
    const viaAccountMarket = api.parseAccounts(accountsText, 'accounts.json', accountMarket);
    expect(viaAccountMarket).toEqual(viaResolved);
    expect(viaResolved.accounts.length).toBe(8);
    expect(() => api.parseAccounts(accountsText, 'accounts.json', null as never)).toThrow(/^parseAccounts: market: expected a market from parseAccountMarket/);
    expect(() => api.resolveAccounts(JSON.parse(accountsText), 'accounts.json', {} as never)).toThrow(api.InputError);

    const expected = api.marginAccounts(accountMarket, viaResolved);
    expect(api.marginAccounts(market as never, viaResolved)).toEqual(expected); // a v1 market: no inverse instruments
    expect(() => api.marginAccounts({} as never, viaResolved)).toThrow(/^marginAccounts: market: expected a market/);
    expect(() => new api.MarginBook(5 as never, viaResolved)).toThrow(/^MarginBook: market: expected a market/);
    expect(new api.MarginBook(market as never, viaResolved).marginAll().map((r) => r.initialMargin))
      .toEqual(new api.MarginBook(accountMarket, viaResolved).marginAll().map((r) => r.initialMargin));
  });

  it('other entry points: text that is not text, a preset against a wrong market, an account file that is not one, an output that is not a stream', async () => {
    const cases: [() => unknown, RegExp][] = [
      [() => api.parseMarket(null as never, 'market.json'), /^market\.json: expected the market's JSON text, got null \(for a parsed value: resolveMarket\)$/],
      [() => api.parseMarket(JSON.parse(marketText), 'market.json'), /^market\.json: expected the market's JSON text/],
      [() => api.loadPreset('crypto', {} as never), /^loadPreset: expected a market/],
      [() => api.loadEsPreset('stans', accountMarket as never), /^loadEsPreset: .*pass its \.market$/],
      [() => api.loadFhsPreset('prisma-fhs', 5 as never), /^loadFhsPreset: expected a market/],
      [() => api.marginAccounts(accountMarket, null as never), /^marginAccounts: file: expected an account file/],
      [() => new api.MarginBook(accountMarket, JSON.parse(accountsText)), /^MarginBook: file: expected an account file from parseAccounts/],
      [() => api.withAllocation({} as never), /^withAllocation: expected a grid, es or fhs model/],
    ];
    for (const [f, message] of cases) {
      expect(f).toThrow(api.InputError);
      expect(f).toThrow(message);
    }
    const engine = await api.createBatchEngine({ market, threads: 1 });
    try {
      await expect(engine.run([good], null as never)).rejects.toThrow(/^run: output: expected a Writable stream$/);
    } finally {
      await engine.close();
    }
  });
});
