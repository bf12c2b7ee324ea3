#!/usr/bin/env node
// Writes examples/market.json: a realistic, fully deterministic market snapshot
// (docs/methods.md §2) with crypto spot, perpetuals, dated futures and option chains, equity index futures
// and options, and two single stocks with options. No randomness: every strike, vol and price
// follows from the parameters below, so running the script again gives the same bytes.
//
//   node scripts/make-example-market.mjs [out.json]
//
// Vols follow a simple smile in standardised moneyness x = ln(K/F) / (atmVol sqrt T):
// vol = atmVol(T) * (1 + skew x + curvature x^2), floored at half the ATM vol, so implied vol
// rises away from the money (with a put skew on equities); each option carries its vol. BTC and
// SPX instead carry an implied-vol surface (docs/surfaces.md) and their options no vol of their
// own: the engine reads each option's vol off the surface. BTC: a crypto smile on a moneyness
// axis (K / F_T) at its six option expiries, the put wing above the call wing, the ATM vol rising
// with the term; SPX: an index skew on a strike axis at its four option expiries, vols falling
// with the strike. BTC's quarterly options (26MAR27, 25JUN27) are written on the BTC futures of the
// same expiry (`future`: Black-76 on the future's price, the surface read at K / F_future). Both are checked free of calendar arbitrage (total variance vol^2 T
// non-decreasing in expiry at every point) before the file is written, as is the ES correlation
// matrix positive definite.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const AS_OF = '2026-11-20T00:00:00Z';
const AS_OF_MS = Date.parse(AS_OF);
const YEAR_MS = 365 * 86400 * 1000;

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** Underlyings: spot, carry, the vol of returns (simulation methods) and the smile. */
const UNDERLYINGS = {
  BTC:  { spot: 97000, rate: 0.04, yield: 0.0,    vol: 0.55, group: 'CRYPTO',   atm: 0.52, skew: 0.02,  curv: 0.06 },
  ETH:  { spot: 3100,  rate: 0.04, yield: 0.0,    vol: 0.70, group: 'CRYPTO',   atm: 0.66, skew: 0.01,  curv: 0.06 },
  SOL:  { spot: 240,   rate: 0.04, yield: 0.0,    vol: 0.85, group: 'CRYPTO',   atm: 0.80, skew: 0.0,   curv: 0.07 },
  SPX:  { spot: 6000,  rate: 0.04, yield: 0.013,  vol: 0.16, group: 'US_INDEX', atm: 0.15, skew: -0.12, curv: 0.04 },
  NDX:  { spot: 21000, rate: 0.04, yield: 0.007,  vol: 0.21, group: 'US_INDEX', atm: 0.19, skew: -0.10, curv: 0.04 },
  AAPL: { spot: 230,   rate: 0.04, yield: 0.0045, vol: 0.27,                    atm: 0.26, skew: -0.08, curv: 0.05 },
  NVDA: { spot: 145,   rate: 0.04, yield: 0.0003, vol: 0.50,                    atm: 0.48, skew: -0.05, curv: 0.05 },
};

/** Strike increments an exchange would list, per underlying (the chain picks one per expiry). */
const STRIKE_STEPS = {
  BTC: [500, 1000, 2000, 2500, 5000, 10000],
  ETH: [10, 25, 50, 100, 200],
  SOL: [1, 2.5, 5, 10, 20],
  SPX: [5, 10, 25, 50, 100],
  NDX: [25, 50, 100, 250, 500],
  AAPL: [1, 2.5, 5, 10],
  NVDA: [1, 2.5, 5, 10],
};

/** Price ticks for quoted futures prices. */
const TICK = { BTC: 0.5, ETH: 0.05, SOL: 0.01, SPX: 0.25, NDX: 0.25 };

