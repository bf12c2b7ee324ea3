// The demo book generator (src/demo/book.ts) and the example market it runs on
// (examples/market.json, written by scripts/make-example-market.mjs).
// The CSV is read back here by plain splitting (no quoting occurs with the example ids), so the
// checks do not depend on the portfolio parser.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { DEFAULT_BOOK_PORTFOLIOS, generateBook, writeBook } from '../src/demo/book.js';
import type { MarketInput } from '../src/market/types.js';
import { resolveMarket } from '../src/market/load.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MARKET_FILE = resolve(ROOT, 'examples', 'market.json');
const market = JSON.parse(readFileSync(MARKET_FILE, 'utf8')) as MarketInput;

interface Row { portfolio: string; instrument: string; quantity: number; text: string; line: number }

function parseCsv(csv: string): { header: string; rows: Row[] } {
  expect(csv.endsWith('\n'), 'CSV ends with a newline').toBe(true);
  const lines = csv.slice(0, -1).split('\n');
  const rows = lines.slice(1).map((l, i) => {
    const f = l.split(',');
    expect(f.length, `line ${i + 2}: ${JSON.stringify(l)}`).toBe(3);
    return { portfolio: f[0], instrument: f[1], quantity: Number(f[2]), text: f[2], line: i + 2 };
  });
  return { header: lines[0], rows };
}

/** Portfolios in order of first appearance, with their rows; throws if a portfolio's rows are split. */
function groupRows(rows: Row[]): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  let current = '';
  for (const r of rows) {
    if (r.portfolio !== current) {
      expect(out.has(r.portfolio), `portfolio ${r.portfolio} appears again at line ${r.line} after another portfolio`).toBe(false);
      out.set(r.portfolio, []);
      current = r.portfolio;
    }
    out.get(r.portfolio)!.push(r);
  }
  return out;
}

