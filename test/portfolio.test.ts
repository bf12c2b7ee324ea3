/**
 * Portfolio files (docs/methods.md §4): CSV and NDJSON, one test per error message, the
 * incremental readers, and a seeded round trip through an RFC 4180 writer written here.
 */
import { describe, expect, it } from 'vitest';
import { parsePortfolios, parsePortfoliosCsv, parsePortfoliosNdjson } from '../src/portfolio/read.js';
import { CsvPortfolioReader } from '../src/portfolio/csv.js';
import { NdjsonPortfolioReader } from '../src/portfolio/ndjson.js';
import { isDecimal, parseQuantity } from '../src/portfolio/number.js';
import type { ParsedPortfolio, PortfolioEmit } from '../src/portfolio/types.js';
import { isInputError, show } from '../src/errors.js';
import { Rng } from './helpers/random.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { thrown } from './helpers/results.js';

const H = 'portfolio,instrument,quantity';
const csv = (...rows: string[]) => [H, ...rows].join('\n') + '\n';
const ok = (id: string, ...positions: [string, number][]): ParsedPortfolio =>
  ({ id, positions: positions.map(([instrument, quantity]) => ({ instrument, quantity })) });
const bad = (id: string, error: string): ParsedPortfolio => ({ id, error });


describe('CSV: valid files', () => {
  it('portfolios in order of first appearance, rows in order', () => {
    expect(parsePortfoliosCsv(csv('P1,BTC-PERP,-2', 'P1,BTC,1.5', 'P2,ETH,3'))).toEqual([
      ok('P1', ['BTC-PERP', -2], ['BTC', 1.5]), ok('P2', ['ETH', 3]),
    ]);
  });
  it('a header alone: no portfolios', () => {
    expect(parsePortfoliosCsv(H)).toEqual([]);
    expect(parsePortfoliosCsv(H + '\r\n')).toEqual([]);
  });
  it('UTF-8 byte-order mark', () => {
    expect(parsePortfoliosCsv('\uFEFF' + csv('P1,BTC,1'))).toEqual([ok('P1', ['BTC', 1])]);
  });
  it('CRLF line ends, and a last line without one', () => {
    expect(parsePortfoliosCsv(`${H}\r\nP1,BTC,1\r\nP2,ETH,2`)).toEqual([ok('P1', ['BTC', 1]), ok('P2', ['ETH', 2])]);
  });
  it('blank and whitespace-only lines are skipped, before the header too, and do not split a portfolio', () => {
    expect(parsePortfoliosCsv(`\n\n${H}\n\nP1,BTC,1\n   \n\t\nP1,ETH,2\n\n`)).toEqual([ok('P1', ['BTC', 1], ['ETH', 2])]);
  });
  it('RFC 4180 quoting: commas, doubled quotes and line breaks inside quoted fields; a quoted header', () => {
    const text = '"portfolio","instrument","quantity"\r\n"P,1","BTC ""perp""","-2"\r\n"multi\r\n\r\nline",ETH,1\r\n"",X,1\r\n';
    expect(parsePortfoliosCsv(text)).toEqual([
      ok('P,1', ['BTC "perp"', -2]), ok('multi\n\nline', ['ETH', 1]), bad('row 6', 'row 6: empty portfolio id'),
    ]);
  });
  it('the same instrument twice in a portfolio gives two positions; quantity 0 is kept', () => {
    expect(parsePortfoliosCsv(csv('P1,BTC,1', 'P1,BTC,2', 'P1,ETH,0'))).toEqual([ok('P1', ['BTC', 1], ['BTC', 2], ['ETH', 0])]);
  });
  it('nothing is trimmed: " BTC" is an instrument id of its own (unknown ones are the margin stage\'s to report)', () => {
    expect(parsePortfoliosCsv(csv('P1, BTC,1', 'P1,NOPE,1'))).toEqual([ok('P1', [' BTC', 1], ['NOPE', 1])]);
  });
  it('__proto__, constructor and toString are ordinary portfolio and instrument ids', () => {
    const r = parsePortfoliosCsv(csv('__proto__,constructor,1', 'constructor,__proto__,2', 'toString,hasOwnProperty,3', '__proto__,x,1'));
    expect(r).toEqual([
      ok('__proto__', ['constructor', 1], ['x', 1]),
      ok('constructor', ['__proto__', 2]), ok('toString', ['hasOwnProperty', 3]),
    ]);
    expect(Object.getPrototypeOf(r[1])).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).positions).toBeUndefined();
  });
});