// Expiries (UTC). Crypto: Deribit-style Fridays 08:00; index and stock options: PM-settled
// third Fridays 21:00 (16:00 New York); index futures: third Fridays 14:30 (09:30 New York open).
const CRYPTO_WEEKLY = ['2026-11-27', '2026-12-04'];
const CRYPTO_MONTHLY = ['2026-12-25', '2027-01-29'];
const CRYPTO_QUARTERLY = ['2027-03-26', '2027-06-25'];
const CRYPTO_OPTION_EXPIRIES = {
  BTC: [...CRYPTO_WEEKLY, ...CRYPTO_MONTHLY, ...CRYPTO_QUARTERLY],
  ETH: [...CRYPTO_WEEKLY, ...CRYPTO_MONTHLY, ...CRYPTO_QUARTERLY],
  SOL: ['2026-11-27', '2026-12-25', '2027-01-29', '2027-03-26'],
};
const CRYPTO_FUTURE_EXPIRIES = {
  BTC: ['2026-12-25', '2027-03-26', '2027-06-25'],
  ETH: ['2026-12-25', '2027-03-26', '2027-06-25'],
  SOL: ['2026-12-25', '2027-03-26'],
};
const INDEX_OPTION_EXPIRIES = {
  SPX: ['2026-12-18', '2027-01-15', '2027-02-19', '2027-03-19'],
  NDX: ['2026-12-18', '2027-01-15', '2027-02-19'],
};
const INDEX_FUTURES = [
  { root: 'ES', underlying: 'SPX', contractSize: 50 },
  { root: 'NQ', underlying: 'NDX', contractSize: 20 },
];
const INDEX_FUTURE_EXPIRIES = ['2026-12-18', '2027-03-19', '2027-06-18'];
const STOCK_OPTION_EXPIRIES = ['2026-12-18', '2027-01-15'];

/** Strikes per side of the ATM strike: 2 * n + 1 strikes per expiry. */
const HALF_CHAIN = { BTC: 6, ETH: 6, SOL: 5, SPX: 6, NDX: 5, AAPL: 4, NVDA: 4 };

function yearFraction(iso) { return (Date.parse(iso) - AS_OF_MS) / YEAR_MS; }

/**
 * The surfaces. vol(k, T) = atm(T) + slope(T) k + curvature(T) k^2 with k = ln(K / F_T), rounded
 * to 4 decimals; atm(T) = atm * (0.92 + 0.12 min(T, 1)) for BTC and atm * (0.9 + 0.14 sqrt(min(T, 1)))
 * for SPX (the term structure of atmVol below); the slope and curvature scale with
 * (T / 0.25)^-0.25, a smile steeper at short expiries that flattens with the term (the wings'
 * total variance still rising with T).
 */
const SURFACES = {
  // Crypto smile: a mild put skew (slope < 0) on a wide smile; points are moneyness K / F_T.
  BTC: { axis: 'moneyness', hour: '08:00', slope: -0.08, curvature: 0.45,
    points: [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1, 1.05, 1.1, 1.2, 1.3, 1.5, 1.8] },
  // Index skew: vols fall with the strike (steep downside), a little curvature; points are strikes.
  SPX: { axis: 'strike', hour: '21:00', slope: -0.55, curvature: 0.6,
    points: [4500, 5000, 5400, 5600, 5800, 5900, 6000, 6100, 6200, 6400, 6600, 7000] },
};

/** "2026-12-25" -> "25DEC26" (Deribit date code). */
function dateCode(day) {
  const [y, m, d] = day.split('-');
  return `${String(Number(d))}${MONTHS[Number(m) - 1]}${y.slice(2)}`;
}
/** "2026-12-18" -> "DEC26" (futures month code in a readable form). */
function monthCode(day) {
  const [y, m] = day.split('-');
  return `${MONTHS[Number(m) - 1]}${y.slice(2)}`;
}

function roundTo(x, step) {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number((Math.round(x / step) * step).toFixed(decimals));
}

function forward(u, T) { return u.spot * Math.exp((u.rate - u.yield) * T); }

function atmVol(id, u, T) {
  // Gently upward-sloping term structure: 92 % of the base at the shortest tenor, 104 % at 1 year.
  const crypto = u.group === 'CRYPTO';
  const t = Math.min(T, 1);
  return u.atm * (crypto ? 0.92 + 0.12 * t : 0.9 + 0.14 * Math.sqrt(t));
}

function smileVol(id, u, K, T) {
  const F = forward(u, T);
  const a = atmVol(id, u, T);
  const x = Math.log(K / F) / (a * Math.sqrt(T));
  const v = a * (1 + u.skew * x + u.curv * x * x);
  return Number(Math.max(0.5 * a, v).toFixed(4));
}

