/**
 * Portfolio files (contract section 3): CSV and NDJSON, one test per error message, the
 * incremental readers, and a seeded round trip through an RFC 4180 writer written here.
 */
import { describe, expect, it } from 'vitest';
import {
  CsvPortfolioReader, NdjsonPortfolioReader, parsePortfolios, parsePortfoliosCsv, parsePortfoliosNdjson, parseQuantity,
  type ParsedPortfolio, type PortfolioEmit,
} from '../src/portfolio/parse.js';
import { isInputError } from '../src/errors.js';
import { Rng } from './helpers/random.js';

const H = 'portfolio,instrument,quantity';
const csv = (...rows: string[]) => [H, ...rows].join('\n') + '\n';
const ok = (id: string, ...positions: [string, number][]): ParsedPortfolio =>
  ({ id, positions: positions.map(([instrument, quantity]) => ({ instrument, quantity })) });
const bad = (id: string, error: string): ParsedPortfolio => ({ id, error });

function thrown(f: () => unknown): unknown {
  try { f(); } catch (e) { return e; }
  return undefined;
}

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
      bad('__proto__', 'portfolio "__proto__" reappears at row 5 after other portfolios; its rows must be contiguous'),
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
    ['a quoted field never closed', csv('P1,BTC,1', 'P2,"ETH,2', 'P3,SOL,3'), 'book.csv: row 3: a quoted field opened on this row is never closed'],
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
    ['a reappearing id: that portfolio is an error, once, at its first place', ['P1,BTC,1', 'P2,ETH,1', 'P1,SOL,1', 'P1,SOL,2', 'P3,X,1', 'P1,Y,1'],
      [bad('P1', 'portfolio "P1" reappears at row 4 after other portfolios; its rows must be contiguous'), ok('P2', ['ETH', 1]), ok('P3', ['X', 1])]],
    ['a reappearing id whose first block was already an error keeps its first error', ['P1,BTC,x', 'P2,ETH,1', 'P1,BTC,1'],
      [bad('P1', 'row 2: quantity "x" is not a finite number'), ok('P2', ['ETH', 1])]],
  ];
  for (const [name, rows, want] of cases) {
    it(name, () => {
      expect(parsePortfoliosCsv(csv(...rows))).toEqual(want);
    });
  }
});

describe('CSV: the incremental reader', () => {
  it('emits a portfolio when the next starts, entries in seq order, and an amendment when an id comes back', () => {
    const r = new CsvPortfolioReader('book.csv');
    const log: [string, PortfolioEmit[]][] = [];
    for (const line of [H, 'P1,BTC,1', 'P1,ETH,2', ',X,1', 'P2,BTC,1', 'P1,SOL,1', 'P3,BTC,1']) log.push([line, [...r.push(line)]]);
    log.push(['<end>', [...r.end()]]);
    expect(r.lineNumber).toBe(7);
    expect(log).toEqual([
      [H, []], ['P1,BTC,1', []], ['P1,ETH,2', []], [',X,1', []],
      ['P2,BTC,1', [{ seq: 0, portfolio: ok('P1', ['BTC', 1], ['ETH', 2]), amends: false },
        { seq: 1, portfolio: bad('row 4', 'row 4: empty portfolio id'), amends: false }]],
      ['P1,SOL,1', [{ seq: 2, portfolio: ok('P2', ['BTC', 1]), amends: false },
        { seq: 0, portfolio: bad('P1', 'portfolio "P1" reappears at row 6 after other portfolios; its rows must be contiguous'), amends: true }]],
      ['P3,BTC,1', []],
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
    ['an id on two lines is an error for that id', [line({ portfolio: 'P1', positions: [] }), line({ portfolio: 'P2', positions: [] }), '', line({ portfolio: 'P1', positions: [] })],
      [bad('P1', 'portfolio "P1" appears again at line 4 (first at line 1); a portfolio must be on one line'), ok('P2')]],
  ];
  for (const [name, lines, want] of cases) {
    it(name, () => {
      expect(parsePortfoliosNdjson(lines.join('\n'))).toEqual(want);
    });
  }
  it('the reader emits each line at once, and amends on a repeated id', () => {
    const r = new NdjsonPortfolioReader('b.ndjson');
    expect(r.push(line({ portfolio: 'A', positions: [] }))).toEqual([{ seq: 0, portfolio: ok('A'), amends: false }]);
    expect(r.push('')).toEqual([]);
    expect(r.push(line({ portfolio: 'A', positions: [] }) + '\r')).toEqual([
      { seq: 0, portfolio: bad('A', 'portfolio "A" appears again at line 3 (first at line 1); a portfolio must be on one line'), amends: true }]);
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

  it('shuffled rows of 200 random books: every id gives exactly one entry, in order of first appearance; none is split', () => {
    const rng = new Rng(7);
    for (let k = 0; k < 200; k++) {
      const rows: [string, string, number][] = [];
      const n = rng.int(1, 40);
      for (let i = 0; i < n; i++) rows.push([`P${rng.int(0, 6)}`, `I${rng.int(0, 3)}`, rng.int(-5, 5)]);
      const got = parsePortfoliosCsv(csv(...rows.map((r) => r.join(','))));
      const context = `book ${k}: ${JSON.stringify(rows)}`;
      // The model: an id is fine iff its rows are contiguous.
      const first = [...new Set(rows.map((r) => r[0]))];
      expect(got.map((p) => p.id), context).toEqual(first);
      for (const p of got) {
        const idx = rows.flatMap((r, i) => (r[0] === p.id ? [i] : []));
        const contiguous = idx[idx.length - 1] - idx[0] === idx.length - 1;
        if (contiguous) {
          expect(p.positions, context).toEqual(idx.map((i) => ({ instrument: rows[i][1], quantity: rows[i][2] })));
        } else {
          const gap = idx.findIndex((v, j) => j > 0 && v !== idx[j - 1] + 1);
          expect(p.error, context).toBe(`portfolio "${p.id}" reappears at row ${idx[gap] + 2} after other portfolios; its rows must be contiguous`);
        }
      }
    }
  });
});