describe('CSV: quantities', () => {
  it('accepts decimal and exponent forms', () => {
    const forms: [string, number][] = [['2', 2], ['-2', -2], ['+2', 2], ['0.5', 0.5], ['.5', 0.5], ['5.', 5], ['-.25', -0.25],
      ['1e3', 1000], ['-2.5E-3', -0.0025], ['1E+2', 100], ['007', 7], ['0', 0], ['123456789012.5', 123456789012.5]];
    for (const [s, q] of forms) expect(parseQuantity(s), s).toBe(q);
    expect(Object.is(parseQuantity('-0'), 0)).toBe(true);
  });
  it('refuses everything else', () => {
    for (const s of ['', ' 2', '2 ', '1,5', '0x10', 'Infinity', '-Infinity', 'NaN', '1e400', '1_000', '1e', 'e3', '.', '-', '+-1', '2..', '½', '١']) {
      expect(parseQuantity(s), JSON.stringify(s)).toBeNaN();
    }
  });
});

describe('CSV: file-level errors throw InputError naming the file', () => {
  const cases: [string, string, string][] = [
    ['empty file', '', 'book.csv: empty file: expected the header "portfolio,instrument,quantity" on the first line'],
    ['only a byte-order mark', '\uFEFF', 'book.csv: empty file: expected the header "portfolio,instrument,quantity" on the first line'],
    ['only blank lines', '\n \r\n\n', 'book.csv: empty file: expected the header "portfolio,instrument,quantity" on the first line'],
    ['missing header', 'P1,BTC,1\nP1,ETH,2\n', 'book.csv: line 1: expected the header "portfolio,instrument,quantity", got "P1,BTC,1"'],
    ['header in another case', 'Portfolio,Instrument,Quantity\n', 'book.csv: line 1: expected the header "portfolio,instrument,quantity", got "Portfolio,Instrument,Quantity"'],
    ['extra columns in the header', 'portfolio,instrument,quantity,price\nP1,BTC,1,5\n',
      'book.csv: line 1: expected the header "portfolio,instrument,quantity", got "portfolio,instrument,quantity,price"'],
    ['a column missing from the header', 'portfolio,instrument\n', 'book.csv: line 1: expected the header "portfolio,instrument,quantity", got "portfolio,instrument"'],
    ['columns in another order', 'instrument,portfolio,quantity\n', 'book.csv: line 1: expected the header "portfolio,instrument,quantity", got "instrument,portfolio,quantity"'],
    ['header after blank lines names its line', '\n\nportfolio;instrument;quantity\n', 'book.csv: line 3: expected the header "portfolio,instrument,quantity", got "portfolio;instrument;quantity"'],
    ['a quoted field never closed in the header', 'portfolio,"instrument,quantity\nP1,BTC,1\n', 'book.csv: row 1: a quoted field opened on this row is never closed'],
  ];
  for (const [name, text, message] of cases) {
    it(name, () => {
      const e = thrown(() => parsePortfoliosCsv(text, 'book.csv'));
      expect(isInputError(e), String(e)).toBe(true);
      expect((e as Error).message).toBe(message);
      expect((e as { file?: string }).file).toBe('book.csv');
    });
  }
});