describe('generateBook on examples/market.json', () => {
  const csv = generateBook(market, { portfolios: DEFAULT_BOOK_PORTFOLIOS, seed: 1 });
  const { header, rows } = parseCsv(csv);
  const portfolios = groupRows(rows);

  test('header, and exactly the requested number of portfolios, each contiguous, ids P00001...', () => {
    expect(header).toBe('portfolio,instrument,quantity');
    expect(portfolios.size).toBe(10_000);
    expect([...portfolios.keys()].slice(0, 3)).toEqual(['P00001', 'P00002', 'P00003']);
    expect([...portfolios.keys()].at(-1)).toBe('P10000');
  });

  test('every instrument exists in the market; no instrument twice in a portfolio', () => {
    const ids = new Set(Object.keys(market.instruments));
    for (const r of rows) expect(ids.has(r.instrument), `line ${r.line}: unknown instrument ${r.instrument}`).toBe(true);
    for (const [p, rs] of portfolios) {
      const seen = new Set(rs.map((r) => r.instrument));
      expect(seen.size, `portfolio ${p}: ${rs.map((r) => r.instrument).join(' ')}`).toBe(rs.length);
    }
  });

  test('quantities: finite, non-zero, whole contracts when the contract size is above 1, plain decimals', () => {
    for (const r of rows) {
      const where = `line ${r.line}: ${r.portfolio},${r.instrument},${r.text}`;
      expect(Number.isFinite(r.quantity) && r.quantity !== 0, where).toBe(true);
      expect(r.text, where).toMatch(/^-?\d+(\.\d{1,4})?$/);
      if ((market.instruments[r.instrument].contractSize ?? 1) > 1) expect(Number.isInteger(r.quantity), where).toBe(true);
    }
  });

  test('retail portfolios hold 1-10 positions, market makers 50-200; both kinds and both signs occur', () => {
    let retail = 0, makers = 0;
    for (const [p, rs] of portfolios) {
      const n = rs.length;
      expect((n >= 1 && n <= 10) || (n >= 50 && n <= 200), `portfolio ${p} has ${n} positions`).toBe(true);
      if (n <= 10) retail++; else makers++;
    }
    // About 2 % market makers (binomial: 200 expected of 10,000, standard deviation 14).
    expect(makers).toBeGreaterThan(100);
    expect(makers).toBeLessThan(300);
    expect(retail + makers).toBe(10_000);
    expect(rows.some((r) => r.quantity > 0)).toBe(true);
    expect(rows.some((r) => r.quantity < 0)).toBe(true);
    // Options, perpetuals, futures and spot all appear.
    const kinds = new Set(rows.map((r) => market.instruments[r.instrument].kind));
    expect([...kinds].sort()).toEqual(['future', 'option', 'perpetual', 'spot']);
  });

  test('sizes are sensible: BTC legs 0.1-100 BTC in retail books, SPX options 1-20 contracts', () => {
    for (const [p, rs] of portfolios) {
      if (rs.length > 10) continue;
      for (const r of rs) {
        const inst = market.instruments[r.instrument];
        const where = `${p}: ${r.instrument} ${r.text}`;
        if (inst.underlying === 'BTC') {
          expect(Math.abs(r.quantity), where).toBeGreaterThanOrEqual(0.1);
          expect(Math.abs(r.quantity), where).toBeLessThanOrEqual(100);
        }
        if (inst.underlying === 'SPX' && inst.kind === 'option') {
          expect(Math.abs(r.quantity), where).toBeGreaterThanOrEqual(1);
          expect(Math.abs(r.quantity), where).toBeLessThanOrEqual(20);
        }
      }
    }
  });

  test('deterministic for a seed, different for another seed', () => {
    expect(generateBook(market, { portfolios: 10_000, seed: 1 })).toBe(csv);
    const other = generateBook(market, { portfolios: 10_000, seed: 2 });
    expect(other).not.toBe(csv);
    expect(groupRows(parseCsv(other).rows).size).toBe(10_000);
  });

  test('a smaller book is the requested size too (0, 1, 137 portfolios), and defaults are 10,000 and seed 1', () => {
    expect(generateBook(market, { portfolios: 0, seed: 1 })).toBe('portfolio,instrument,quantity\n');
    expect(groupRows(parseCsv(generateBook(market, { portfolios: 1, seed: 5 })).rows).size).toBe(1);
    expect(groupRows(parseCsv(generateBook(market, { portfolios: 137, seed: 5 })).rows).size).toBe(137);
    expect(generateBook(market)).toBe(csv);
  });

  test('10,000 portfolios take under 1 s', () => {
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      generateBook(market, { portfolios: 10_000, seed: 7 + i });
      best = Math.min(best, performance.now() - t0);
    }
    expect(best, `best of 3: ${best.toFixed(1)} ms`).toBeLessThan(1000);
  });

  test('writeBook writes the same text to a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'book-'));
    try {
      const path = join(dir, 'book.csv');
      writeBook(path, market, { portfolios: 50, seed: 3 });
      expect(readFileSync(path, 'utf8')).toBe(generateBook(market, { portfolios: 50, seed: 3 }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('generateBook on other markets', () => {
  test('an underlying with options only (nothing linear) still gets valid books', () => {
    const m: MarketInput = {
      asOf: '2026-01-01T00:00:00Z', currency: 'USD',
      underlyings: { X: { spot: 100, vol: 0.3 } },
      instruments: {
        'X-C-100': { kind: 'option', underlying: 'X', right: 'call', strike: 100, expiry: '2026-03-01T00:00:00Z', vol: 0.3, contractSize: 100 },
        'X-P-100': { kind: 'option', underlying: 'X', right: 'put', strike: 100, expiry: '2026-03-01T00:00:00Z', vol: 0.3, contractSize: 100 },
        'X-C-110': { kind: 'option', underlying: 'X', right: 'call', strike: 110, expiry: '2026-03-01T00:00:00Z', vol: 0.3, contractSize: 100 },
        'X-P-110': { kind: 'option', underlying: 'X', right: 'put', strike: 110, expiry: '2026-03-01T00:00:00Z', vol: 0.3, contractSize: 100 },
      },
    };
    const { rows } = parseCsv(generateBook(m, { portfolios: 500, seed: 9 }));
    const ps = groupRows(rows);
    expect(ps.size).toBe(500);
    for (const r of rows) expect(Object.keys(m.instruments)).toContain(r.instrument);
  });

  test('a market with a single perpetual gives one-line books', () => {
    const m: MarketInput = {
      asOf: '2026-01-01T00:00:00Z', currency: 'USD',
      underlyings: { X: { spot: 50 } },
      instruments: { 'X-PERP': { kind: 'perpetual', underlying: 'X' } },
    };
    const ps = groupRows(parseCsv(generateBook(m, { portfolios: 200, seed: 1 })).rows);
    expect(ps.size).toBe(200);
    for (const rs of ps.values()) expect(rs.length).toBe(1);
  });

  test('a market with nothing usable, and a bad count, are errors', () => {
    const empty: MarketInput = { asOf: '2026-01-01T00:00:00Z', currency: 'USD', underlyings: { X: { spot: 1 } }, instruments: {} };
    expect(() => generateBook(empty, { portfolios: 1, seed: 1 })).toThrow(/no instrument/);
    expect(() => generateBook(market, { portfolios: -1, seed: 1 })).toThrow(/whole number/);
    expect(() => generateBook(market, { portfolios: 1.5, seed: 1 })).toThrow(/whole number/);
  });
});

describe('examples/market.json', () => {
  test('is what scripts/make-example-market.mjs writes (byte for byte)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'market-'));
    try {
      const out = join(dir, 'market.json');
      execFileSync(process.execPath, [resolve(ROOT, 'scripts', 'make-example-market.mjs'), out], { stdio: 'pipe' });
      expect(readFileSync(out, 'utf8') === readFileSync(MARKET_FILE, 'utf8'), 'regenerate with: node scripts/make-example-market.mjs').toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('has 300-800 instruments: spot, perpetuals, futures and option chains on the documented underlyings', () => {
    const inst = Object.values(market.instruments);
    expect(inst.length).toBeGreaterThanOrEqual(300);
    expect(inst.length).toBeLessThanOrEqual(800);
    expect(Object.keys(market.underlyings)).toEqual(['BTC', 'ETH', 'SOL', 'SPX', 'NDX', 'AAPL', 'NVDA']);
    expect(market.asOf).toBe('2026-11-20T00:00:00Z');
    expect(market.currency).toBe('USD');
    for (const id of ['BTC', 'ETH', 'SOL']) {
      expect(market.underlyings[id].group).toBe('CRYPTO');
      expect(market.instruments[`${id}-PERP`].kind).toBe('perpetual');
    }
    expect(market.underlyings.SPX.group).toBe('US_INDEX');
    expect(market.underlyings.NDX.group).toBe('US_INDEX');
    expect(market.instruments['ES-DEC26'].contractSize).toBe(50);
    expect(market.instruments['NQ-DEC26'].contractSize).toBe(20);
    for (const i of inst) if (i.kind === 'option' && (i.underlying === 'SPX' || i.underlying === 'NDX')) expect(i.contractSize).toBe(100);
  });

  test('every chain has a smile: on each expiry the vol is lowest near the money and rises to both wings', () => {
    // The vol each option is priced with: its own, or its underlying's surface's (BTC, SPX).
    const resolved = resolveMarket(market, 'examples/market.json');
    const chains = new Map<string, { strike: number; vol: number }[]>();
    let fromSurface = 0;
    for (const [id, i] of Object.entries(market.instruments)) {
      if (i.kind !== 'option' || i.right !== 'call') continue;
      const key = `${i.underlying} ${i.expiry}`;
      if (!chains.has(key)) chains.set(key, []);
      const k = resolved.instruments.index.get(id)!;
      if (i.vol === undefined) fromSurface++;
      else expect(resolved.instruments.vol[k]).toBe(i.vol);
      chains.get(key)!.push({ strike: i.strike!, vol: resolved.instruments.vol[k] });
    }
    expect(fromSurface).toBeGreaterThan(50);
    expect(chains.size).toBeGreaterThanOrEqual(20);
    for (const [key, c] of chains) {
      c.sort((a, b) => a.strike - b.strike);
      const vols = c.map((x) => x.vol);
      const lo = vols.indexOf(Math.min(...vols));
      const where = `${key}: ${JSON.stringify(c)}`;
      expect(c.length, where).toBeGreaterThanOrEqual(9);
      // Falls to the minimum, rises after it (non-strictly: 4-decimal rounding).
      for (let k = 1; k <= lo; k++) expect(vols[k], where).toBeLessThanOrEqual(vols[k - 1]);
      for (let k = lo + 1; k < vols.length; k++) expect(vols[k], where).toBeGreaterThanOrEqual(vols[k - 1]);
      expect(vols[0], where).toBeGreaterThan(vols[lo]);
    }
  });

  test('the ES correlation matrix is positive definite (independent Cholesky) and covers every pair', () => {
    const ids = Object.keys(market.underlyings);
    const n = ids.length;
    const c = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
    const pairs = market.risk!.es!.correlations!;
    expect(pairs.length).toBe((n * (n - 1)) / 2);
    for (const [a, b, r] of pairs) {
      c[ids.indexOf(a)][ids.indexOf(b)] = r;
      c[ids.indexOf(b)][ids.indexOf(a)] = r;
    }
    const L = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = c[i][j];
        for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
        if (i === j) {
          expect(s, `pivot ${ids[i]}: ${s}`).toBeGreaterThan(1e-3);
          L[i][i] = Math.sqrt(s);
        } else {
          L[i][j] = s / L[j][j];
        }
      }
    }
  });
});