/** The surface of `id` at its option expiries (SURFACES above), checked free of calendar arbitrage. */
function makeSurface(id, days) {
  const u = UNDERLYINGS[id], spec = SURFACES[id];
  const expiries = days.map((day) => `${day}T${spec.hour}:00Z`);
  const vols = expiries.map((expiry) => {
    const T = yearFraction(expiry);
    const a = atmVol(id, u, T);
    const scale = (T / 0.25) ** -0.25;
    return spec.points.map((x) => {
      const k = spec.axis === 'moneyness' ? Math.log(x) : Math.log(x / forward(u, T));
      const v = a + (spec.slope * k + spec.curvature * k * k) * scale;
      return Number(Math.max(0.6 * a, v).toFixed(4));
    });
  });
  // Calendar arbitrage, as the engine checks it: vol^2 T must not fall from one expiry to the next.
  for (let i = 1; i < expiries.length; i++) {
    const T0 = yearFraction(expiries[i - 1]), T1 = yearFraction(expiries[i]);
    spec.points.forEach((x, j) => {
      const w0 = vols[i - 1][j] * vols[i - 1][j] * T0, w1 = vols[i][j] * vols[i][j] * T1;
      if (w1 < w0) throw new Error(`${id} surface: calendar arbitrage at point ${x} between ${expiries[i - 1]} and ${expiries[i]}`);
    });
  }
  return { axis: spec.axis, expiries, points: spec.points, vols };
}

/** The listed increment closest (in log terms) to a chain spanning about +-2.2 standard deviations. */
function strikeStep(id, u, T, half) {
  const target = (u.spot * atmVol(id, u, T) * Math.sqrt(T) * 2.2) / half;
  let best = STRIKE_STEPS[id][0];
  for (const s of STRIKE_STEPS[id]) {
    if (Math.abs(Math.log(s / target)) < Math.abs(Math.log(best / target))) best = s;
  }
  return best;
}

function strikeText(K) { return String(K); }

const instruments = {};
function add(id, spec) {
  if (Object.prototype.hasOwnProperty.call(instruments, id)) throw new Error(`duplicate instrument ${id}`);
  instruments[id] = spec;
}

function addChain(id, expiryIso, prefix, contractSize, extra = {}) {
  const u = UNDERLYINGS[id];
  const T = yearFraction(expiryIso);
  const half = HALF_CHAIN[id];
  const step = strikeStep(id, u, T, half);
  const F = forward(u, T);
  const center = roundTo(F, step);
  for (let i = -half; i <= half; i++) {
    const K = roundTo(center + i * step, step);
    if (K <= 0) continue;
    // An option on an underlying with a surface carries no vol: the engine reads it off the surface.
    const vol = SURFACES[id] ? {} : { vol: smileVol(id, u, K, T) };
    for (const right of ['call', 'put']) {
      add(`${prefix}-${strikeText(K)}-${right === 'call' ? 'C' : 'P'}`, {
        kind: 'option', underlying: id, right, strike: K, expiry: expiryIso, ...vol, contractSize, ...extra,
      });
    }
  }
}

// Crypto: spot, perpetual, dated futures, option chains.
for (const id of ['BTC', 'ETH', 'SOL']) {
  const u = UNDERLYINGS[id];
  add(id, { kind: 'spot', underlying: id });
  add(`${id}-PERP`, { kind: 'perpetual', underlying: id, contractSize: 1 });
  for (const day of CRYPTO_FUTURE_EXPIRIES[id]) {
    const expiry = `${day}T08:00:00Z`;
    add(`${id}-${dateCode(day)}`, {
      kind: 'future', underlying: id, expiry, price: roundTo(forward(u, yearFraction(expiry)), TICK[id]), contractSize: 1,
    });
  }
  for (const day of CRYPTO_OPTION_EXPIRIES[id]) {
    // BTC's quarterly options are written on the future of the same expiry, as crypto venues price
    // them off the futures curve: Black-76 on that future's price (docs/methods.md §3.3).
    const onFuture = id === 'BTC' && CRYPTO_FUTURE_EXPIRIES.BTC.includes(day) && CRYPTO_QUARTERLY.includes(day);
    addChain(id, `${day}T08:00:00Z`, `${id}-${dateCode(day)}`, 1, onFuture ? { future: `${id}-${dateCode(day)}` } : {});
  }
}

// Equity indices: futures (ES x50, NQ x20) and PM-settled monthly options (x100).
for (const f of INDEX_FUTURES) {
  const u = UNDERLYINGS[f.underlying];
  for (const day of INDEX_FUTURE_EXPIRIES) {
    const expiry = `${day}T14:30:00Z`;
    add(`${f.root}-${monthCode(day)}`, {
      kind: 'future', underlying: f.underlying, expiry,
      price: roundTo(forward(u, yearFraction(expiry)), TICK[f.underlying]), contractSize: f.contractSize,
    });
  }
}
for (const id of ['SPX', 'NDX']) {
  for (const day of INDEX_OPTION_EXPIRIES[id]) addChain(id, `${day}T21:00:00Z`, `${id}-${dateCode(day)}`, 100);
}

