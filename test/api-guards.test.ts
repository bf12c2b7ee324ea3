// Public entry points given a wrong argument (null, {}, a value of the wrong type) throw the
// engine's InputError with a message saying what was expected (issue 9, item 24), never a
// TypeError or a property error from deep inside: one test per message.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { packageFile } from '../src/paths.js';
import { replaySteps } from '../src/book/replay.js';
import type { MarginResult } from '../src/results.js';

const MARKET_TEXT = readFileSync(packageFile('examples', 'market.json'), 'utf8');
const market = api.parseMarket(MARKET_TEXT, 'market.json');
const accountMarket = api.parseAccountMarket(MARKET_TEXT, 'market.json');
const accounts = api.parseAccounts(readFileSync(packageFile('examples', 'accounts.json'), 'utf8'), 'accounts.json', accountMarket);
const history = api.parseHistoryCsv(readFileSync(packageFile('examples', 'history.csv'), 'utf8'), 'history.csv');
const base = { raw: (JSON.parse(MARKET_TEXT) as { risk: { grid: unknown } }).risk.grid, source: 'market.json', path: 'risk.grid' };

/** The error `f` throws; it must be an InputError (name and code) with a one-line message. */
function inputError(f: () => unknown): { message: string; code: string } {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'no error thrown').toBeDefined();
  expect(caught).toBeInstanceOf(api.InputError);
  expect(api.isInputError(caught)).toBe(true);
  const e = caught as api.InputError;
  expect(e.code).toBe('E_INPUT');
  expect(e.message).not.toMatch(/\n/);
  return e;
}

const msg = (f: () => unknown) => inputError(f).message;

describe('parsePortfolios, parsePortfoliosCsv, parsePortfoliosNdjson', () => {
  const TEXT = 'expected the file\'s text (a string) or its UTF-8 bytes (a Uint8Array or Buffer)';
  it('text that is neither a string nor bytes', () => {
    for (const f of ['parsePortfolios', 'parsePortfoliosCsv', 'parsePortfoliosNdjson'] as const) {
      const parse = api[f] as (t: unknown, s?: unknown, o?: unknown) => unknown;
      expect(msg(() => parse(null))).toBe(`${f}: text: ${TEXT}, got null`);
      expect(msg(() => parse(undefined))).toBe(`${f}: text: ${TEXT}, got nothing`);
      expect(msg(() => parse({}))).toBe(`${f}: text: ${TEXT}, got {}`);
      expect(msg(() => parse(42))).toBe(`${f}: text: ${TEXT}, got 42`);
      expect(msg(() => parse(new ArrayBuffer(4)))).toBe(`${f}: text: ${TEXT}, got an ArrayBuffer`);
    }
  });
  it('a source that is not a string', () => {
    expect(msg(() => api.parsePortfolios('portfolio,instrument,quantity\n', 42 as unknown as string)))
      .toBe('parsePortfolios: source: expected the input\'s name (a string, such as "book.csv"), got 42');
  });
  it('options that are not an object, an onWarning that is not a function', () => {
    expect(msg(() => api.parsePortfolios('portfolio,instrument,quantity\n', 'a.csv', null as never)))
      .toBe('parsePortfolios: options: expected { onWarning? } (or nothing), got null');
    expect(msg(() => api.parsePortfoliosCsv('portfolio,instrument,quantity\nA,B,1', 'a.csv', { onWarning: 3 as never })))
      .toBe('parsePortfoliosCsv: options.onWarning: expected a function (message: string) => void, got 3');
  });
  it('strings and bytes still parse (the guard refuses nothing valid)', () => {
    const text = 'portfolio,instrument,quantity\nP1,BTC-PERP,-2\n';
    const a = api.parsePortfolios(text, 'a.csv'), b = api.parsePortfolios(Buffer.from(text), 'a.csv');
    expect(a).toEqual([{ id: 'P1', positions: [{ instrument: 'BTC-PERP', quantity: -2 }] }]);
    expect(b).toEqual(a);
  });
});