describe('CSV: row-level errors make only their portfolio an error', () => {
  const cases: [string, string[], ParsedPortfolio[]][] = [
    ['too many fields', ['P1,BTC,1', 'P1,ETH,2,3', 'P2,BTC,1'],
      [bad('P1', 'row 3: expected 3 fields (portfolio,instrument,quantity), got 4'), ok('P2', ['BTC', 1])]],
    ['a decimal comma makes four fields', ['P1,BTC,1,5'], [bad('P1', 'row 2: expected 3 fields (portfolio,instrument,quantity), got 4')]],
    ['too few fields', ['P0,BTC,1', 'P1,BTC'], [ok('P0', ['BTC', 1]), bad('P1', 'row 3: expected 3 fields (portfolio,instrument,quantity), got 2')]],
    ['one field', ['P1'], [bad('P1', 'row 2: expected 3 fields (portfolio,instrument,quantity), got 1')]],
    ['empty portfolio id: an entry of its own that does not interrupt the portfolio around it', ['P1,BTC,1', ',ETH,2', 'P1,SOL,3', 'P2,X,1'],
      [ok('P1', ['BTC', 1], ['SOL', 3]), bad('row 3', 'row 3: empty portfolio id'), ok('P2', ['X', 1])]],
    ['empty instrument', ['P1,BTC,1', 'P1,,2'], [bad('P1', 'row 3: empty instrument')]],
    ['non-numeric quantity', ['P1,BTC,abc'], [bad('P1', 'row 2: quantity "abc" is not a finite number')]],
    ['empty quantity', ['P1,BTC,'], [bad('P1', 'row 2: quantity "" is not a finite number')]],
    ['quoted decimal comma', ['P1,BTC,"1,5"'], [bad('P1', 'row 2: quantity "1,5" is not a finite number')]],
    ['hexadecimal quantity', ['P1,BTC,0x10'], [bad('P1', 'row 2: quantity "0x10" is not a finite number')]],
    ['Infinity', ['P1,BTC,Infinity'], [bad('P1', 'row 2: quantity "Infinity" is not a finite number')]],
    ['NaN', ['P1,BTC,NaN'], [bad('P1', 'row 2: quantity "NaN" is not a finite number')]],
    ['a quantity that overflows to infinity', ['P1,BTC,1e400'], [bad('P1', 'row 2: quantity "1e400" is not a finite number')]],
    ['several bad rows: the first, and how many more', ['P1,BTC,x', 'P1,ETH,1', 'P1,,1', 'P1,SOL,y', 'P2,BTC,1'],
      [bad('P1', 'row 2: quantity "x" is not a finite number (and 2 more bad rows)'), ok('P2', ['BTC', 1])]],
    ['a quote inside an unquoted field', ['P1,B"TC,1'],
      [bad('P1', 'row 2: field 2: a quote inside an unquoted field (quote the whole field and double the quote)')]],
    ['text after a closing quote', ['P1,"BTC"X,1'], [bad('P1', 'row 2: field 2: unexpected "X" after a closing quote')]],
    ['a malformed first field has no portfolio id', ['P0,BTC,1', '"P1"x,BTC,1'],
      [ok('P0', ['BTC', 1]), bad('row 3', 'row 3: field 1: unexpected "x" after a closing quote')]],
    ['a reappearing id: one portfolio, at its first place, its positions in file order', ['P1,BTC,1', 'P2,ETH,1', 'P1,SOL,1', 'P1,SOL,2', 'P3,X,1', 'P1,Y,1'],
      [ok('P1', ['BTC', 1], ['SOL', 1], ['SOL', 2], ['Y', 1]), ok('P2', ['ETH', 1]), ok('P3', ['X', 1])]],
    ['a reappearing id whose first block was already an error keeps its first error', ['P1,BTC,x', 'P2,ETH,1', 'P1,BTC,1'],
      [bad('P1', 'row 2: quantity "x" is not a finite number'), ok('P2', ['ETH', 1])]],
    ['a bad row in a later block makes the whole portfolio an error, at its first place', ['P1,BTC,1', 'P2,ETH,1', 'P1,BTC,y', 'P1,ETH,1'],
      [bad('P1', 'row 4: quantity "y" is not a finite number'), ok('P2', ['ETH', 1])]],
    ['bad rows spread over blocks: the first, and how many more in all', ['P1,BTC,x', 'P1,ETH,z', 'P2,ETH,1', 'P1,,1', 'P3,X,1', 'P1,BTC,y'],
      [bad('P1', 'row 2: quantity "x" is not a finite number (and 3 more bad rows)'), ok('P2', ['ETH', 1]), ok('P3', ['X', 1])]],
    ['an entry of its own between two blocks of an id does not change the order', ['P1,BTC,1', ',ETH,1', 'P2,ETH,1', 'P1,SOL,1'],
      [ok('P1', ['BTC', 1], ['SOL', 1]), bad('row 3', 'row 3: empty portfolio id'), ok('P2', ['ETH', 1])]],
  ];
  for (const [name, rows, want] of cases) {
    it(name, () => {
      expect(parsePortfoliosCsv(csv(...rows))).toEqual(want);
    });
  }
});

describe('CSV: the incremental reader', () => {
  it('emits a portfolio when the next starts, entries in seq order, and an amendment (more of it) when an id comes back', () => {
    const r = new CsvPortfolioReader('book.csv');
    const log: [string, PortfolioEmit[]][] = [];
    for (const line of [H, 'P1,BTC,1', 'P1,ETH,2', ',X,1', 'P2,BTC,1', 'P1,SOL,1', 'P3,BTC,1']) log.push([line, [...r.push(line)]]);
    log.push(['<end>', [...r.end()]]);
    expect(r.lineNumber).toBe(7);
    expect(log).toEqual([
      [H, []], ['P1,BTC,1', []], ['P1,ETH,2', []], [',X,1', []],
      ['P2,BTC,1', [{ seq: 0, portfolio: ok('P1', ['BTC', 1], ['ETH', 2]), amends: false },
        { seq: 1, portfolio: bad('row 4', 'row 4: empty portfolio id'), amends: false }]],
      ['P1,SOL,1', [{ seq: 2, portfolio: ok('P2', ['BTC', 1]), amends: false }]],
      ['P3,BTC,1', [{ seq: 0, portfolio: ok('P1', ['SOL', 1]), amends: true }]],
      ['<end>', [{ seq: 3, portfolio: ok('P3', ['BTC', 1]), amends: false }]],
    ]);
  });
  it('a trailing carriage return on a pushed line is ignored (lines split at LF only)', () => {
    const r = new CsvPortfolioReader();
    const got = [...r.push(H + '\r'), ...r.push('P1,BTC,1\r'), ...r.end()];
    expect(got).toEqual([{ seq: 0, portfolio: ok('P1', ['BTC', 1]), amends: false }]);
  });
  it('a quoted field across lines is completed by the following pushes', () => {
    const r = new CsvPortfolioReader();
    r.push(H);
    expect(r.push('"P')).toEqual([]);
    expect(r.push('')).toEqual([]);
    expect(r.push('1",BTC,1')).toEqual([]);
    expect(r.end()).toEqual([{ seq: 0, portfolio: ok('P\n\n1', ['BTC', 1]), amends: false }]);
  });
});

