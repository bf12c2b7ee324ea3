/**
 * Market loading and validation (docs/methods.md §2, §6.1 and §8.1): one test per error message, the
 * resolved values of valid markets checked against hand computations, and the published JSON
 * Schema checked to agree with the loader on every case.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseMarket, resolveMarket } from '../src/market/load.js';
import { groupOffsets, validateGrid, volWeight } from '../src/market/grid-spec.js';
import { validateEs } from '../src/market/es-spec.js';
import { parseJsonText, parseUtc, UTC_DATE_TIME_PATTERN } from '../src/market/validate.js';
import { isInputError } from '../src/errors.js';
import {
  COL_CS, COL_F, COL_K, COL_KIND, COL_Q, COL_R, COL_S, COL_T, COL_U, COL_VOL, KIND_CALL, KIND_LINEAR, KIND_PUT, KIND_SPOT,
  NCOLS,
} from '../src/layout.js';
import { thrown } from './helpers/results.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'test', 'fixtures', 'markets');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const schema = JSON.parse(readFileSync(join(root, 'schema', 'market.schema.json'), 'utf8'));

const schemaWarnings: string[] = [];
const ajv = new Ajv2020({
  strictSchema: true, strictTypes: true, strictTuples: true, allErrors: true,
  logger: { log: () => {}, warn: (...a: unknown[]) => schemaWarnings.push(a.join(' ')), error: (...a: unknown[]) => schemaWarnings.push(a.join(' ')) },
});
const schemaValid = ajv.compile(schema);
const schemaVerdict = (data: unknown) => ({ ok: schemaValid(data) as boolean, errors: JSON.stringify(schemaValid.errors) });

const DAY = 86400;
const YEAR = 365 * DAY;

/** A small valid market, built fresh for each case. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function base(): any {
  return {
    asOf: '2026-11-20T00:00:00Z',
    currency: 'USD',
    underlyings: {
      BTC: { spot: 97000, rate: 0.04, yield: 0, vol: 0.6, group: 'CRYPTO' },
      ETH: { spot: 3100, rate: 0.04, vol: 0.75, group: 'CRYPTO' },
      SPX: { spot: 6000, rate: 0.04, yield: 0.013, vol: 0.18 },
    },
    instruments: {
      BTC: { kind: 'spot', underlying: 'BTC' },
      'BTC-PERP': { kind: 'perpetual', underlying: 'BTC' },
      'BTC-F': { kind: 'future', underlying: 'BTC', expiry: '2026-12-26T00:00:00Z' },
      'BTC-C': { kind: 'option', underlying: 'BTC', right: 'call', strike: 100000, expiry: '2026-12-26T00:00:00Z', vol: 0.55 },
    },
    risk: {
      grid: { points: [{ move: -0.15 }, { move: 0 }, { move: 0.15 }], volMoves: [-0.3, 0, 0.3] },
      es: { confidence: 0.975, horizonDays: 2, scenarios: 1000 },
    },
  };
}

/** A valid BTC surface for the cases: moneyness, two expiries, three points. */
const SURFACE = {
  axis: 'moneyness', expiries: ['2026-12-26T08:00:00Z', '2027-03-26T08:00:00Z'],
  points: [0.8, 1, 1.2], vols: [[0.7, 0.5, 0.6], [0.65, 0.55, 0.6]],
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Edit = (m: any) => unknown;
/**
 * An invalid market: the edit applied to base() (its return value, when not undefined, replaces
 * the market), the exact message, and whether the JSON Schema rejects it too (false: a rule the
 * schema cannot state, checked by the loader only; see the schema's descriptions).
 */
interface Case { name: string; edit: Edit; message: string; schema: boolean }

const M = 'market.json: ';
const UTC = 'an ISO-8601 UTC date-time such as "2026-12-26T08:00:00Z"';
const OPTION_FIELDS = 'kind, underlying, contractSize, right, strike, expiry, vol, style, settlement, future';
const GRID_FIELDS = '$schema, description, version, points, volMoves, volDynamics, volTerm, basis, underlyings, groups, horizonDays, shortOptionMinimum, longOptionMinimum, maintenanceRatio, marginMultiplier';
const ES_FIELDS = '$schema, description, version, confidence, horizonDays, scenarios, seed, distribution, degreesOfFreedom, correlations, maintenanceRatio';

const cases: Case[] = [
  // --- top level
  { name: 'top level not an object', edit: () => [1, 2], schema: true,
    message: 'market.json: expected a JSON object at the top level, got [1,2]' },
  { name: 'unknown top-level field (typo)', edit: (m) => { m.asof = m.asOf; delete m.asOf; }, schema: true,
    message: `${M}asof: unknown field; did you mean "asOf"? (expected one of: $schema, description, asOf, currency, underlyings, instruments, risk)` },
  { name: 'description not a string', edit: (m) => { m.description = 5; }, schema: true,
    message: `${M}description: expected a string, got 5` },
  { name: 'asOf missing', edit: (m) => { delete m.asOf; }, schema: true,
    message: `${M}asOf: expected ${UTC}, got nothing` },
  { name: 'asOf without a time', edit: (m) => { m.asOf = '2026-11-20'; }, schema: true,
    message: `${M}asOf: expected ${UTC}, got "2026-11-20"` },
  { name: 'asOf not in UTC', edit: (m) => { m.asOf = '2026-11-20T00:00:00+01:00'; }, schema: true,
    message: `${M}asOf: expected ${UTC}, got "2026-11-20T00:00:00+01:00"` },
  { name: 'asOf not a string', edit: (m) => { m.asOf = 1763596800000; }, schema: true,
    message: `${M}asOf: expected ${UTC}, got 1763596800000` },
  { name: 'asOf on a day that does not exist', edit: (m) => { m.asOf = '2026-02-29T00:00:00Z'; }, schema: false,
    message: `${M}asOf: expected ${UTC}, got "2026-02-29T00:00:00Z" (no such day)` },
  { name: 'currency empty', edit: (m) => { m.currency = ''; }, schema: true,
    message: `${M}currency: expected a non-empty string, got ""` },
  { name: 'currency missing', edit: (m) => { delete m.currency; }, schema: true,
    message: `${M}currency: expected a non-empty string, got nothing` },

  // --- underlyings
  { name: 'underlyings missing', edit: (m) => { delete m.underlyings; }, schema: true,
    message: `${M}underlyings: expected a JSON object of underlyings keyed by id, got nothing` },
  { name: 'underlyings a list', edit: (m) => { m.underlyings = [{ spot: 1 }]; }, schema: true,
    message: `${M}underlyings: expected a JSON object of underlyings keyed by id, got [{"spot":1}]` },
  { name: 'empty underlying id', edit: (m) => { m.underlyings[''] = { spot: 1 }; }, schema: true,
    message: `${M}underlyings[""]: expected a non-empty underlying id, got ""` },
  { name: 'underlying not an object', edit: (m) => { m.underlyings.BTC = 97000; }, schema: true,
    message: `${M}underlyings.BTC: expected a JSON object, got 97000` },
  { name: 'negative spot', edit: (m) => { m.underlyings.BTC.spot = -5; }, schema: true,
    message: `${M}underlyings.BTC.spot: expected a number > 0 and <= 1e+15, got -5` },
  { name: 'zero spot', edit: (m) => { m.underlyings.BTC.spot = 0; }, schema: true,
    message: `${M}underlyings.BTC.spot: expected a number > 0 and <= 1e+15, got 0` },
  { name: 'spot missing', edit: (m) => { delete m.underlyings.ETH.spot; }, schema: true,
    message: `${M}underlyings.ETH.spot: expected a number > 0 and <= 1e+15, got nothing` },
  { name: 'spot a string', edit: (m) => { m.underlyings.BTC.spot = '97000'; }, schema: true,
    message: `${M}underlyings.BTC.spot: expected a number > 0 and <= 1e+15, got "97000"` },
  { name: 'spot infinite', edit: (m) => { m.underlyings.BTC.spot = Infinity; }, schema: true,
    message: `${M}underlyings.BTC.spot: expected a number > 0 and <= 1e+15, got Infinity` },
  { name: 'rate not a number', edit: (m) => { m.underlyings.BTC.rate = '4%'; }, schema: true,
    message: `${M}underlyings.BTC.rate: expected a number from -1 to 1 (a decimal rate a year, continuously compounded: 0.04 is 4 %), got "4%"` },
  { name: 'yield NaN', edit: (m) => { m.underlyings.BTC.yield = NaN; }, schema: true,
    message: `${M}underlyings.BTC.yield: expected a number from -1 to 1 (a decimal rate a year, continuously compounded: 0.04 is 4 %), got NaN` },
  { name: 'underlying vol zero', edit: (m) => { m.underlyings.ETH.vol = 0; }, schema: true,
    message: `${M}underlyings.ETH.vol: expected a number > 0 and <= 10 (a decimal vol a year: 0.6 is 60 %), got 0` },
  { name: 'group empty', edit: (m) => { m.underlyings.BTC.group = ''; }, schema: true,
    message: `${M}underlyings.BTC.group: expected a non-empty string, got ""` },
  { name: 'group not a string', edit: (m) => { m.underlyings.BTC.group = 7; }, schema: true,
    message: `${M}underlyings.BTC.group: expected a non-empty string, got 7` },
  { name: 'unknown underlying field', edit: (m) => { m.underlyings.BTC.volatility = 0.5; }, schema: true,
    message: `${M}underlyings.BTC.volatility: unknown field (expected one of: spot, rate, yield, vol, volOfVol, group, surface)` },
  // --- underlyings.X.surface (docs/surfaces.md; the loader's other surface messages: test/surface.test.ts)
  { name: 'surface axis unknown', edit: (m) => { m.underlyings.BTC.surface = { ...SURFACE, axis: 'delta' }; }, schema: true,
    message: `${M}underlyings.BTC.surface.axis: surface of "BTC": expected "moneyness" or "strike", got "delta"` },
  { name: 'surface field unknown', edit: (m) => { m.underlyings.BTC.surface = { ...SURFACE, tenors: [] }; }, schema: true,
    message: `${M}underlyings.BTC.surface.tenors: surface of "BTC": unknown field "tenors" (expected axis, expiries, points, vols)` },
  { name: 'surface without points', edit: (m) => { const { points: _, ...s } = SURFACE; m.underlyings.BTC.surface = s; }, schema: true,
    message: `${M}underlyings.BTC.surface.points: surface of "BTC": missing` },
  { name: 'surface expiry without a time', edit: (m) => { m.underlyings.BTC.surface = { ...SURFACE, expiries: ['2026-12-26', '2027-03-26T08:00:00Z'] }; }, schema: true,
    message: `${M}underlyings.BTC.surface.expiries[0]: surface of "BTC": expected ${UTC}, got "2026-12-26"` },
  { name: 'surface point zero', edit: (m) => { m.underlyings.BTC.surface = { ...SURFACE, points: [0, 1, 1.2] }; }, schema: true,
    message: `${M}underlyings.BTC.surface.points[0]: surface of "BTC": expected a finite number > 0, got 0` },
  { name: 'surface vol above 10', edit: (m) => { m.underlyings.BTC.surface = { ...SURFACE, vols: [[0.7, 0.5, 0.6], [0.65, 11, 0.6]] }; }, schema: true,
    message: `${M}underlyings.BTC.surface.vols[1][1]: surface of "BTC": vol at expiry "2027-03-26T08:00:00Z", point 1: expected a finite number > 0 and <= 10, got 11` },
  { name: 'surface row too short', edit: (m) => { m.underlyings.BTC.surface = { ...SURFACE, vols: [[0.7, 0.5, 0.6], [0.65, 0.55]] }; }, schema: false,
    message: `${M}underlyings.BTC.surface.vols[1]: surface of "BTC": row of expiry "2027-03-26T08:00:00Z": expected 3 vols (one per point), got 2` },
  { name: 'surface points decreasing', edit: (m) => { m.underlyings.BTC.surface = { ...SURFACE, points: [0.8, 1.2, 1] }; }, schema: false,
    message: `${M}underlyings.BTC.surface.points[2]: surface of "BTC": points must be strictly increasing: 1 is not above 1.2` },
  { name: 'surface expiry before asOf', edit: (m) => { m.underlyings.BTC.surface = { ...SURFACE, expiries: ['2026-11-19T00:00:00Z', '2027-03-26T08:00:00Z'] }; }, schema: false,
    message: `${M}underlyings.BTC.surface.expiries[0]: surface of "BTC": expiry "2026-11-19T00:00:00Z" is not after asOf` },
  // w = vol^2 T: 0.5^2 x 36.33333/365 = 0.024885 at 2026-12-26T08:00Z; 0.3^2 x 126.33333/365 = 0.031151 at 2027-03-26T08:00Z
  // is fine; 0.25^2 x 126.33333/365 = 0.021633 < 0.024885 is calendar arbitrage at point 1.
  { name: 'surface calendar arbitrage', edit: (m) => { m.underlyings.BTC.surface = { ...SURFACE, vols: [[0.7, 0.5, 0.6], [0.65, 0.25, 0.6]] }; }, schema: false,
    message: `${M}underlyings.BTC.surface.vols[1][1]: surface of "BTC": calendar arbitrage at point 1: total variance vol^2 T falls from `
      + `${0.5 * 0.5 * ((36 * DAY + 8 * 3600) / YEAR)} at expiry "2026-12-26T08:00:00Z" (vol 0.5) to ${0.25 * 0.25 * ((126 * DAY + 8 * 3600) / YEAR)} at expiry "2027-03-26T08:00:00Z" (vol 0.25)` },
  { name: 'option without vol on an underlying without a surface', edit: (m) => {
    m.underlyings.BTC.surface = SURFACE;
    m.instruments['SPX-P'] = { kind: 'option', underlying: 'SPX', right: 'put', strike: 5800, expiry: '2026-12-18T21:00:00Z' };
  }, schema: false,
    message: `${M}instruments.SPX-P.vol: expected a number > 0 and <= 10 (a decimal vol a year: 0.6 is 60 %), got nothing` },

  // --- instruments
  { name: 'instruments missing', edit: (m) => { delete m.instruments; }, schema: true,
    message: `${M}instruments: expected a JSON object of instruments keyed by id, got nothing` },
  { name: 'empty instrument id', edit: (m) => { m.instruments[''] = { kind: 'spot', underlying: 'BTC' }; }, schema: true,
    message: `${M}instruments[""]: expected a non-empty instrument id, got ""` },
  { name: 'instrument not an object', edit: (m) => { m.instruments.BTC = 'spot'; }, schema: true,
    message: `${M}instruments.BTC: expected a JSON object, got "spot"` },
  { name: 'kind missing', edit: (m) => { delete m.instruments.BTC.kind; }, schema: true,
    message: `${M}instruments.BTC.kind: expected one of "spot", "future", "perpetual", "option", got nothing` },
  { name: 'kind unknown', edit: (m) => { m.instruments.BTC.kind = 'swap'; }, schema: true,
    message: `${M}instruments.BTC.kind: expected one of "spot", "future", "perpetual", "option", got "swap"` },
  { name: 'underlying missing', edit: (m) => { delete m.instruments['BTC-PERP'].underlying; }, schema: true,
    message: `${M}instruments.BTC-PERP.underlying: expected the id of an underlying, got nothing` },
  { name: 'underlying unknown', edit: (m) => { m.instruments['BTC-PERP'].underlying = 'BTCX'; }, schema: false,
    message: `${M}instruments.BTC-PERP.underlying: unknown underlying "BTCX"; the market's underlyings are BTC, ETH, SPX` },
  { name: 'underlying id of an inherited property', edit: (m) => { m.instruments['BTC-PERP'].underlying = 'constructor'; }, schema: false,
    message: `${M}instruments.BTC-PERP.underlying: unknown underlying "constructor"; the market's underlyings are BTC, ETH, SPX` },
  { name: 'contractSize zero', edit: (m) => { m.instruments['BTC-PERP'].contractSize = 0; }, schema: true,
    message: `${M}instruments.BTC-PERP.contractSize: expected a number > 0 and <= 1e+15, got 0` },
  { name: 'future without expiry', edit: (m) => { delete m.instruments['BTC-F'].expiry; }, schema: true,
    message: `${M}instruments.BTC-F.expiry: expected ${UTC}, got nothing` },
  { name: 'future price negative', edit: (m) => { m.instruments['BTC-F'].price = -1; }, schema: true,
    message: `${M}instruments.BTC-F.price: expected a number > 0 and <= 1e+15, got -1` },
  { name: 'future with a strike (a field of another kind)', edit: (m) => { m.instruments['BTC-F'].strike = 100000; }, schema: true,
    message: `${M}instruments.BTC-F.strike: unknown field for a future (expected one of: kind, underlying, contractSize, expiry, price, settlement)` },
  { name: 'perpetual price zero', edit: (m) => { m.instruments['BTC-PERP'].price = 0; }, schema: true,
    message: `${M}instruments.BTC-PERP.price: expected a number > 0 and <= 1e+15, got 0` },
  { name: 'perpetual with an expiry', edit: (m) => { m.instruments['BTC-PERP'].expiry = '2026-12-26T00:00:00Z'; }, schema: true,
    message: `${M}instruments.BTC-PERP.expiry: unknown field for a perpetual (expected one of: kind, underlying, contractSize, price, settlement)` },
  { name: 'spot with a price', edit: (m) => { m.instruments.BTC.price = 97000; }, schema: true,
    message: `${M}instruments.BTC.price: unknown field for a spot (expected one of: kind, underlying, contractSize)` },
  { name: 'option field typo', edit: (m) => { const o = m.instruments['BTC-C']; o.strke = o.strike; delete o.strike; }, schema: true,
    message: `${M}instruments.BTC-C.strke: unknown field for an option; did you mean "strike"? (expected one of: ${OPTION_FIELDS})` },
  { name: 'option right wrong', edit: (m) => { m.instruments['BTC-C'].right = 'C'; }, schema: true,
    message: `${M}instruments.BTC-C.right: expected "call" or "put", got "C"` },
  { name: 'option right missing', edit: (m) => { delete m.instruments['BTC-C'].right; }, schema: true,
    message: `${M}instruments.BTC-C.right: expected "call" or "put", got nothing` },
  { name: 'option strike zero', edit: (m) => { m.instruments['BTC-C'].strike = 0; }, schema: true,
    message: `${M}instruments.BTC-C.strike: expected a number > 0 and <= 1e+15, got 0` },
  { name: 'option strike missing', edit: (m) => { delete m.instruments['BTC-C'].strike; }, schema: true,
    message: `${M}instruments.BTC-C.strike: expected a number > 0 and <= 1e+15, got nothing` },
  { name: 'option expiry missing', edit: (m) => { delete m.instruments['BTC-C'].expiry; }, schema: true,
    message: `${M}instruments.BTC-C.expiry: expected ${UTC}, got nothing` },
  { name: 'option expiry unparseable', edit: (m) => { m.instruments['BTC-C'].expiry = '26DEC26'; }, schema: true,
    message: `${M}instruments.BTC-C.expiry: expected ${UTC}, got "26DEC26"` },
  { name: 'option expiry hour 24', edit: (m) => { m.instruments['BTC-C'].expiry = '2026-12-26T24:00:00Z'; }, schema: true,
    message: `${M}instruments.BTC-C.expiry: expected ${UTC}, got "2026-12-26T24:00:00Z"` },
  // The schema cannot tell whether the option's underlying has a surface (vol then optional).
  { name: 'option vol missing', edit: (m) => { delete m.instruments['BTC-C'].vol; }, schema: false,
    message: `${M}instruments.BTC-C.vol: expected a number > 0 and <= 10 (a decimal vol a year: 0.6 is 60 %), got nothing` },
  { name: 'option vol negative', edit: (m) => { m.instruments['BTC-C'].vol = -0.5; }, schema: true,
    message: `${M}instruments.BTC-C.vol: expected a number > 0 and <= 10 (a decimal vol a year: 0.6 is 60 %), got -0.5` },
  { name: 'option style unknown', edit: (m) => { m.instruments['BTC-C'].style = 'bermudan'; }, schema: true,
    message: `${M}instruments.BTC-C.style: expected "european" or "american", got "bermudan"` },
  { name: 'settlement unknown', edit: (m) => { m.instruments['BTC-C'].settlement = 'physical'; }, schema: true,
    message: `${M}instruments.BTC-C.settlement: expected "linear" or "inverse", got "physical"` },
  { name: 'settlement on a spot instrument', edit: (m) => { m.instruments.BTC.settlement = 'inverse'; }, schema: true,
    message: `${M}instruments.BTC.settlement: unknown field for a spot (expected one of: kind, underlying, contractSize)` },

  // --- risk
  { name: 'risk not an object', edit: (m) => { m.risk = 'grid'; }, schema: true,
    message: `${M}risk: expected a JSON object, got "grid"` },
  { name: 'risk unknown method', edit: (m) => { m.risk.grdi = {}; }, schema: true,
    message: `${M}risk.grdi: unknown field; did you mean "grid"? (expected one of: grid, es, fhs, stress)` },
  { name: 'reserved method not an object', edit: (m) => { m.risk.stress = []; }, schema: true,
    message: `${M}risk.stress: expected a JSON object, got []` },

  // --- risk.grid
  { name: 'grid not an object', edit: (m) => { m.risk.grid = []; }, schema: true,
    message: `${M}risk.grid: expected a JSON object (a grid block), got []` },
  { name: 'grid unknown field', edit: (m) => { m.risk.grid.volmoves = [0]; }, schema: true,
    message: `${M}risk.grid.volmoves: unknown field for a grid; did you mean "volMoves"? (expected one of: ${GRID_FIELDS})` },
  { name: 'points missing', edit: (m) => { delete m.risk.grid.points; }, schema: true,
    message: `${M}risk.grid.points: expected a non-empty list of points such as { "move": -0.15 }, got nothing` },
  { name: 'points empty', edit: (m) => { m.risk.grid.points = []; }, schema: true,
    message: `${M}risk.grid.points: expected a non-empty list of points such as { "move": -0.15 }, got []` },
  { name: 'point not an object', edit: (m) => { m.risk.grid.points[1] = 0; }, schema: true,
    message: `${M}risk.grid.points[1]: expected a point such as { "move": -0.15 }, got 0` },
  { name: 'point unknown field', edit: (m) => { m.risk.grid.points[1].weight = 1; }, schema: true,
    message: `${M}risk.grid.points[1].weight: unknown field for a point (expected one of: move, cover, volMoves)` },
  { name: 'move of -1', edit: (m) => { m.risk.grid.points[0].move = -1; }, schema: true,
    message: `${M}risk.grid.points[0].move: expected a number > -1, got -1` },
  { name: 'move missing', edit: (m) => { delete m.risk.grid.points[2].move; }, schema: true,
    message: `${M}risk.grid.points[2].move: expected a number > -1, got nothing` },
  { name: 'cover zero', edit: (m) => { m.risk.grid.points[2].cover = 0; }, schema: true,
    message: `${M}risk.grid.points[2].cover: expected a number > 0, got 0` },
  { name: 'grid vol move of -1', edit: (m) => { m.risk.grid.volMoves = [-1, 0]; }, schema: true,
    message: `${M}risk.grid.volMoves[0]: expected a number > -1, got -1` },
  { name: 'point vol move below -1', edit: (m) => { m.risk.grid.points[1].volMoves = [0, -1.5]; }, schema: true,
    message: `${M}risk.grid.points[1].volMoves[1]: expected a number > -1, got -1.5` },
  { name: 'point vol moves empty', edit: (m) => { m.risk.grid.points[1].volMoves = []; }, schema: true,
    message: `${M}risk.grid.points[1].volMoves: expected a non-empty list of vol moves, each a number > -1 or an object { "move": m, "skew": s, "min": v }, got []` },
  { name: 'grid vol moves not a list', edit: (m) => { m.risk.grid.volMoves = 0.3; }, schema: true,
    message: `${M}risk.grid.volMoves: expected a non-empty list of vol moves, each a number > -1 or an object { "move": m, "skew": s, "min": v }, got 0.3` },
  { name: 'grid vol move object without move', edit: (m) => { m.risk.grid.volMoves = [{ skew: 0.1 }]; }, schema: true,
    message: `${M}risk.grid.volMoves[0].move: expected a number > -1, got nothing` },
  { name: 'grid vol move object unknown key', edit: (m) => { m.risk.grid.volMoves = [{ move: 0.1, floor: 0.2 }]; }, schema: true,
    message: `${M}risk.grid.volMoves[0].floor: unknown field for a vol move (expected one of: move, skew, min)` },
  { name: 'grid vol move minimum negative', edit: (m) => { m.risk.grid.volMoves = [{ move: 0.1, min: -0.2 }]; }, schema: true,
    message: `${M}risk.grid.volMoves[0].min: expected a number >= 0, got -0.2` },
  { name: 'grid volDynamics unknown', edit: (m) => { m.risk.grid.volDynamics = 'sticky-delta'; }, schema: true,
    message: `${M}risk.grid.volDynamics: expected "sticky-strike" or "sticky-moneyness", got "sticky-delta"` },
  { name: 'volTerm refDays zero', edit: (m) => { m.risk.grid.volTerm = { refDays: 0, power: 0.3 }; }, schema: true,
    message: `${M}risk.grid.volTerm.refDays: expected a number > 0, got 0` },
  { name: 'volTerm power missing', edit: (m) => { m.risk.grid.volTerm = { refDays: 30 }; }, schema: true,
    message: `${M}risk.grid.volTerm.power: expected a finite number, got nothing` },
  { name: 'volTerm floorDays zero', edit: (m) => { m.risk.grid.volTerm = { refDays: 30, power: 0.3, floorDays: 0 }; }, schema: true,
    message: `${M}risk.grid.volTerm.floorDays: expected a number > 0, got 0` },
  { name: 'volTerm unknown field', edit: (m) => { m.risk.grid.volTerm = { refDays: 30, power: 0.3, floor: 1 }; }, schema: true,
    message: `${M}risk.grid.volTerm.floor: unknown field for volTerm (expected one of: refDays, power, floorDays)` },
  { name: 'shocked vol not > 0 after tenor weighting', schema: false,
    edit: (m) => { m.risk.grid.volMoves = [-0.9, 0]; m.risk.grid.volTerm = { refDays: 365, power: 1 }; },
    // BTC-C: T = 36/365, w = 365 / 36, vol factor 1 - 0.9 * 365/36 = -8.125.
    message: `${M}risk.grid.volMoves[0]: vol move -0.9 with the tenor weight 10.1389 of option "BTC-C" (T = 0.0986301) `
      + 'takes its vol 0.55 to -4.46875; a shocked vol must stay > 0' },
  { name: 'grid underlying unknown', edit: (m) => { m.risk.grid.underlyings = { SOL: { moveScale: 2 } }; }, schema: false,
    message: `${M}risk.grid.underlyings.SOL: unknown underlying "SOL"; the market's underlyings are BTC, ETH, SPX` },
  { name: 'moveScale zero', edit: (m) => { m.risk.grid.underlyings = { ETH: { moveScale: 0 } }; }, schema: true,
    message: `${M}risk.grid.underlyings.ETH.moveScale: expected a number > 0, got 0` },
  { name: 'move times moveScale at or below -1', edit: (m) => { m.risk.grid.underlyings = { ETH: { moveScale: 10 } }; }, schema: false,
    message: `${M}risk.grid.underlyings.ETH.moveScale: 10 scales the move -0.15 of risk.grid.points[0] to -1.5, which takes the spot `
      + 'to or below zero; move * moveScale must be > -1' },
  { name: 'moves of a different count than points', edit: (m) => { m.risk.grid.underlyings = { SPX: { moves: [-0.08, 0] } }; }, schema: false,
    message: `${M}risk.grid.underlyings.SPX.moves: expected 3 moves (one per point of risk.grid.points), got 2` },
  { name: 'moves entry of -1', edit: (m) => { m.risk.grid.underlyings = { SPX: { moves: [-1, 0, 0.1] } }; }, schema: true,
    message: `${M}risk.grid.underlyings.SPX.moves[0]: expected a number > -1, got -1` },
  { name: 'moves and moveScale both', edit: (m) => { m.risk.grid.underlyings = { SPX: { moves: [-0.1, 0, 0.1], moveScale: 2 } }; }, schema: true,
    message: `${M}risk.grid.underlyings.SPX: give moveScale or moves, not both (moves replace the scaled moves of the points)` },
  { name: 'grid underlying unknown field', edit: (m) => { m.risk.grid.underlyings = { ETH: { scale: 2 } }; }, schema: true,
    message: `${M}risk.grid.underlyings.ETH.scale: unknown field for an underlying of a grid (expected one of: moveScale, moves, basis)` },
  { name: 'group unknown', edit: (m) => { m.risk.grid.groups = { EQUITY: { offset: 0.5 } }; }, schema: false,
    message: `${M}risk.grid.groups.EQUITY: unknown product group "EQUITY"; the market's named groups are CRYPTO `
      + '(an underlying without a group forms a group of its own, which takes no offset)' },
  { name: 'group named like an ungrouped underlying', edit: (m) => { m.risk.grid.groups = { SPX: { offset: 0.5 } }; }, schema: false,
    message: `${M}risk.grid.groups.SPX: unknown product group "SPX"; the market's named groups are CRYPTO `
      + '(an underlying without a group forms a group of its own, which takes no offset)' },
  { name: 'offset above 1', edit: (m) => { m.risk.grid.groups = { CRYPTO: { offset: 1.5 } }; }, schema: true,
    message: `${M}risk.grid.groups.CRYPTO.offset: expected a number in [0, 1], got 1.5` },
  { name: 'offset below 0', edit: (m) => { m.risk.grid.groups = { CRYPTO: { offset: -0.1 } }; }, schema: true,
    message: `${M}risk.grid.groups.CRYPTO.offset: expected a number in [0, 1], got -0.1` },
  { name: 'horizonDays negative', edit: (m) => { m.risk.grid.horizonDays = -1; }, schema: true,
    message: `${M}risk.grid.horizonDays: expected a number >= 0, got -1` },
  { name: 'shortOptionMinimum negative', edit: (m) => { m.risk.grid.shortOptionMinimum = -0.375; }, schema: true,
    message: `${M}risk.grid.shortOptionMinimum: expected a number >= 0, got -0.375` },
  { name: 'longOptionMinimum not a number', edit: (m) => { m.risk.grid.longOptionMinimum = null; }, schema: true,
    message: `${M}risk.grid.longOptionMinimum: expected a number >= 0, got null` },
  { name: 'grid maintenanceRatio zero', edit: (m) => { m.risk.grid.maintenanceRatio = 0; }, schema: true,
    message: `${M}risk.grid.maintenanceRatio: expected a number in (0, 1] (maintenance margin = ratio x initial margin, at most the initial margin), got 0` },
  { name: 'grid maintenanceRatio above 1', edit: (m) => { m.risk.grid.maintenanceRatio = 1.5; }, schema: true,
    message: `${M}risk.grid.maintenanceRatio: expected a number in (0, 1] (maintenance margin = ratio x initial margin, at most the initial margin), got 1.5` },

  // --- bounds that keep every value and P&L finite
  { name: 'rate above 1 (8000)', edit: (m) => { m.underlyings.BTC.rate = 8000; }, schema: true,
    message: `${M}underlyings.BTC.rate: expected a number from -1 to 1 (a decimal rate a year, continuously compounded: 0.04 is 4 %), got 8000` },
  { name: 'yield below -1', edit: (m) => { m.underlyings.BTC.yield = -1.5; }, schema: true,
    message: `${M}underlyings.BTC.yield: expected a number from -1 to 1 (a decimal rate a year, continuously compounded: 0.04 is 4 %), got -1.5` },
  { name: 'underlying vol above 10', edit: (m) => { m.underlyings.BTC.vol = 12; }, schema: true,
    message: `${M}underlyings.BTC.vol: expected a number > 0 and <= 10 (a decimal vol a year: 0.6 is 60 %), got 12` },
  { name: 'option vol 1e155', edit: (m) => { m.instruments['BTC-C'].vol = 1e155; }, schema: true,
    message: `${M}instruments.BTC-C.vol: expected a number > 0 and <= 10 (a decimal vol a year: 0.6 is 60 %), got 1e+155` },
  { name: 'spot above 1e15', edit: (m) => { m.underlyings.BTC.spot = 2e15; }, schema: true,
    message: `${M}underlyings.BTC.spot: expected a number > 0 and <= 1e+15, got 2000000000000000` },
  { name: 'contract size 1e300', edit: (m) => { m.instruments['BTC-PERP'].contractSize = 1e300; }, schema: true,
    message: `${M}instruments.BTC-PERP.contractSize: expected a number > 0 and <= 1e+15, got 1e+300` },
  { name: 'contract size x spot above 1e15', edit: (m) => { m.instruments['BTC-PERP'].contractSize = 1e12; }, schema: false,
    message: `${M}instruments.BTC-PERP.contractSize: contractSize 1000000000000 times the spot of "BTC" 97000 is 9.7e+16 a contract; expected at most 1e+15` },
  { name: 'expiry in the year 9999', edit: (m) => { m.instruments['BTC-C'].expiry = '9999-12-31T00:00:00Z'; }, schema: false,
    message: `${M}instruments.BTC-C.expiry: expected an expiry within 100 years of asOf, got "9999-12-31T00:00:00Z" (7978.41 years after asOf)` },

  // --- risk.es
  { name: 'es not an object', edit: (m) => { m.risk.es = true; }, schema: true,
    message: `${M}risk.es: expected a JSON object (an ES block), got true` },
  { name: 'es unknown field', edit: (m) => { m.risk.es.dof = 5; }, schema: true,
    message: `${M}risk.es.dof: unknown field for an ES block (expected one of: ${ES_FIELDS})` },
  { name: 'confidence 1', edit: (m) => { m.risk.es.confidence = 1; }, schema: true,
    message: `${M}risk.es.confidence: expected a number strictly between 0 and 1, got 1` },
  { name: 'confidence 0', edit: (m) => { m.risk.es.confidence = 0; }, schema: true,
    message: `${M}risk.es.confidence: expected a number strictly between 0 and 1, got 0` },
  { name: 'confidence as a percentage', edit: (m) => { m.risk.es.confidence = 97.5; }, schema: true,
    message: `${M}risk.es.confidence: expected a number strictly between 0 and 1, got 97.5` },
  { name: 'es maintenanceRatio above 1', edit: (m) => { m.risk.es.maintenanceRatio = 1.01; }, schema: true,
    message: `${M}risk.es.maintenanceRatio: expected a number in (0, 1] (maintenance margin = ratio x initial margin, at most the initial margin), got 1.01` },
  { name: 'es horizonDays zero', edit: (m) => { m.risk.es.horizonDays = 0; }, schema: true,
    message: `${M}risk.es.horizonDays: expected a number > 0, got 0` },
  { name: 'scenarios missing', edit: (m) => { delete m.risk.es.scenarios; }, schema: true,
    message: `${M}risk.es.scenarios: expected a whole number from 1 to 10000000, got nothing` },
  { name: 'scenarios zero', edit: (m) => { m.risk.es.scenarios = 0; }, schema: true,
    message: `${M}risk.es.scenarios: expected a whole number from 1 to 10000000, got 0` },
  { name: 'scenarios fractional', edit: (m) => { m.risk.es.scenarios = 1000.5; }, schema: true,
    message: `${M}risk.es.scenarios: expected a whole number from 1 to 10000000, got 1000.5` },
  { name: 'scenarios above the cap', edit: (m) => { m.risk.es.scenarios = 1e8; }, schema: true,
    message: `${M}risk.es.scenarios: expected a whole number from 1 to 10000000, got 100000000` },
  { name: 'seed negative', edit: (m) => { m.risk.es.seed = -1; }, schema: true,
    message: `${M}risk.es.seed: expected a whole number >= 0, got -1` },
  { name: 'seed fractional', edit: (m) => { m.risk.es.seed = 1.5; }, schema: true,
    message: `${M}risk.es.seed: expected a whole number >= 0, got 1.5` },
  { name: 'distribution unknown', edit: (m) => { m.risk.es.distribution = 't'; }, schema: true,
    message: `${M}risk.es.distribution: expected "normal" or "student-t", got "t"` },
  { name: 'student-t without degreesOfFreedom', edit: (m) => { m.risk.es.distribution = 'student-t'; }, schema: true,
    message: `${M}risk.es.degreesOfFreedom: required with distribution "student-t": expected a number > 2 (e.g. 5), got nothing` },
  { name: 'degreesOfFreedom 2', edit: (m) => { m.risk.es.distribution = 'student-t'; m.risk.es.degreesOfFreedom = 2; }, schema: true,
    message: `${M}risk.es.degreesOfFreedom: expected a number > 2, got 2` },
  { name: 'degreesOfFreedom with the default normal', edit: (m) => { m.risk.es.degreesOfFreedom = 5; }, schema: true,
    message: `${M}risk.es.degreesOfFreedom: applies to distribution "student-t" only, but the distribution is "normal" (the default); got 5` },
  { name: 'degreesOfFreedom with normal', edit: (m) => { m.risk.es.distribution = 'normal'; m.risk.es.degreesOfFreedom = 5; }, schema: true,
    message: `${M}risk.es.degreesOfFreedom: applies to distribution "student-t" only, but the distribution is "normal"; got 5` },
  { name: 'correlations not a list', edit: (m) => { m.risk.es.correlations = { BTC: { ETH: 0.8 } }; }, schema: true,
    message: `${M}risk.es.correlations: expected a list of [underlying, underlying, correlation] triples, got {"BTC":{"ETH":0.8}}` },
  { name: 'correlation not a triple', edit: (m) => { m.risk.es.correlations = [['BTC', 'ETH']]; }, schema: true,
    message: `${M}risk.es.correlations[0]: expected a triple [underlying, underlying, correlation] such as ["BTC", "ETH", 0.8], got ["BTC","ETH"]` },
  { name: 'correlation above 1', edit: (m) => { m.risk.es.correlations = [['BTC', 'ETH', 1.1]]; }, schema: true,
    message: `${M}risk.es.correlations[0][2]: expected a number in [-1, 1], got 1.1` },
  { name: 'correlation id empty', edit: (m) => { m.risk.es.correlations = [['BTC', '', 0.5]]; }, schema: true,
    message: `${M}risk.es.correlations[0][1]: expected a non-empty string, got ""` },
  { name: 'correlation of an unknown underlying', edit: (m) => { m.risk.es.correlations = [['BTC', 'ETH', 0.8], ['SOL', 'BTC', 0.7]]; }, schema: false,
    message: `${M}risk.es.correlations[1][0]: unknown underlying "SOL"; the market's underlyings are BTC, ETH, SPX` },
  { name: 'correlation of an underlying with itself', edit: (m) => { m.risk.es.correlations = [['BTC', 'BTC', 1]]; }, schema: false,
    message: `${M}risk.es.correlations[0]: a correlation pairs two different underlyings, got "BTC" twice` },
  { name: 'pair given twice with different values', edit: (m) => { m.risk.es.correlations = [['BTC', 'ETH', 0.8], ['SPX', 'BTC', 0.1], ['ETH', 'BTC', 0.7]]; }, schema: false,
    message: `${M}risk.es.correlations[2]: the pair ETH/BTC is given again with 0.7; risk.es.correlations[0] gives 0.8` },
  { name: 'es maintenanceRatio zero', edit: (m) => { m.risk.es.maintenanceRatio = 0; }, schema: true,
    message: `${M}risk.es.maintenanceRatio: expected a number in (0, 1] (maintenance margin = ratio x initial margin, at most the initial margin), got 0` },
];

function applyEdit(edit: Edit): unknown {
  const m = base();
  const r = edit(m);
  return r === undefined ? m : r;
}


describe('market validation: one test per error message', () => {
  for (const c of cases) {
    it(c.name, () => {
      const json = applyEdit(c.edit);
      const e = thrown(() => resolveMarket(json, 'market.json'));
      expect(isInputError(e), `no InputError for ${JSON.stringify(json)}`).toBe(true);
      expect((e as Error).message).toBe(c.message);
      expect((e as Error).message).not.toContain('\n');
      expect((e as { file?: string }).file).toBe('market.json');
      // Through the text path too, when the case survives JSON (Infinity and NaN do not).
      const text = JSON.stringify(json);
      if (!/Infinity|NaN/.test(c.name + c.message)) {
        expect(thrown(() => parseMarket(text, 'market.json'))).toMatchObject({ message: c.message });
      }
    });
  }
});

describe('JSON text errors name the source and the position', () => {
  const good = JSON.stringify(base(), null, 2);
  it('invalid JSON: line and column', () => {
    const text = '{\n  "asOf": "2026-11-20T00:00:00Z",\n  "currency": "USD"\n  "underlyings": {}\n}';
    expect(() => parseMarket(text, 'm.json')).toThrow(
      'm.json: invalid JSON at line 4, column 3: expected \',\' or \'}\' after a property value, got "\\""');
  });
  it('a trailing comma, with the path of the value being read', () => {
    const text = '{"underlyings": {"BTC": {"spot": 1,}}}';
    expect(() => parseMarket(text, 'm.json')).toThrow(
      'm.json: invalid JSON at line 1, column 36 (in underlyings.BTC): expected a property name in double quotes, got "}"');
  });
  it('empty text', () => {
    expect(() => parseMarket('', 'm.json')).toThrow('m.json: invalid JSON at line 1, column 1: expected a JSON value, got the end of the text');
  });
  it('text after the value', () => {
    expect(() => parseMarket(good + '\n}', 'm.json')).toThrow(/^m\.json: invalid JSON at line \d+, column 1: unexpected "}" after the JSON value$/);
  });
  it('a duplicate key is an error (JSON.parse would keep the last silently)', () => {
    const text = '{"asOf": "2026-11-20T00:00:00Z", "currency": "USD", "underlyings": {"BTC": {"spot": 1}, "BTC": {"spot": 2}}, "instruments": {}}';
    expect(() => parseMarket(text, 'm.json')).toThrow(
      'm.json: invalid JSON at line 1, column 89 (in underlyings): duplicate key "BTC"');
  });
  it('a bad number', () => {
    expect(() => parseMarket('{"asOf": 01}', 'm.json')).toThrow('m.json: invalid JSON at line 1, column 10 (in asOf): invalid number "01"');
  });
  it('an unescaped line break in a string', () => {
    expect(() => parseMarket('{"asOf": "2026\n"}', 'm.json')).toThrow(
      'm.json: invalid JSON at line 1, column 15 (in asOf): unescaped character U+000A in a string');
  });
  it('a number too large for a double is not finite', () => {
    const text = good.replace('"spot": 97000', '"spot": 1e400');
    expect(() => parseMarket(text, 'm.json')).toThrow('m.json: underlyings.BTC.spot: expected a number > 0 and <= 1e+15, got Infinity');
    expect(schemaValid(JSON.parse(text))).toBe(false);
  });
  it('deep nesting is refused, not a stack overflow', () => {
    const text = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(() => parseMarket(text, 'm.json')).toThrow(/^m\.json: invalid JSON at line 1, column 513 .*nesting deeper than 512 levels$/);
  });
  it('a byte-order mark is ignored', () => {
    expect(parseMarket('\uFEFF' + good, 'm.json').instruments.ids).toEqual(['BTC', 'BTC-PERP', 'BTC-F', 'BTC-C']);
  });
  it('the reader gives what JSON.parse gives on valid text (escapes, unicode, numbers)', () => {
    const text = '{"a": "x\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00 é", "b": [0, -0.5, 1e-7, 12345678901234567890, 2E+3, true, false, null], "c": {}}';
    expect(parseJsonText(text)).toEqual(JSON.parse(text));
  });
});

describe('a valid market resolves to the right values', () => {
  const m = parseMarket(fixture('valid-contract.json'), 'valid-contract.json');
  const n = m.instruments.ids.length;
  const at = (c: number, id: string) => m.table[c * n + m.instruments.index.get(id)!];

  it('ids in file order, indexed by Maps', () => {
    expect(m.underlyings.ids).toEqual(['BTC', 'ETH', 'SPX']);
    expect(m.instruments.ids).toEqual(['BTC', 'BTC-PERP', 'BTC-26DEC26', 'BTC-26DEC26-100000-C', 'ETH-26DEC26',
      'ETH-26DEC26-3000-P', 'SPX-18DEC26-6000-P']);
    m.instruments.ids.forEach((id, i) => expect(m.instruments.index.get(id)).toBe(i));
    expect(m.asOf).toBe('2026-11-20T00:00:00Z');
    expect(m.asOfMs).toBe(Date.UTC(2026, 10, 20));
    expect(m.currency).toBe('USD');
    expect(m.source).toBe('valid-contract.json');
  });

  it('T is ACT/365F: 36 days from 20 Nov to 26 Dec 2026, 28 days 21 hours to 18 Dec 21:00', () => {
    // Counted by hand: 10 days left in November + 26 in December = 36 days.
    const T = m.instruments.T;
    const ix = (id: string) => m.instruments.index.get(id)!;
    expect(T[ix('BTC-26DEC26')]).toBe(36 / 365);
    expect(T[ix('BTC-26DEC26-100000-C')]).toBe(36 / 365);
    expect(T[ix('ETH-26DEC26')]).toBeCloseTo((36 * DAY + 8 * 3600) / YEAR, 15);
    expect(T[ix('SPX-18DEC26-6000-P')]).toBeCloseTo((28 * DAY + 21 * 3600) / YEAR, 15);
    expect(T[ix('BTC')]).toBe(0);
    expect(T[ix('BTC-PERP')]).toBe(0);
  });

  it('F of a future without price is S e^{(r-q)T}; with a price it is the price; a perpetual without one is S', () => {
    const T = (36 * DAY + 8 * 3600) / YEAR;
    expect(at(COL_F, 'ETH-26DEC26')).toBeCloseTo(3100 * Math.exp(0.04 * T), 9);
    // 3100 e^{0.04 * 0.09954...}: the carry over 36 1/3 days is about 12.37.
    expect(Math.abs(at(COL_F, 'ETH-26DEC26') - 3112.368)).toBeLessThan(1e-3);
    expect(at(COL_F, 'BTC-26DEC26')).toBe(97800);
    expect(at(COL_F, 'BTC-PERP')).toBe(97000);
    expect(at(COL_F, 'BTC')).toBe(0);
    expect(at(COL_F, 'BTC-26DEC26-100000-C')).toBe(0);
  });

  it('the table has NCOLS columns of n in kernel layout', () => {
    expect(m.table.length).toBe(NCOLS * n);
    const rows: Record<string, number[]> = {
      // KIND, S, K, T, R, Q, VOL, CS, U
      BTC: [KIND_SPOT, 97000, 0, 0, 0.04, 0, 0, 1, 0],
      'BTC-PERP': [KIND_LINEAR, 97000, 0, 0, 0.04, 0, 0, 1, 0],
      'BTC-26DEC26': [KIND_LINEAR, 97000, 0, 36 / 365, 0.04, 0, 0, 1, 0],
      'BTC-26DEC26-100000-C': [KIND_CALL, 97000, 100000, 36 / 365, 0.04, 0, 0.55, 1, 0],
      'ETH-26DEC26-3000-P': [KIND_PUT, 3100, 3000, (36 * DAY + 8 * 3600) / YEAR, 0.04, 0, 0.7, 1, 1],
      'SPX-18DEC26-6000-P': [KIND_PUT, 6000, 6000, (28 * DAY + 21 * 3600) / YEAR, 0.04, 0.013, 0.17, 100, 2],
    };
    const cols = [COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_U];
    for (const [id, want] of Object.entries(rows)) {
      const got = cols.map((c) => at(c, id));
      for (let k = 0; k < cols.length; k++) expect(got[k], `${id} column ${cols[k]}: ${got} vs ${want}`).toBeCloseTo(want[k], 14);
    }
    expect([...m.instruments.kind]).toEqual([KIND_SPOT, KIND_LINEAR, KIND_LINEAR, KIND_CALL, KIND_LINEAR, KIND_PUT, KIND_PUT]);
    expect(m.instruments.inputKind).toEqual(['spot', 'perpetual', 'future', 'option', 'future', 'option', 'option']);
    expect([...m.instruments.underlying]).toEqual([0, 0, 0, 0, 1, 1, 2]);
    expect([...m.instruments.contractSize]).toEqual([1, 1, 1, 1, 1, 1, 100]);
    expect([...m.instruments.strike]).toEqual([0, 0, 0, 100000, 0, 3000, 6000]);
    expect([...m.instruments.vol]).toEqual([0, 0, 0, 0.55, 0, 0.7, 0.17]);
  });

  it('underlyings and groups: an ungrouped underlying forms its own group', () => {
    expect([...m.underlyings.spot]).toEqual([97000, 3100, 6000]);
    expect([...m.underlyings.rate]).toEqual([0.04, 0.04, 0.04]);
    expect([...m.underlyings.yield]).toEqual([0, 0, 0.013]);
    expect([...m.underlyings.vol]).toEqual([0.6, 0.75, 0.18]);
    expect(m.groups.ids).toEqual(['CRYPTO', 'SPX']);
    expect([...m.groups.index]).toEqual([['CRYPTO', 0]]);
    expect([...m.underlyings.group]).toEqual([0, 0, 1]);
  });

  it('the grid block with defaults filled in', () => {
    const g = m.risk.grid!;
    expect(g.points.length).toBe(9);
    expect(g.points[0]).toEqual({ move: -0.15, cover: 1, volMoves: [-0.3, 0, 0.3] });
    expect(g.points[7]).toEqual({ move: -0.3, cover: 0.35, volMoves: [0] });
    expect(g.volTerm).toEqual({ refDays: 30, power: 0.3, floorDays: 1 });
    expect([...g.underlyings]).toEqual([['ETH', { moveScale: 1.25 }],
      ['SPX', { moveScale: 1, moves: [-0.08, -0.06, -0.04, 0, 0.02, 0.04, 0.06, -0.24, 0.18] }]]);
    expect([...g.groups]).toEqual([['CRYPTO', { offset: 0.5 }]]);
    expect(g).toMatchObject({ horizonDays: 0, shortOptionMinimum: 0, longOptionMinimum: 0, maintenanceRatio: 1 });
    expect([...groupOffsets(m, g)]).toEqual([0.5, 0]);
    // (30 / 36)^0.3 for a 36-day option.
    expect(volWeight(g, 36 / 365)).toBeCloseTo(Math.pow(30 / 36, 0.3), 14);
  });

  it('the ES block', () => {
    expect(m.risk.es).toEqual({
      confidence: 0.975, horizonDays: 2, scenarios: 10000, seed: 1, distribution: 'student-t', degreesOfFreedom: 5,
      correlations: [['BTC', 'ETH', 0.8]], maintenanceRatio: 1,
    });
  });

  it('resolveMarket on JSON.parse output gives the same market', () => {
    const again = resolveMarket(JSON.parse(fixture('valid-contract.json')), 'valid-contract.json');
    expect(again.instruments.ids).toEqual(m.instruments.ids);
    expect([...again.table]).toEqual([...m.table]);
    expect(again.risk.grid).toEqual(m.risk.grid);
  });
});

describe('defaults', () => {
  it('a minimal market: rate and yield 0, vol NaN, contractSize 1, no risk blocks', () => {
    const m = parseMarket(fixture('valid-minimal.json'));
    expect(m.source).toBe('market');
    expect([...m.underlyings.rate, ...m.underlyings.yield]).toEqual([0, 0]);
    expect(Number.isNaN(m.underlyings.vol[0])).toBe(true);
    expect([...m.instruments.contractSize]).toEqual([1]);
    expect(m.risk).toEqual({});
    expect(m.groups.ids).toEqual(['AAPL']);
    expect(m.groups.index.size).toBe(0);
  });
  it('grid defaults: cover 1, volMoves [0], no volTerm, offsets 0, minimums 0, ratio 1', () => {
    const g = validateGrid({ points: [{ move: -0.1 }, { move: 0.1, volMoves: [0.2] }] }, 'g.json', '');
    expect(g).toEqual({
      points: [{ move: -0.1, cover: 1, volMoves: [0] }, { move: 0.1, cover: 1, volMoves: [0.2] }],
      underlyings: new Map(), groups: new Map(),
      horizonDays: 0, shortOptionMinimum: 0, longOptionMinimum: 0, maintenanceRatio: 1,
    });
    expect('volTerm' in g).toBe(false);
    expect(volWeight(g, 0.01)).toBe(1);
    expect(validateGrid({ points: [{ move: 0 }], volTerm: { refDays: 30, power: 0.5 } }, 'g.json').volTerm)
      .toEqual({ refDays: 30, power: 0.5, floorDays: 1 });
  });
  it('ES defaults: seed 1, normal (degreesOfFreedom Infinity), no correlations, ratio 1', () => {
    expect(validateEs({ confidence: 0.99, horizonDays: 1, scenarios: 1 }, 'es.json')).toEqual({
      confidence: 0.99, horizonDays: 1, scenarios: 1, seed: 1, distribution: 'normal', degreesOfFreedom: Infinity,
      correlations: [], maintenanceRatio: 1,
    });
  });
  it('ES limits: 10,000,000 scenarios and seed 2^53 - 1 are accepted', () => {
    const e = validateEs({ confidence: 0.5, horizonDays: 0.5, scenarios: 1e7, seed: Number.MAX_SAFE_INTEGER }, 'es.json');
    expect([e.scenarios, e.seed]).toEqual([1e7, Number.MAX_SAFE_INTEGER]);
  });
});

describe('expired instruments', () => {
  it('an option or future whose expiry is before asOf resolves with T < 0; a derived F is the spot', () => {
    const m = base();
    m.instruments['BTC-C'].expiry = '2026-11-10T00:00:00Z';
    m.instruments['BTC-F'].expiry = '2026-11-13T00:00:00Z';
    const r = resolveMarket(m);
    const n = r.instruments.ids.length;
    const c = r.instruments.index.get('BTC-C')!, f = r.instruments.index.get('BTC-F')!;
    expect(r.instruments.T[c]).toBe(-10 / 365);
    expect(r.table[COL_T * n + c]).toBe(-10 / 365);
    expect(r.instruments.T[f]).toBe(-7 / 365);
    expect(r.instruments.refPrice[f]).toBe(97000);
  });
});

describe('validators used alone (presets, other blocks)', () => {
  it('a grid file at the top level names paths from its root', () => {
    expect(() => validateGrid({ points: [{ move: -2 }] }, 'presets/x.json', '')).toThrow('presets/x.json: points[0].move: expected a number > -1, got -2');
    expect(() => validateGrid([], 'presets/x.json', '')).toThrow('presets/x.json: expected a JSON object (a grid block), got []');
  });
  it('without a market, ids are not checked but everything else is', () => {
    const g = validateGrid({ points: [{ move: 0 }], underlyings: { ANY: { moveScale: 2 } }, groups: { G: { offset: 1 } } }, 'g.json');
    expect(g.underlyings.get('ANY')).toEqual({ moveScale: 2 });
    expect(() => validateGrid({ points: [{ move: 0 }], underlyings: { '': {} } }, 'g.json')).toThrow(
      'g.json: risk.grid.underlyings[""]: expected a non-empty underlying id, got ""');
    expect(validateEs({ confidence: 0.9, horizonDays: 1, scenarios: 10, correlations: [['X', 'Y', 0.3]] }, 'e.json').correlations)
      .toEqual([['X', 'Y', 0.3]]);
  });
  it('a pair given twice with the same value is accepted (and kept as given)', () => {
    const e = validateEs({ confidence: 0.9, horizonDays: 1, scenarios: 10, correlations: [['X', 'Y', 0.3], ['Y', 'X', 0.3]] }, 'e.json');
    expect(e.correlations).toEqual([['X', 'Y', 0.3], ['Y', 'X', 0.3]]);
  });
  it('the shipped presets validate as grid blocks (and against the schema\'s grid definition)', () => {
    const dir = join(root, 'presets');
    const gridSchema = ajv.compile({ ...schema.$defs.grid, $defs: schema.$defs });
    let count = 0;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
      const json = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      expect(() => validateGrid(json, f, '')).not.toThrow();
      expect(gridSchema(json), `${f}: ${JSON.stringify(gridSchema.errors)}`).toBe(true);
      count++;
    }
    expect(count).toBeGreaterThan(0);
  });
});

