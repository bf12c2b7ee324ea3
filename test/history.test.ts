// Price histories (CSV date,underlying,price) and the EWMA filter of filtered historical
// simulation: parsing, alignment, one test per error message, and the filter's recursion checked
// against hand computations and against the cases where it must be the identity.
import { describe, expect, it } from 'vitest';
import { alignHistory, parseHistoryCsv } from '../src/history/parse.js';
import { dayNumber, dayString } from '../src/math/days.js';
import { ewmaFilter, logReturns } from '../src/history/ewma.js';
import { isInputError } from '../src/errors.js';
import { inputErrorMessage } from './helpers/results.js';

const H = 'history.csv';


describe('parseHistoryCsv', () => {
  it('reads rows in any order, with a BOM, CRLF, blank lines and quoted fields', () => {
    const text = '\ufeffdate,underlying,price\r\n2025-01-03,BTC,101\r\n\r\n2025-01-02,"BTC",100\r\n2025-01-02,ETH,"3000.5"\r\n'
      + '2025-01-03,ETH,2990\n   \n';
    const h = parseHistoryCsv(text, H);
    expect(h.underlyings).toEqual(['BTC', 'ETH']);
    const btc = h.series.get('BTC')!;
    expect(Array.from(btc.days, dayString)).toEqual(['2025-01-02', '2025-01-03']);
    expect(Array.from(btc.prices)).toEqual([100, 101]);
    expect(Array.from(btc.rows)).toEqual([4, 2]);
    expect(Array.from(h.series.get('ETH')!.prices)).toEqual([3000.5, 2990]);
  });

  it('day numbers round-trip and reject days that do not exist', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(dayNumber('2024-02-29')).toBe(19782); // 54 years incl. 13 leap days: 54*365+13+59
    expect(dayString(dayNumber('2026-11-20'))).toBe('2026-11-20');
    expect(dayNumber('2025-02-29')).toBeNaN();
    expect(dayNumber('2025-1-02')).toBeNaN();
  });

  const cases: [string, string, string][] = [
    ['empty file', '', `${H}: empty file: expected the header "date,underlying,price" on the first line`],
    ['wrong header', 'day,underlying,price\n', `${H}: line 1: expected the header "date,underlying,price" or "date,underlying,price,vol", got "day,underlying,price"`],
    ['header only', 'date,underlying,price\n', `${H}: no prices: the file has a header and no rows`],
    ['two fields', 'date,underlying,price\n2025-01-02,BTC\n', `${H}: row 2: expected 3 fields (date,underlying,price), got 2`],
    ['date format', 'date,underlying,price\n02/01/2025,BTC,1\n', `${H}: row 2: date: expected a day YYYY-MM-DD such as "2026-11-20", got "02/01/2025"`],
    ['no such day', 'date,underlying,price\n2025-02-29,BTC,1\n',
      `${H}: row 2: date: expected a day YYYY-MM-DD such as "2026-11-20", got "2025-02-29" (no such day)`],
    ['empty underlying', 'date,underlying,price\n2025-01-02,,1\n', `${H}: row 2: underlying: expected a non-empty underlying id, got ""`],
    ['price not a number', 'date,underlying,price\n2025-01-02,BTC,1 000\n', `${H}: row 2: price: expected a decimal number, got "1 000"`],
    ['price empty', 'date,underlying,price\n2025-01-02,BTC,\n', `${H}: row 2: price: expected a decimal number, got ""`],
    ['zero price', 'date,underlying,price\n2025-01-02,BTC,0\n',
      `${H}: row 2: price: BTC closes at 0 on 2025-01-02; a price must be > 0 (its log return is undefined)`],
    ['negative price', 'date,underlying,price\n2025-01-02,BTC,1\n2025-01-03,BTC,-5\n',
      `${H}: row 3: price: BTC closes at -5 on 2025-01-03; a price must be > 0 (its log return is undefined)`],
    ['duplicate', 'date,underlying,price\n2025-01-02,BTC,1\n2025-01-03,BTC,2\n2025-01-02,BTC,1\n',
      `${H}: row 4: a second price for BTC on 2025-01-02; row 2 already gives one`],
    ['unclosed quote', 'date,underlying,price\n2025-01-02,"BTC,1\n', `${H}: row 2: field 2: a quoted field is not closed on its line`],
  ];
  for (const [name, text, want] of cases) {
    it(`rejects: ${name}`, () => {
      expect(inputErrorMessage(() => parseHistoryCsv(text, H))).toBe(want);
    });
  }
});