describe('NDJSON', () => {
  const line = (o: unknown) => JSON.stringify(o);
  it('one portfolio a line; blank lines, CRLF and a byte-order mark', () => {
    const text = '\uFEFF' + line({ portfolio: 'P1', positions: [{ instrument: 'BTC-PERP', quantity: -2 }, { instrument: 'BTC', quantity: 1 }] })
      + '\r\n\r\n' + line({ portfolio: 'P2', positions: [] }) + '\n  \n' + line({ positions: [{ quantity: 0, instrument: 'X' }], portfolio: 'P3' });
    expect(parsePortfoliosNdjson(text)).toEqual([ok('P1', ['BTC-PERP', -2], ['BTC', 1]), ok('P2'), ok('P3', ['X', 0])]);
  });
  it('an empty file holds no portfolios', () => {
    expect(parsePortfoliosNdjson('')).toEqual([]);
    expect(parsePortfoliosNdjson('\n\n')).toEqual([]);
  });
  it('__proto__ and constructor ids', () => {
    const text = '{"portfolio":"__proto__","positions":[{"instrument":"constructor","quantity":1}]}\n'
      + '{"portfolio":"constructor","positions":[{"instrument":"__proto__","quantity":2}]}';
    expect(parsePortfoliosNdjson(text)).toEqual([ok('__proto__', ['constructor', 1]), ok('constructor', ['__proto__', 2])]);
  });
  const cases: [string, string[], ParsedPortfolio[]][] = [
    ['invalid JSON with a readable id: the error goes to that portfolio', ['{"portfolio":"P1","positions":[{"instrument":"BTC","quantity":1]}', line({ portfolio: 'P2', positions: [] })],
      [bad('P1', 'line 1: invalid JSON at column 64: expected \',\' or \'}\' after a property value, got "]"'), ok('P2')]],
    ['invalid JSON without a readable id: an entry named by its line', [line({ portfolio: 'P0', positions: [] }), 'P1,BTC,1'],
      [ok('P0'), bad('line 2', 'line 2: invalid JSON at column 1: expected a JSON value, got "P"')]],
    ['not an object', ['["P1", []]'], [bad('line 1', 'line 1: expected a JSON object {"portfolio": ..., "positions": [...]}, got ["P1",[]]')]],
    ['portfolio missing', ['{"positions":[]}'], [bad('line 1', 'line 1: portfolio: expected a non-empty string, got nothing')]],
    ['portfolio empty', ['{"portfolio":"","positions":[]}'], [bad('line 1', 'line 1: portfolio: expected a non-empty string, got ""')]],
    ['portfolio not a string', ['{"portfolio":7,"positions":[]}'], [bad('line 1', 'line 1: portfolio: expected a non-empty string, got 7')]],
    ['unknown field', ['{"portfolio":"P1","postions":[]}'], [bad('P1', 'line 1: unknown field "postions"; expected "portfolio" and "positions"')]],
    ['positions missing', ['{"portfolio":"P1"}'], [bad('P1', 'line 1: positions: expected a list of {"instrument": ..., "quantity": ...}, got nothing')]],
    ['positions not a list', ['{"portfolio":"P1","positions":{"BTC":1}}'],
      [bad('P1', 'line 1: positions: expected a list of {"instrument": ..., "quantity": ...}, got {"BTC":1}')]],
    ['a position not an object', ['{"portfolio":"P1","positions":[["BTC",1]]}'],
      [bad('P1', 'line 1: positions[0]: expected a JSON object {"instrument": ..., "quantity": ...}, got ["BTC",1]')]],
    ['a position with an unknown field', ['{"portfolio":"P1","positions":[{"instrument":"BTC","qty":1}]}'],
      [bad('P1', 'line 1: positions[0]: unknown field "qty"; expected "instrument" and "quantity"')]],
    ['an empty instrument', ['{"portfolio":"P1","positions":[{"instrument":"BTC","quantity":1},{"instrument":"","quantity":1}]}'],
      [bad('P1', 'line 1: positions[1].instrument: expected a non-empty string, got ""')]],
    ['a quantity as a string', ['{"portfolio":"P1","positions":[{"instrument":"BTC","quantity":"2"}]}'],
      [bad('P1', 'line 1: positions[0].quantity: expected a finite number, got "2"')]],
    ['a quantity that overflows', ['{"portfolio":"P1","positions":[{"instrument":"BTC","quantity":1e400}]}'],
      [bad('P1', 'line 1: positions[0].quantity: expected a finite number, got Infinity')]],
    ['a duplicate key', ['{"portfolio":"P1","positions":[],"positions":[]}'],
      [bad('P1', 'line 1: invalid JSON at column 34: duplicate key "positions"')]],
    ['an id on two lines is one portfolio, its positions in line order', [line({ portfolio: 'P1', positions: [{ instrument: 'A', quantity: 1 }] }), line({ portfolio: 'P2', positions: [] }), '', line({ portfolio: 'P1', positions: [{ instrument: 'B', quantity: -2 }] })],
      [ok('P1', ['A', 1], ['B', -2]), ok('P2')]],
    ['an id on two lines, one of them bad: that portfolio is an error', [line({ portfolio: 'P1', positions: [] }), line({ portfolio: 'P2', positions: [] }), line({ portfolio: 'P1', positions: [{ instrument: 'B', quantity: 'x' }] })],
      [bad('P1', 'line 3: positions[0].quantity: expected a finite number, got "x"'), ok('P2')]],
  ];
  for (const [name, lines, want] of cases) {
    it(name, () => {
      expect(parsePortfoliosNdjson(lines.join('\n'))).toEqual(want);
    });
  }
  it('the reader emits each line at once, and a repeated id as an amendment (more of that portfolio)', () => {
    const r = new NdjsonPortfolioReader('b.ndjson');
    expect(r.push(line({ portfolio: 'A', positions: [] }))).toEqual([{ seq: 0, portfolio: ok('A'), amends: false }]);
    expect(r.push('')).toEqual([]);
    expect(r.push(line({ portfolio: 'A', positions: [] }) + '\r')).toEqual([{ seq: 0, portfolio: ok('A'), amends: true }]);
    expect(r.end()).toEqual([]);
  });
});