describe('ids are plain data', () => {
  const m = parseMarket(fixture('valid-odd-ids.json'), 'odd.json');

  it('__proto__, constructor, toString, valueOf, hasOwnProperty as ids of underlyings, instruments and groups', () => {
    expect(m.underlyings.ids).toEqual(['__proto__', 'constructor', 'toString', '20', '3']);
    expect(m.instruments.ids).toEqual(['hasOwnProperty', '__proto__', '10', '2', 'valueOf', 'a.b c']);
    expect(m.underlyings.index.get('__proto__')).toBe(0);
    expect(m.underlyings.index.get('constructor')).toBe(1);
    expect(m.instruments.index.get('__proto__')).toBe(1);
    expect(m.instruments.index.get('toString')).toBeUndefined();
    expect([...m.instruments.underlying]).toEqual([0, 1, 2, 3, 4, 4]);
    expect(m.instruments.refPrice[1]).toBe(21);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).spot).toBeUndefined();
  });

  it('integer-like ids keep the file order (JavaScript objects would put "2" and "10" first)', () => {
    expect(Object.keys(JSON.parse(fixture('valid-odd-ids.json')).instruments)).toEqual(['2', '10', 'hasOwnProperty', '__proto__', 'valueOf', 'a.b c']);
    expect(m.instruments.ids.indexOf('10')).toBe(2);
  });

  it('named groups and own groups are separate namespaces', () => {
    // Named: "constructor" (from __proto__), "toString" (from constructor and "20"), "__proto__" (from "3");
    // own: "toString" (the ungrouped underlying toString).
    expect(m.groups.ids).toEqual(['constructor', 'toString', 'toString', '__proto__']);
    expect([...m.underlyings.group]).toEqual([0, 1, 2, 1, 3]);
    expect([...m.groups.index]).toEqual([['constructor', 0], ['toString', 1], ['__proto__', 3]]);
    const g = m.risk.grid!;
    expect([...groupOffsets(m, g)]).toEqual([0, 1, 0, 0]);
    expect(g.underlyings.get('__proto__')).toEqual({ moveScale: 1, moves: [-0.2, 0.2] });
    expect(g.underlyings.get('constructor')).toEqual({ moveScale: 2 });
  });

  it('expired instruments and odd keys in paths', () => {
    // asOf 2026-11-20T12:00:00.500Z; "10" expired 2026-11-01T00:00Z, "2" 2026-11-10T12:00Z.
    expect(m.asOfMs).toBe(Date.UTC(2026, 10, 20, 12, 0, 0, 500));
    expect(m.instruments.T[2]).toBeCloseTo(-(19.5 * DAY + 0.5) / YEAR, 15);
    expect(m.instruments.T[3]).toBeCloseTo(-(10 * DAY + 0.5) / YEAR, 15);
    expect(m.instruments.refPrice[2]).toBe(30);
    const bad = JSON.parse(fixture('valid-odd-ids.json'));
    bad.instruments['a.b c'].contractSize = -1;
    expect(() => resolveMarket(bad, 'odd.json')).toThrow('odd.json: instruments["a.b c"].contractSize: expected a number > 0 and <= 1e+15, got -1');
  });

  it('a __proto__ or constructor id that is not in the market is reported, not looked up on Object.prototype', () => {
    const m2 = base();
    m2.risk.grid.underlyings = JSON.parse('{"__proto__": {"moveScale": 2}}');
    expect(() => resolveMarket(m2, 'market.json')).toThrow(
      'market.json: risk.grid.underlyings.__proto__: unknown underlying "__proto__"; the market\'s underlyings are BTC, ETH, SPX');
    const m3 = base();
    m3.risk.grid.groups = { constructor: { offset: 0.5 } };
    expect(() => resolveMarket(m3, 'market.json')).toThrow(/risk\.grid\.groups\.constructor: unknown product group "constructor"/);
    const m4 = base();
    m4.risk.es.correlations = [['toString', 'BTC', 0.1]];
    expect(() => resolveMarket(m4, 'market.json')).toThrow(/risk\.es\.correlations\[0\]\[0\]: unknown underlying "toString"/);
  });
});