describe('parseHistoryCsv on hostile input: linear time, bounded fields and lines', () => {
  const hd = 'date,underlying,price\n';
  function timedMessage(text: string): { msg: string; ms: number } {
    const t0 = performance.now();
    const msg = inputErrorMessage(() => parseHistoryCsv(text, H));
    return { msg, ms: performance.now() - t0 };
  }

  it('a price of 1,000 digits then x is rejected at once, as not a decimal number', () => {
    const r = timedMessage(`${hd}2025-01-02,BTC,${'1'.repeat(1000)}x\n`);
    expect(r.msg).toBe(`${H}: row 2: price: expected a decimal number, got "${'1'.repeat(60)}"... (1001 characters)`);
    expect(r.ms).toBeLessThan(100);
  });

  it('a price of 160,000 digits then x, and a 1 MiB field: errors naming the row and the limit, in well under a second', () => {
    const a = timedMessage(`${hd}2025-01-02,BTC,${'1'.repeat(160_000)}x\n`);
    expect(a.msg).toBe(`${H}: row 2: the line is 160016 bytes long; the limit is 65536 bytes`);
    const b = timedMessage(`${hd}2025-01-02,BTC,${'1'.repeat(60_000)}x\n`);
    expect(b.msg).toBe(`${H}: row 2: price: "${'1'.repeat(60)}"... (60001 characters) is longer than the limit of 1024 bytes`);
    const c = timedMessage(`${hd}2025-01-02,${'U'.repeat(1 << 20)},1\n`);
    expect(c.msg).toBe(`${H}: row 2: the line is 1048589 bytes long; the limit is 65536 bytes`);
    expect(a.ms + b.ms + c.ms).toBeLessThan(500);
  });
});

describe('alignHistory', () => {
  const text = 'date,underlying,price\n2025-01-02,BTC,100\n2025-01-02,ETH,10\n2025-01-03,BTC,101\n2025-01-03,ETH,11\n'
    + '2025-01-06,BTC,102\n2025-01-06,SOL,5\n';

  it('aligns the underlyings asked for on their common dates, ignoring the others', () => {
    const a = alignHistory(parseHistoryCsv(text, H), ['BTC'], Date.parse('2025-01-06T00:00:00Z'));
    expect(a.dates).toEqual(['2025-01-02', '2025-01-03', '2025-01-06']);
    expect(Array.from(a.prices[0])).toEqual([100, 101, 102]);
  });

  it('rejects a market underlying the history lacks, naming it', () => {
    expect(inputErrorMessage(() => alignHistory(parseHistoryCsv(text, H), ['BTC', 'NVDA'])))
      .toBe(`${H}: no prices for underlying "NVDA" of the market; the history has BTC, ETH, SOL`);
  });

  it('rejects a gap, naming the underlying, the date and a row that has the date', () => {
    expect(inputErrorMessage(() => alignHistory(parseHistoryCsv(text, H), ['BTC', 'ETH'])))
      .toBe(`${H}: ETH has no price on 2025-01-06, a date on which BTC has one (row 6); every underlying needs a price on `
        + 'every date of the history (gaps are not filled)');
  });

  it('rejects a history that ends after the market\'s asOf', () => {
    expect(inputErrorMessage(() => alignHistory(parseHistoryCsv(text, H), ['BTC'], Date.parse('2025-01-03T12:00:00Z'))))
      .toBe(`${H}: row 6: date 2025-01-06 is after the market's asOf 2025-01-03; a history must end on or before it`);
  });
});