describe('parsePortfolios chooses the format by extension', () => {
  const nd = '{"portfolio":"P1","positions":[{"instrument":"BTC","quantity":1}]}\n';
  it('.ndjson and .jsonl (any case) are NDJSON, anything else CSV', () => {
    for (const name of ['book.ndjson', 'dir/book.jsonl', 'BOOK.JSONL']) expect(parsePortfolios(nd, name)).toEqual([ok('P1', ['BTC', 1])]);
    for (const name of ['book.csv', 'book.txt', 'stdin']) expect(parsePortfolios(csv('P1,BTC,1'), name)).toEqual([ok('P1', ['BTC', 1])]);
    expect(() => parsePortfolios(nd, 'book.csv')).toThrow(/^book\.csv: line 1: expected the header/);
  });
});

// ---------------------------------------------------------------------------------------------
// Round trip: random books written with an RFC 4180 writer (fields quoted when they must be, and
// at random otherwise), random line ends, blank lines and BOM; read whole and line by line.

const TRICKY = ['P1', 'BTC-26DEC26-100000-C', '__proto__', 'constructor', 'toString', 'a,b', 'say "hi"', '"', ',', 'multi\nline',
  'a\n\nb', ' spaced ', 'é€😀', 'row 5', 'line 2', '0', '-1', 'x'.repeat(200)];