describe('dates', () => {
  it('accepted forms', () => {
    expect(parseUtc('2026-12-26T08:00:00Z')).toBe(Date.UTC(2026, 11, 26, 8));
    expect(parseUtc('2026-12-26T08:00Z')).toBe(Date.UTC(2026, 11, 26, 8));
    expect(parseUtc('2026-12-26T08:00:00+00:00')).toBe(Date.UTC(2026, 11, 26, 8));
    expect(parseUtc('2026-12-26T08:00:00.25Z')).toBe(Date.UTC(2026, 11, 26, 8, 0, 0, 250));
    expect(parseUtc('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
    expect(parseUtc('0001-01-01T00:00:00Z')).toBe(Date.UTC(2001, 0, 1) - 2000 * 365.2425 * DAY * 1000);
  });
  it('refused forms', () => {
    for (const s of ['2026-12-26', '2026-12-26T08:00:00', '2026-12-26T08:00:00+01:00', '2026-12-26T08:00:00-00:00',
      '2026-12-26 08:00:00Z', '2026-12-26t08:00:00z', '2026-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-12-26T08:00:60Z',
      '20261226T080000Z', ' 2026-12-26T08:00:00Z']) {
      expect(parseUtc(s), s).toBeNaN();
    }
  });
  it('the schema uses the loader\'s pattern', () => {
    expect(schema.$defs.utcDateTime.pattern).toBe(UTC_DATE_TIME_PATTERN);
  });
});

describe('the JSON Schema agrees with the loader', () => {
  it('compiles under ajv strict mode without warnings', () => {
    expect(schemaWarnings).toEqual([]);
  });

  it('describes every field', () => {
    const missing: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const props = (node as { properties?: Record<string, { description?: string }> }).properties;
      if (props) for (const [k, v] of Object.entries(props)) if (!v.description) missing.push(`${at}.properties.${k}`);
      // if/then/else hold conditions on fields described where they are declared.
      for (const [k, v] of Object.entries(node)) if (k !== 'if') walk(v, `${at}.${k}`);
    };
    walk(schema, '#');
    expect(missing).toEqual([]);
  });

  const files = readdirSync(fixtures).filter((f) => f.endsWith('.json'));
  it('has fixtures of both kinds', () => {
    expect(files.filter((f) => f.startsWith('valid-')).length).toBeGreaterThanOrEqual(3);
    expect(files.filter((f) => f.startsWith('invalid-')).length).toBeGreaterThanOrEqual(5);
  });
  for (const f of files) {
    it(`${f}: schema and loader both ${f.startsWith('valid-') ? 'accept' : 'reject'} it`, () => {
      const text = fixture(f);
      const valid = f.startsWith('valid-');
      const v = schemaVerdict(JSON.parse(text));
      expect(v.ok, v.errors).toBe(valid);
      const e = thrown(() => parseMarket(text, f));
      if (valid) expect(e).toBeUndefined();
      else expect(isInputError(e), String(e)).toBe(true);
    });
  }

  it('the base market of the cases is valid for both', () => {
    expect(schemaVerdict(base()).ok).toBe(true);
    expect(() => resolveMarket(base())).not.toThrow();
  });

  it('a market with surfaces (moneyness and strike axes) and options without a vol is valid for both', () => {
    const m = base();
    m.underlyings.BTC.surface = SURFACE;
    m.underlyings.SPX.surface = { axis: 'strike', expiries: ['2027-01-15T21:00:00Z'], points: [5000, 6000, 7000], vols: [[0.3, 0.2, 0.15]] };
    delete m.instruments['BTC-C'].vol;
    m.instruments['SPX-P'] = { kind: 'option', underlying: 'SPX', right: 'put', strike: 5800, expiry: '2026-12-18T21:00:00Z' };
    const v = schemaVerdict(m);
    expect(v.ok, v.errors).toBe(true);
    const r = resolveMarket(m, 'market.json');
    expect(Array.from(r.instruments.volFromSurface!)).toEqual([0, 0, 0, 1, 1]);
  });

  for (const c of cases) {
    it(`${c.name}: the schema ${c.schema ? 'rejects it too' : 'cannot state this rule (loader only)'}`, () => {
      const v = schemaVerdict(applyEdit(c.edit));
      expect(v.ok, v.errors).toBe(!c.schema);
    });
  }
});