// Single stocks: shares (contract size 1) and monthly options (x100).
for (const id of ['AAPL', 'NVDA']) {
  add(id, { kind: 'spot', underlying: id });
  // European here: listed US equity options are American (`"style": "american"`, docs/methods.md
  // §3.6), but an American cell costs about 7 us against 0.03 us (one Bjerksund-Stensland
  // approximation, 20 bivariate normals), which would multiply the ES and FHS runs on this market.
  for (const day of STOCK_OPTION_EXPIRIES) addChain(id, `${day}T21:00:00Z`, `${id}-${dateCode(day)}`, 100);
}

// Correlations for the ES method; pairs not listed are 0 (none here: every pair is listed).
const CRYPTO = ['BTC', 'ETH', 'SOL'];
const INDEX = ['SPX', 'NDX'];
const STOCKS = ['AAPL', 'NVDA'];
const correlations = [
  ['BTC', 'ETH', 0.8], ['BTC', 'SOL', 0.7], ['ETH', 'SOL', 0.75],
  ['SPX', 'NDX', 0.9],
  ['SPX', 'AAPL', 0.7], ['SPX', 'NVDA', 0.6], ['NDX', 'AAPL', 0.75], ['NDX', 'NVDA', 0.7], ['AAPL', 'NVDA', 0.5],
];
for (const c of CRYPTO) for (const i of INDEX) correlations.push([c, i, 0.3]);
for (const c of CRYPTO) for (const s of STOCKS) correlations.push([c, s, 0.2]);

/** Smallest eigenvalue of a symmetric matrix (cyclic Jacobi rotations). */
function minEigenvalue(m) {
  const n = m.length;
  const a = m.map((row) => row.slice());
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Math.min(...a.map((row, i) => row[i]));
}

const ids = Object.keys(UNDERLYINGS);
const matrix = ids.map((a) => ids.map((b) => (a === b ? 1 : 0)));
for (const [a, b, r] of correlations) {
  const i = ids.indexOf(a), j = ids.indexOf(b);
  if (i < 0 || j < 0 || i === j || matrix[i][j] !== 0) throw new Error(`bad correlation pair ${a}-${b}`);
  matrix[i][j] = r;
  matrix[j][i] = r;
}
const lambdaMin = minEigenvalue(matrix);
if (!(lambdaMin > 1e-6)) throw new Error(`correlation matrix is not positive definite (smallest eigenvalue ${lambdaMin})`);

// Grid block: the crypto preset's shape (presets/crypto.json) with index underlyings on
// TIMS-like high-cap index moves (-8 % .. +6 %) and single stocks scaled to +-15 %.
const grid = {
  points: [
    { move: -0.16 }, { move: -0.12 }, { move: -0.08 }, { move: -0.04 }, { move: 0 },
    { move: 0.04 }, { move: 0.08 }, { move: 0.12 }, { move: 0.16 },
    { move: -0.33, cover: 0.3, volMoves: [0.5] },
    { move: 0.5, cover: 0.3, volMoves: [0.5] },
  ],
  volMoves: [-0.25, 0, 0.5],
  volTerm: { refDays: 30, power: 0.3, floorDays: 1 },
  underlyings: {
    SOL: { moveScale: 1.25 },
    SPX: { moves: [-0.08, -0.06, -0.04, -0.02, 0, 0.015, 0.03, 0.045, 0.06, -0.16, 0.12] },
    NDX: { moves: [-0.08, -0.06, -0.04, -0.02, 0, 0.015, 0.03, 0.045, 0.06, -0.16, 0.12] },
    AAPL: { moveScale: 0.9375 },
    NVDA: { moveScale: 0.9375 },
  },
  groups: { CRYPTO: { offset: 0.5 }, US_INDEX: { offset: 0.9 } },
  horizonDays: 0,
  shortOptionMinimum: 0.375,
  longOptionMinimum: 0.375,
  maintenanceRatio: 0.8,
};
for (const [id, u] of Object.entries(grid.underlyings)) {
  if (u.moves && u.moves.length !== grid.points.length) throw new Error(`${id}: moves must have one entry per point`);
}