function quote(field: string, rng: Rng): string {
  const must = /[",\n\r]/.test(field);
  return must || rng.next() < 0.2 ? `"${field.replace(/"/g, '""')}"` : field;
}

function randomBook(rng: Rng): { portfolios: ParsedPortfolio[]; csvText: string; ndjsonText: string } {
  const ids = new Set<string>();
  const n = rng.int(0, 30);
  while (ids.size < n) ids.add(rng.next() < 0.5 ? rng.pick(TRICKY) + (rng.next() < 0.5 ? '' : String(rng.int(0, 99))) : `P${rng.int(0, 10_000)}`);
  const portfolios: ParsedPortfolio[] = [...ids].map((id) => ({
    id,
    positions: Array.from({ length: rng.int(1, 4) }, () => {
      const q = rng.pick([() => rng.int(-100, 100), () => rng.uniform(-1e6, 1e6), () => rng.normal() * 1e-8, () => 0]);
      return { instrument: rng.pick(TRICKY) + (rng.next() < 0.3 ? String(rng.int(0, 9)) : ''), quantity: q() };
    }),
  }));
  const eol = rng.next() < 0.5 ? '\n' : '\r\n';
  const lines: string[] = [H];
  for (const p of portfolios) {
    for (const pos of p.positions!) {
      const qs = rng.next() < 0.5 ? String(pos.quantity) : pos.quantity.toExponential();
      // A line break inside a quoted field follows the file's convention.
      lines.push([p.id, pos.instrument, qs].map((f) => quote(f, rng)).join(',').replace(/\n/g, eol));
      if (rng.next() < 0.1) lines.push(rng.pick(['', ' ', '\t']));
    }
  }
  const bom = rng.next() < 0.3 ? '\uFEFF' : '';
  const csvText = bom + lines.join(eol) + (rng.next() < 0.5 ? eol : '');
  const ndjsonText = bom + portfolios.map((p) => JSON.stringify({ portfolio: p.id, positions: p.positions })).join(eol);
  return { portfolios, csvText, ndjsonText };
}

function streamed(reader: CsvPortfolioReader | NdjsonPortfolioReader, text: string): { out: ParsedPortfolio[]; seqs: number[] } {
  const out: ParsedPortfolio[] = [];
  const seqs: number[] = [];
  const take = (es: readonly PortfolioEmit[]) => { for (const e of es) { out[e.seq] = e.portfolio; seqs.push(e.seq); } };
  // A streaming caller splits at LF and leaves the CR to the reader.
  for (const l of text.split('\n')) take(reader.push(l));
  take(reader.end());
  return { out, seqs };
}

describe('round trip through an RFC 4180 writer (seeded)', () => {
  it('500 random books: whole-text and line-by-line parses give back every portfolio exactly', () => {
    const rng = new Rng(20261120);
    let portfolios = 0, positions = 0;
    for (let k = 0; k < 500; k++) {
      const book = randomBook(rng);
      const context = `book ${k}:\n${JSON.stringify(book.csvText)}`;
      expect(parsePortfoliosCsv(book.csvText), context).toEqual(book.portfolios);
      expect(parsePortfoliosNdjson(book.ndjsonText), context).toEqual(book.portfolios);
      const s = streamed(new CsvPortfolioReader(), book.csvText);
      expect(s.out, context).toEqual(book.portfolios);
      expect(s.seqs, context).toEqual(book.portfolios.map((_, i) => i));
      expect(streamed(new NdjsonPortfolioReader(), book.ndjsonText).out, context).toEqual(book.portfolios);
      portfolios += book.portfolios.length;
      positions += book.portfolios.reduce((a, p) => a + p.positions!.length, 0);
    }
    expect(portfolios).toBeGreaterThan(5000);
    expect(positions).toBeGreaterThan(10000);
  });

  it('shuffled rows of 200 random books: every id gives exactly one portfolio, in order of first appearance, with all its rows', () => {
    const rng = new Rng(7);
    for (let k = 0; k < 200; k++) {
      const rows: [string, string, number][] = [];
      const n = rng.int(1, 40);
      for (let i = 0; i < n; i++) rows.push([`P${rng.int(0, 6)}`, `I${rng.int(0, 3)}`, rng.int(-5, 5)]);
      const got = parsePortfoliosCsv(csv(...rows.map((r) => r.join(','))));
      const context = `book ${k}: ${JSON.stringify(rows)}`;
      // The model: one portfolio per id, at its first appearance, with every one of its rows in file order.
      const first = [...new Set(rows.map((r) => r[0]))];
      expect(got.map((p) => p.id), context).toEqual(first);
      for (const p of got) {
        const idx = rows.flatMap((r, i) => (r[0] === p.id ? [i] : []));
        expect(p.positions, context).toEqual(idx.map((i) => ({ instrument: rows[i][1], quantity: rows[i][2] })));
      }
      // Bytes (the stream's line feeder) give the same.
      expect(parsePortfoliosCsv(Buffer.from(csv(...rows.map((r) => r.join(','))))), context).toEqual(got);
    }
  });
});

describe('hostile input: linear time, bounded fields, lines and messages', () => {
  /** Runs f and returns its result and the milliseconds it took. */
  function timed<T>(f: () => T): { value: T; ms: number } {
    const t0 = performance.now();
    const value = f();
    return { value, ms: performance.now() - t0 };
  }

  it('isDecimal accepts exactly the decimal grammar', () => {
    for (const s of ['0', '-2', '+2', '0.5', '.5', '5.', '1e3', '1E-3', '-1.5e+10', '007']) expect(isDecimal(s), s).toBe(true);
    for (const s of ['', '+', '-', '.', 'e3', '1e', '1e+', '1.2.3', '1,5', '0x10', 'Infinity', 'NaN', ' 1', '1 ', '1e3.5', '--1', '1x'])
      expect(isDecimal(s), s).toBe(false);
  });

  it('a quantity of 160,000 digits then x, and a 1 MiB one, are rejected in well under a second', () => {
    const digits = '1'.repeat(160_000) + 'x';
    const a = timed(() => parseQuantity(digits));
    expect(a.value).toBeNaN();
    const mib = '9'.repeat(1 << 20) + 'x';
    const b = timed(() => isDecimal(mib));
    expect(b.value).toBe(false);
    expect(a.ms + b.ms).toBeLessThan(200);
  });

  it('a field longer than 1,024 bytes is an error of its row naming the limit; a long id is an entry of its own', () => {
    const q = '1'.repeat(60_000) + 'x';
    const longId = 'A'.repeat(2000);
    const longInstr = 'I'.repeat(1025);
    const text = csv('P1,BTC,1', `P1,BTC,${q}`, `${longId},BTC,1`, `P2,${longInstr},1`, 'P3,BTC,2');
    const t = timed(() => parsePortfoliosCsv(text, 'book.csv'));
    expect(t.ms).toBeLessThan(500);
    expect(t.value).toEqual([
      bad('P1', `row 3: quantity "${'1'.repeat(60)}"... (60001 characters) is longer than the limit of 1024 bytes`),
      bad('row 4', `row 4: portfolio id "${'A'.repeat(60)}"... (2000 characters) is longer than the limit of 1024 bytes`),
      bad('P2', `row 5: instrument "${'I'.repeat(60)}"... (1025 characters) is longer than the limit of 1024 bytes`),
      ok('P3', ['BTC', 2]),
    ]);
    // 1,024 bytes is within the limit (bytes, not characters: 342 three-byte characters are 1,026).
    expect(parsePortfoliosCsv(csv(`${'B'.repeat(1024)},BTC,1`))[0].error).toBeUndefined();
    expect(parsePortfoliosCsv(csv(`${'\u20ac'.repeat(342)},BTC,1`))[0].id).toBe('row 2');
  });

  it('a 1 MiB garbage line is an error of its row, not a 1 MiB portfolio id; text and bytes agree', () => {
    const garbage = 'z'.repeat(1 << 20);
    const text = csv('P1,BTC,1', garbage, `P2,BTC,${'1'.repeat(70_000)}`, 'P3,BTC,2');
    const want = [
      ok('P1', ['BTC', 1]),
      bad('row 3', 'row 3: the line is 1048576 bytes long; the limit is 65536 bytes'),
      bad('P2', 'row 4: the line is 70007 bytes long; the limit is 65536 bytes'),
      ok('P3', ['BTC', 2]),
    ];
    const t = timed(() => parsePortfoliosCsv(text, 'book.csv'));
    expect(t.value).toEqual(want);
    expect(parsePortfoliosCsv(Buffer.from(text), 'book.csv')).toEqual(want);
    expect(t.ms).toBeLessThan(500);
  });

  it('NDJSON: a broken line repeating "portfolio":" 100,000 times is read in well under a second', () => {
    const line = '{"portfolio":"'.repeat(100_000);
    const t = timed(() => parsePortfoliosNdjson(line + '\n{"portfolio":"P1","positions":[]}\n'));
    expect(t.ms).toBeLessThan(500);
    expect(t.value.map((p) => p.id)).toEqual(['{', 'P1']); // the first "portfolio" value is the string "{"
    expect(t.value[0].error).toMatch(/^line 1: invalid JSON at column \d+: /);
    expect(t.value[0].error!.length).toBeLessThan(300);
  });

  it('NDJSON: an id or instrument past the field limit is an error, the id one an entry of its own', () => {
    const longId = 'A'.repeat(1025);
    const got = parsePortfoliosNdjson([
      `{"portfolio":"${longId}","positions":[]}`,
      `{"portfolio":"P1","positions":[{"instrument":"${'I'.repeat(1025)}","quantity":1}]}`,
    ].join('\n') + '\n');
    expect(got).toEqual([
      bad('line 1', `line 1: portfolio id "${'A'.repeat(60)}"... (1025 characters) is longer than the limit of 1024 bytes`),
      bad('P1', `line 2: positions[0].instrument: "${'I'.repeat(60)}"... (1025 characters) is longer than the limit of 1024 bytes`),
    ]);
  });

  it('show cuts a long value to 60 characters and says its length', () => {
    expect(show('x'.repeat(1 << 20))).toBe(`"${'x'.repeat(60)}"... (1048576 characters)`);
    expect(show('x'.repeat(60))).toBe(`"${'x'.repeat(60)}"`);
    expect(show([1, 2, 3])).toBe('[1,2,3]');
    expect(show(Array.from({ length: 100 }, () => 1))).toBe(`[${'1,'.repeat(29)}1... (201 characters)`);
    // Never half a surrogate pair.
    expect(show('a'.repeat(59) + '\u{1F600}' + 'b'.repeat(10))).toBe(`"${'a'.repeat(59)}"... (71 characters)`);
  });
});

describe('non-UTF-8 input: an id that is not text is never merged', () => {
  // Müller, Möller, Mäller in Latin-1: each a different byte where UTF-8 expects a sequence.
  const latin1 = Buffer.concat([
    Buffer.from(H + '\nP0,BTC,1\n'),
    Buffer.from('M\xfcller,BTC,1\nM\xf6ller,BTC,2\nM\xe4ller,BTC,3\n', 'latin1'),
    Buffer.from('P4,ETH,1\n'),
  ]);
  const rows = (n: number, byte: string) => `row ${n}: not valid UTF-8 (byte 0x${byte} at column 2); portfolio files are UTF-8`;

  it('bytes (a file read whole): three error entries, one per row', () => {
    expect(parsePortfolios(latin1, 'book.csv')).toEqual([
      ok('P0', ['BTC', 1]), bad('row 3', rows(3, 'FC')), bad('row 4', rows(4, 'F6')), bad('row 5', rows(5, 'E4')), ok('P4', ['ETH', 1]),
    ]);
  });

  it('a string decoded with U+FFFD (the API\'s string input): three error entries, not one portfolio of three clients', () => {
    const text = latin1.toString('utf8');
    expect(text).toContain('M\uFFFDller,BTC,1');
    const msg = (n: number) => `row ${n}: portfolio id "M\uFFFDller" holds U+FFFD (bytes that were not UTF-8, decoded as text); portfolio files are UTF-8`;
    expect(parsePortfolios(text, 'book.csv')).toEqual([ok('P0', ['BTC', 1]), bad('row 3', msg(3)), bad('row 4', msg(4)), bad('row 5', msg(5)), ok('P4', ['ETH', 1])]);
  });

  it('an instrument that is not text is an error of its portfolio; a lone surrogate in an id too', () => {
    expect(parsePortfolios(csv('P1,B\uFFFDC,1', '\uD800x,BTC,1'), 'book.csv')).toEqual([
      bad('P1', 'row 2: instrument "B\uFFFDC" holds U+FFFD (bytes that were not UTF-8, decoded as text); portfolio files are UTF-8'),
      bad('row 3', 'row 3: portfolio id "\\ud800x" holds a lone UTF-16 surrogate (not text); portfolio files are UTF-8'),
    ]);
  });

  it('NDJSON: three Latin-1 ids are three error entries (bytes and text)', () => {
    const nd = Buffer.concat(['M\xfcller', 'M\xf6ller', 'M\xe4ller'].map((id) =>
      Buffer.concat([Buffer.from('{"portfolio":"'), Buffer.from(id, 'latin1'), Buffer.from('","positions":[{"instrument":"BTC","quantity":1}]}\n')])));
    const fromBytes = parsePortfolios(nd, 'book.ndjson');
    expect(fromBytes.map((p) => p.id)).toEqual(['line 1', 'line 2', 'line 3']);
    expect(fromBytes.every((p) => p.error !== undefined)).toBe(true);
    const fromText = parsePortfolios(nd.toString('utf8'), 'book.ndjson');
    expect(fromText.map((p) => [p.id, p.error])).toEqual([1, 2, 3].map((n) =>
      [`line ${n}`, `line ${n}: portfolio id "M\uFFFDller" holds U+FFFD (bytes that were not UTF-8, decoded as text); portfolio files are UTF-8`]));
  });
});

describe('the end of a file', () => {
  it('no final line end: the last line is read whole, and a warning says it had none (text and bytes)', () => {
    for (const input of [csv('P1,BTC,1', 'P2,ETH,-25').trimEnd(), Buffer.from(csv('P1,BTC,1', 'P2,ETH,-25').trimEnd())]) {
      const warnings: string[] = [];
      expect(parsePortfolios(input, 'book.csv', { onWarning: (w) => warnings.push(w) })).toEqual([ok('P1', ['BTC', 1]), ok('P2', ['ETH', -25])]);
      expect(warnings).toEqual(['book.csv: the last line (line 3) has no line end; it was read as it is (if the file was cut short, its last row is incomplete)']);
    }
    const warnings: string[] = [];
    parsePortfolios(csv('P1,BTC,1'), 'book.csv', { onWarning: (w) => warnings.push(w) });
    parsePortfolios(Buffer.from(csv('P1,BTC,1')), 'book.csv', { onWarning: (w) => warnings.push(w) });
    parsePortfolios('{"portfolio":"P1","positions":[]}\r\n', 'book.ndjson', { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
  });

  it('an unclosed quote on the last portfolio makes it an error row; the complete portfolio before it is kept (text and bytes)', () => {
    const text = H + '\nP0,BTC,1\nP0,ETH,2\nP1,"BTC,1';
    const want = [ok('P0', ['BTC', 1], ['ETH', 2]), bad('P1', 'row 4: a quoted field opened on this row is never closed (the file ends inside it, 1 line on)')];
    expect(parsePortfolios(text, 'book.csv')).toEqual(want);
    expect(parsePortfolios(Buffer.from(text), 'book.csv')).toEqual(want);
    // The quote in the first field: no id to charge it to, an entry of its own.
    expect(parsePortfolios(H + '\nP0,BTC,1\n"P1,BTC,1\n', 'book.csv')).toEqual([
      ok('P0', ['BTC', 1]), bad('row 3', 'row 3: a quoted field opened on this row is never closed (the file ends inside it, 1 line on)')]);
  });
});

describe('memory: the id index is off the JavaScript heap', () => {
  it('reading 300,000 portfolios keeps under 3 MB more on the heap (the ids are held as bytes, not strings)', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const rows: string[] = [H];
    for (let p = 0; p < 300_000; p++) rows.push(`PORTFOLIO-${String(p).padStart(9, '0')},BTC,1`);
    const bytes = Buffer.from(rows.join('\n') + '\n');
    rows.length = 0;
    let count = 0;
    const reader = new CsvPortfolioReader('book.csv', {
      resolve: () => 0,
      sink: { portfolio: () => { count++; }, emit: () => { throw new Error('no error expected'); } },
    });
    gc();
    const before = process.memoryUsage().heapUsed;
    reader.pushLines(bytes, 0, bytes.length);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(count).toBe(299_999); // the last portfolio is still open
    // Strings of 20 characters in a list cost ~40 bytes each on the heap: 12 MB for 300,000 ids.
    expect(grown).toBeLessThan(3 * 2 ** 20);
    expect(reader.lineNumber).toBe(300_001);
  });
});