describe('calibrate, calibratedMarket, formatReport, resolveSettings', () => {
  const input = { history, market, base };
  it('calibrate(null) and calibrate of a non-object', () => {
    const TAIL = 'expected { history, market, base[, previous] } (a price history, a market and a grid source)';
    expect(msg(() => api.calibrate(null as never))).toBe(`calibrate: input: ${TAIL}, got null`);
    expect(msg(() => api.calibrate(undefined as never))).toBe(`calibrate: input: ${TAIL}, got nothing`);
    expect(msg(() => api.calibrate('history.csv' as never))).toBe(`calibrate: input: ${TAIL}, got "history.csv"`);
  });
  it('calibrate({}): the market first', () => {
    expect(msg(() => api.calibrate({} as never))).toBe('calibrate: input.market: expected a market from parseMarket or resolveMarket, got nothing');
  });
  it('calibrate without a price history', () => {
    expect(msg(() => api.calibrate({ market, base, history: 'date,underlying,price' } as never)))
      .toBe('calibrate: input.history: expected a price history from parseHistoryCsv, got "date,underlying,price"');
  });
  it('calibrate with a base or previous that is not a grid source', () => {
    const TAIL = 'expected a grid source { raw, source[, path] } (the grid\'s JSON and where it came from)';
    expect(msg(() => api.calibrate({ market, history, base: 'span-16' } as never))).toBe(`calibrate: input.base: ${TAIL}, got "span-16"`);
    expect(msg(() => api.calibrate({ market, history, base, previous: { raw: {} } } as never)))
      .toBe(`calibrate: input.previous: ${TAIL}, got {"raw":{}}`);
  });
  it('calibrate with options that are not an object (and resolveSettings)', () => {
    const WANT = 'options: expected an object of calibration options ({ lambda?, k?, mporDays?, apc?, ... }) or nothing, got';
    expect(msg(() => api.calibrate(input, null as never))).toBe(`${WANT} null`);
    expect(msg(() => api.calibrate(input, 0.94 as never))).toBe(`${WANT} 0.94`);
    expect(msg(() => api.resolveSettings(null as never))).toBe(`${WANT} null`);
  });
  it('a valid calibration still runs; formatReport and calibratedMarket of a wrong value', () => {
    const r = api.calibrate(input);
    expect(r.underlyings.length).toBeGreaterThan(0);
    expect(api.formatReport(r)).toMatch(/^calibration: k 3, lambda 0.94/);
    expect(msg(() => api.formatReport(null as never))).toBe('formatReport: result: expected a result of calibrate(), got null');
    expect(msg(() => api.calibratedMarket(JSON.parse(MARKET_TEXT), {} as never, false)))
      .toBe('calibratedMarket: result: expected a result of calibrate(), got {}');
    expect(msg(() => api.calibratedMarket(null, r, false)))
      .toBe('calibratedMarket: marketJson: expected the market\'s JSON (an object with underlyings), got null');
  });
});