describe('ewmaFilter', () => {
  it('follows the recursion on a hand-checked case', () => {
    // r = [0.01, -0.02, 0.03, 0.01], lambda 0.9, seed m = 2:
    // v2 = (0.01^2 + 0.02^2) / 2                 = 2.5e-4
    // v3 = 0.9 * 2.5e-4  + 0.1 * 0.03^2           = 3.15e-4
    // v4 = 0.9 * 3.15e-4 + 0.1 * 0.01^2           = 2.935e-4  (today)
    // f2 = 0.03 * sqrt(2.935e-4 / 2.5e-4), f3 = 0.01 * sqrt(2.935e-4 / 3.15e-4)
    const f = ewmaFilter([0.01, -0.02, 0.03, 0.01], 0.9, 2);
    const tol = 1e-15;
    expect(Number.isNaN(f.variance[0]) && Number.isNaN(f.variance[1])).toBe(true);
    expect(Math.abs(f.variance[2] - 2.5e-4)).toBeLessThan(tol);
    expect(Math.abs(f.variance[3] - 3.15e-4)).toBeLessThan(tol);
    expect(Math.abs(f.variance[4] - 2.935e-4)).toBeLessThan(tol);
    expect(Math.abs(f.sigmaToday - Math.sqrt(2.935e-4))).toBeLessThan(tol);
    expect(Math.abs(f.filtered[2] - 0.03 * Math.sqrt(2.935e-4 / 2.5e-4))).toBeLessThan(tol);
    expect(Math.abs(f.filtered[3] - 0.01 * Math.sqrt(2.935e-4 / 3.15e-4))).toBeLessThan(tol);
    expect(Number.isNaN(f.filtered[0]) && Number.isNaN(f.filtered[1])).toBe(true);
    expect(f.first).toBe(2);
    expect(f.zeroVarianceAt).toBe(-1);
  });

  it('is the identity for returns of constant size (any signs), within 1e-15 relative', () => {
    const r = Array.from({ length: 50 }, (_, i) => ((i * 7) % 3 === 0 ? -0.02 : 0.02));
    const f = ewmaFilter(r, 0.94, 10);
    for (let i = 10; i < 50; i++) expect(Math.abs(f.filtered[i] - r[i]), `i=${i}`).toBeLessThanOrEqual(1e-15 * 0.02);
    expect(Math.abs(f.sigmaToday - 0.02)).toBeLessThan(1e-16);
  });

  it('is the identity with lambda = 1 (plain historical simulation)', () => {
    const r = [0.01, -0.05, 0.002, 0.03, -0.01, 0.04];
    const f = ewmaFilter(r, 1, 3);
    for (let i = 3; i < r.length; i++) expect(Math.abs(f.filtered[i] - r[i])).toBeLessThanOrEqual(1e-15 * Math.abs(r[i]));
  });

  it('scales a calm history up after a volatile day, and the other way round', () => {
    const calm = [...Array(20).fill(0.01), 0.1];
    const up = ewmaFilter(calm, 0.9, 5);
    expect(up.filtered[10]).toBeGreaterThan(0.01); // today's vol is above the calm days'
    const wild = [...Array(5).fill(0.05), ...Array(30).fill(0.005)];
    const down = ewmaFilter(wild, 0.9, 5);
    expect(Math.abs(down.filtered[5])).toBeLessThan(0.005); // the first filtered day had a higher forecast vol
  });

  it('reports a zero variance', () => {
    const f = ewmaFilter([0, 0, 0, 0.01], 0.9, 2);
    expect(f.zeroVarianceAt).toBe(2);
  });

  it('rejects bad parameters', () => {
    expect(() => ewmaFilter([0.01, 0.02], 0, 1)).toThrow('lambda must be in (0, 1], got 0');
    expect(() => ewmaFilter([0.01, 0.02], 0.9, 3)).toThrow('seedReturns must be a whole number in 1..2, got 3');
  });

  it('logReturns are ln(P[i+1]/P[i])', () => {
    expect(Array.from(logReturns([100, 110, 99]))).toEqual([Math.log(110 / 100), Math.log(99 / 110)]);
    expect(logReturns([5]).length).toBe(0);
  });
});