const es = {
  confidence: 0.975, horizonDays: 2, scenarios: 10000, seed: 1,
  distribution: 'student-t', degreesOfFreedom: 5,
  correlations, maintenanceRatio: 0.8,
};

const underlyings = {};
for (const [id, u] of Object.entries(UNDERLYINGS)) {
  const out = { spot: u.spot, rate: u.rate, yield: u.yield, vol: u.vol };
  if (u.group) out.group = u.group;
  if (id === 'BTC') out.surface = makeSurface(id, CRYPTO_OPTION_EXPIRIES.BTC);
  if (id === 'SPX') out.surface = makeSurface(id, INDEX_OPTION_EXPIRIES.SPX);
  underlyings[id] = out;
}

const DESCRIPTION = 'Example market snapshot (illustrative prices and vols, not market data): crypto spot, '
  + 'perpetuals, futures and option chains (BTC quarterlies on their futures), US index futures and options, two single stocks. '
  + 'Generated by scripts/make-example-market.mjs; edit the script, not this file.';
const market = { description: DESCRIPTION, asOf: AS_OF, currency: 'USD', underlyings, instruments, risk: { grid, es } };

// Readable layout: one underlying, instrument, grid point or correlation pair a line.
/** Compact one-line JSON with a space after each comma and colon: { "a": 1, "b": [1, 2] }. */
function line(v) {
  if (Array.isArray(v)) return `[${v.map(line).join(', ')}]`;
  if (v && typeof v === 'object') return `{ ${Object.entries(v).map(([k, w]) => `${JSON.stringify(k)}: ${line(w)}`).join(', ')} }`;
  return JSON.stringify(v);
}
function block(obj, indent, each) {
  const keys = Object.keys(obj);
  const pad = ' '.repeat(indent);
  return '{\n' + keys.map((k, i) => `${pad}  ${JSON.stringify(k)}: ${each(obj[k], indent + 2)}${i < keys.length - 1 ? ',' : ''}`).join('\n') + `\n${pad}}`;
}
function list(arr, indent) {
  const pad = ' '.repeat(indent);
  return '[\n' + arr.map((v, i) => `${pad}  ${line(v)}${i < arr.length - 1 ? ',' : ''}`).join('\n') + `\n${pad}]`;
}
/** An underlying a line; a surface's fields a line each, and its vols a row a line. */
function underlyingText(u, indent) {
  if (!u.surface) return line(u);
  const { surface, ...rest } = u;
  const pad = ' '.repeat(indent);
  const fields = Object.entries(rest).map(([k, v]) => `${JSON.stringify(k)}: ${line(v)}`).join(', ');
  const s = surface;
  return `{ ${fields}, "surface": {\n`
    + `${pad}    "axis": ${line(s.axis)},\n`
    + `${pad}    "expiries": ${line(s.expiries)},\n`
    + `${pad}    "points": ${line(s.points)},\n`
    + `${pad}    "vols": ${list(s.vols, indent + 4)}\n`
    + `${pad}  } }`;
}
const gridText = block(grid, 4, (v, ind) => {
  if (Array.isArray(v) && typeof v[0] === 'object') return list(v, ind);
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).some((x) => x && typeof x === 'object')) return block(v, ind, (w) => line(w));
  return line(v);
});
const esText = block(es, 4, (v, ind) => (Array.isArray(v) && Array.isArray(v[0]) ? list(v, ind) : line(v)));
const text = [
  '{',
  `  "description": ${JSON.stringify(DESCRIPTION)},`,
  `  "asOf": ${JSON.stringify(AS_OF)},`,
  '  "currency": "USD",',
  `  "underlyings": ${block(underlyings, 2, underlyingText)},`,
  `  "instruments": ${block(instruments, 2, (v) => line(v))},`,
  '  "risk": {',
  `    "grid": ${gridText},`,
  `    "es": ${esText}`,
  '  }',
  '}',
  '',
].join('\n');

// The layout must not change the data.
if (JSON.stringify(JSON.parse(text)) !== JSON.stringify(market)) throw new Error('formatter changed the data');

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? resolve(here, '..', 'examples', 'market.json');
writeFileSync(out, text);

const counts = {};
for (const s of Object.values(instruments)) counts[s.kind] = (counts[s.kind] ?? 0) + 1;
process.stderr.write(
  `wrote ${out}: ${Object.keys(instruments).length} instruments ${JSON.stringify(counts)}, ` +
  `${ids.length} underlyings, correlation matrix smallest eigenvalue ${lambdaMin.toFixed(4)}\n`,
);