describe('MarginBook.apply, MarginBook.whatIf, replay', () => {
  const book = () => new api.MarginBook(accountMarket, accounts);
  const id = accounts.accounts[0].id;
  it('book.apply(null)', () => {
    expect(msg(() => book().apply(null as never))).toBe('book.apply: event: expected an event from parseEvent or parseEventLine '
      + '(such as { type: "price", underlying: "BTC", spot: 95000 }), got null');
  });
  it('book.apply({ type: "nonsense" })', () => {
    expect(msg(() => book().apply({ type: 'nonsense' } as never)))
      .toBe('book.apply: event: type: expected one of "price", "vol", "trade", "transfer", "whatif", got "nonsense"');
  });
  it('book.apply of an event missing a field, or with a tMs that is not its t', () => {
    expect(msg(() => book().apply({ type: 'whatif', account: id } as never))).toMatch(/^book\.apply: event: instrument: expected /);
    expect(msg(() => book().apply({ type: 'price', underlying: 'BTC', spot: 95000, t: '2026-11-20T00:00:01Z', tMs: 5 } as never)))
      .toBe(`book.apply: event: tMs: expected the time of t in ms (${Date.UTC(2026, 10, 20, 0, 0, 1)}), got 5`);
  });
  it('book.apply of a parsed event, and of the same event as an object, give the same result', () => {
    const ev = { type: 'price', underlying: 'BTC', spot: 90000 } as const;
    const a = book().apply(api.parseEvent(ev, 'test')), b = book().apply(ev);
    expect(a.ok).toBe(true);
    expect(b).toEqual(a);
  });
  it('book.whatIf(id, [null])', () => {
    expect(msg(() => book().whatIf(id, [null as never])))
      .toBe('book.whatIf: orders[0]: expected an order such as {"instrument":"BTC-PERP","quantity":-1}, got null');
  });
  it('book.whatIf(id, orders) with orders not a list', () => {
    expect(msg(() => book().whatIf(id, null as never)))
      .toBe('book.whatIf: orders: expected a list of orders such as { instrument: "BTC-PERP", quantity: -1 }, got null');
  });
  it('book.whatIf("unknown", [])', () => {
    expect(msg(() => book().whatIf('unknown', []))).toMatch(/^book\.whatIf: account: "unknown" is not in the book \(\d+ accounts: /);
    expect(msg(() => book().whatIf(null as never, []))).toBe('book.whatIf: account: expected an account id (a string), got null');
  });
  it('book.whatIf of an order the book refuses (an unknown instrument) is an InputError too', () => {
    expect(msg(() => book().whatIf(id, [{ instrument: 'NOPE', quantity: 1 }]))).toBe('book.whatIf: instrument: unknown instrument "NOPE"');
  });
  it('replay(null, ...) and replay with a text, source or writer of the wrong type', () => {
    const noop = () => undefined;
    expect(msg(() => api.replay(null as never, '', 'events.ndjson', noop)))
      .toBe('replay: book: expected a MarginBook (new MarginBook(market, accounts)), got null');
    expect(msg(() => api.replay(book(), null as never, 'events.ndjson', noop)))
      .toBe('replay: text: expected the events file\'s text (a string, one JSON event a line), got null');
    expect(msg(() => api.replay(book(), '', 7 as never, noop))).toBe('replay: source: expected the events file\'s name (a string), got 7');
    expect(msg(() => api.replay(book(), '', 'events.ndjson', null as never))).toBe('replay: write: expected a function (line: string) => void, got null');
    expect(msg(() => replaySteps({} as never, '', 'e', noop).next())).toBe('replaySteps: book: expected a MarginBook (new MarginBook(market, accounts)), got {}');
  });
  it('parseEventLine of a non-string', () => {
    expect(msg(() => api.parseEventLine(null as never, 'events'))).toBe('parseEventLine: text: expected an event line (JSON text) (a string), got null');
  });
});

describe('buildGridScenarios', () => {
  it('buildGridScenarios(market, {}): the spec is validated against the market', () => {
    expect(msg(() => api.buildGridScenarios(market, {} as never))).toMatch(/^options: spec\.points: expected /);
  });
  it('buildGridScenarios(null, spec)', () => {
    expect(msg(() => api.buildGridScenarios(null as never, market.risk.grid!)))
      .toBe('buildGridScenarios: expected a market from parseMarket or resolveMarket, got null');
  });
  it('a validated spec and its JSON form give the same scenarios', () => {
    const a = api.buildGridScenarios(market, market.risk.grid!);
    const b = api.buildGridScenarios(market, base.raw as never);
    expect(b.nScen).toBe(a.nScen);
    expect(b).toEqual(a);
  });
});

describe('buildStressScenarios, buildFhsScenarios', () => {
  it('buildStressScenarios(null, spec) and buildStressScenarios(market, {})', () => {
    const spec = api.validateStress({ scenarios: [{ name: 'crash', spot: { BTC: -0.3 } }] }, 'stress.json', '', market);
    expect(msg(() => api.buildStressScenarios(null as never, spec)))
      .toBe('buildStressScenarios: expected a market from parseMarket or resolveMarket, got null');
    expect(msg(() => api.buildStressScenarios(market, {} as never))).toMatch(/^options: spec\.scenarios: expected /);
    expect(api.buildStressScenarios(market, spec).nScen).toBe(1);
  });
  it('buildFhsScenarios of a wrong market, spec or history', () => {
    const spec = api.validateFhs({ confidence: 0.975, horizonDays: 1 }, 'fhs', '');
    expect(msg(() => api.buildFhsScenarios(null as never, spec, history)))
      .toBe('buildFhsScenarios: expected a market from parseMarket or resolveMarket, got null');
    expect(msg(() => api.buildFhsScenarios(market, null as never, history))).toMatch(/^options: spec: expected /);
    expect(msg(() => api.buildFhsScenarios(market, spec, null as never)))
      .toBe('buildFhsScenarios: history: expected a price history from parseHistoryCsv, got null');
  });
});

describe('formatResults, csvRow, ndjsonRow, csvHeader', () => {
  const RESULT = 'expected a margin result (from margin() or marginAll(): { ok, portfolio, method, ... })';
  const r: MarginResult = { ok: false, portfolio: 'P', method: 'grid', code: 'E_PORTFOLIO', message: 'bad' };
  it('formatResults(null, ...)', () => {
    expect(msg(() => api.formatResults(null as never, 'grid', 'csv')))
      .toBe('formatResults: results: expected a list of margin results (from marginAll()), got null');
  });
  it('formatResults with a bad row, method or format', () => {
    expect(msg(() => api.formatResults([r, null as never], 'grid', 'csv'))).toBe(`formatResults: results[1]: ${RESULT}, got null`);
    expect(msg(() => api.formatResults([r], 'span' as never, 'csv'))).toBe('formatResults: method: expected one of grid, es, fhs, got "span"');
    expect(msg(() => api.formatResults([r], 'grid', 'xlsx' as never))).toBe('formatResults: format: expected "csv" or "ndjson", got "xlsx"');
  });
  it('ndjsonRow(null) and csvRow({})', () => {
    expect(msg(() => api.ndjsonRow(null as never))).toBe(`ndjsonRow: ${RESULT}, got null`);
    expect(msg(() => api.csvRow({} as never))).toBe(`csvRow: ${RESULT}, got {}`);
  });
  it('options that are not an object', () => {
    expect(msg(() => api.csvRow(r, null as never))).toBe('csvRow: options: expected an object (or nothing), got null');
    expect(msg(() => api.csvHeader('grid', null as never))).toBe('csvHeader: options: expected an object (or nothing), got null');
  });
  it('valid rows still format', () => {
    expect(api.formatResults([r], 'grid', 'csv')).toBe('portfolio,method,initial_margin,maintenance_margin,status,error,worst_point\nP,grid,,,error,bad,\n');
    expect(api.ndjsonRow(r)).toBe('{"portfolio":"P","method":"grid","initial_margin":null,"maintenance_margin":null,"status":"error","error":"bad","code":"E_PORTFOLIO"}\n');
  });
});

describe('other entry points of the barrel', () => {
  it('createGridModel, createEsModel, createFhsModel, createMarginModel with options null', () => {
    for (const f of ['createGridModel', 'createEsModel', 'createFhsModel', 'createMarginModel'] as const) {
      const create = api[f] as (m: unknown, o: unknown) => unknown;
      expect(msg(() => create(market, null))).toBe(`${f}: options: expected an object (or nothing), got null`);
    }
  });
  it('parseHistoryCsv and parseAccountMarket of a non-string', () => {
    expect(msg(() => api.parseHistoryCsv(null as never)))
      .toBe('parseHistoryCsv: text: expected the price history\'s CSV text (date,underlying,price) (a string), got null');
    expect(msg(() => api.parseAccountMarket({} as never)))
      .toBe('parseAccountMarket: text: expected the market\'s JSON text (for a parsed value: resolveAccountMarket) (a string), got {}');
  });
  it('linearMarket of something that is not a market', () => {
    expect(msg(() => api.linearMarket(null as never))).toBe('linearMarket: expected a market from parseMarket or resolveMarket, got null');
  });
  it('methodPresetNames of an unknown method', () => {
    expect(msg(() => api.methodPresetNames(null as never))).toBe('methodPresetNames: method: expected one of grid, es, fhs, got null');
  });
  it('formatAccounts of a non-list or an unknown format', () => {
    expect(msg(() => api.formatAccounts(null as never, 'csv')))
      .toBe('formatAccounts: rows: expected a list of account results (from marginAccounts()), got null');
    expect(msg(() => api.formatAccounts([], 'json' as never))).toBe('formatAccounts: format: expected "csv" or "ndjson", got "json"');
  });
});
