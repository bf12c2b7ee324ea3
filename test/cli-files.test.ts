// Output files, output failures, formats, help and the CSV formula guard of the command line as
// shipped (dist/src/cli/main.js, built by `pretest`): every command that writes files.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageFile } from '../src/paths.js';
import { generateBook } from '../src/demo/book.js';
import type { MarketInput } from '../src/market/types.js';
import { CLI } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'margin-cli-files-'));
// Copies of the bundled examples: a test that refuses to overwrite an input must not risk the originals.
const EX = (f: string) => {
  const p = join(dir, `example-${f}`);
  if (!existsSync(p)) writeFileSync(p, readFileSync(packageFile('examples', f)));
  return p;
};
const marketJson = JSON.parse(readFileSync(EX('market.json'), 'utf8')) as MarketInput;
marketJson.risk!.es = { ...marketJson.risk!.es!, scenarios: 1000 };
const marketPath = join(dir, 'market.json');
writeFileSync(marketPath, JSON.stringify(marketJson));
const bookText = generateBook(marketJson, { portfolios: 3000, seed: 3 });
const bookPath = join(dir, 'book.csv');
writeFileSync(bookPath, bookText);
const small = 'portfolio,instrument,quantity\nP1,BTC-PERP,-2\nP2,NOPE,1\n';
const smallPath = join(dir, 'small.csv');
writeFileSync(smallPath, small);

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', cwd: dir, maxBuffer: 1 << 28 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Files of `dir` whose names say they are temporary. */
function temps(d = dir): string[] {
  return readdirSync(d).filter((f) => f.endsWith('.tmp'));
}

/** Runs the CLI with standard output on a pipe whose reader goes away after the first chunk (`| head -c 1`). */
function closedPipe(args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    child.stdout.once('data', () => child.stdout.destroy());
    child.on('exit', (code) => resolve({ code, err }));
  });
}

// Every command that writes a file, with an existing output and the inputs it reads.
const accounts = EX('accounts.json'), events = EX('events.ndjson'), history = EX('history.csv');
const commands: { name: string; args: (out: string) => string[]; ext: string; inputs: string[] }[] = [
  { name: 'run (streamed)', args: (o) => ['run', '--market', marketPath, '--portfolios', bookPath, '--out', o], ext: 'csv', inputs: [marketPath, bookPath] },
  {
    name: 'run (in-process, stress)', args: (o) => ['run', '--market', marketPath, '--portfolios', smallPath, '--stress', EX('stress.json'), '--out', o],
    ext: 'csv', inputs: [smallPath, EX('stress.json')],
  },
  { name: 'value', args: (o) => ['value', '--market', marketPath, '--out', o], ext: 'csv', inputs: [marketPath] },
  { name: 'accounts', args: (o) => ['accounts', '--market', EX('market.json'), '--accounts', accounts, '--out', o], ext: 'csv', inputs: [accounts] },
  {
    name: 'replay', args: (o) => ['replay', '--market', EX('market.json'), '--accounts', accounts, '--events', events, '--out', o],
    ext: 'ndjson', inputs: [events],
  },
  { name: 'calibrate --out', args: (o) => ['calibrate', '--history', history, '--market', EX('market.json'), '--out', o, '--report', join(dir, 'r.txt')], ext: 'json', inputs: [history] },
  {
    name: 'calibrate --market-out', args: (o) => ['calibrate', '--history', history, '--market', EX('market.json'), '--market-out', o, '--report', join(dir, 'r.txt')],
    ext: 'json', inputs: [history],
  },
  {
    name: 'calibrate --report', args: (o) => ['calibrate', '--history', history, '--market', EX('market.json'), '--out', join(dir, 'g.json'), '--report', o],
    ext: 'txt', inputs: [history],
  },
];

describe('output files are never destroyed before the run succeeds (item 10)', () => {
  it('run --out the portfolio file itself (or a hard link to it, or another spelling): refused, exit 2, the book intact', () => {
    const copy = join(dir, 'self.csv');
    writeFileSync(copy, small);
    const link = join(dir, 'self-link.csv');
    linkSync(copy, link);
    for (const out of [copy, link, join(dir, '.', 'self.csv')]) {
      const r = cli(['run', '--market', marketPath, '--portfolios', copy, '--out', out]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(/--out .*: is the same file as --portfolios .*self\.csv/);
      expect(readFileSync(copy, 'utf8')).toBe(small);
    }
    // The market as the output, on the in-process path too.
    const m = join(dir, 'm-self.json');
    writeFileSync(m, JSON.stringify(marketJson));
    const r = cli(['run', '--market', m, '--portfolios', smallPath, '--stress', EX('stress.json'), '--format', 'csv', '--out', m]);
    expect(r.code).toBe(2);
    expect(readFileSync(m, 'utf8')).toBe(JSON.stringify(marketJson));
    expect(temps()).toEqual([]);
  });

  for (const c of commands) {
    it(`${c.name}: an output that is an input is refused; a failed run leaves an existing output untouched, no temporary file; success replaces it`, () => {
      for (const input of c.inputs) {
        const before = readFileSync(input, 'utf8');
        const r = cli(c.args(input));
        expect(r.code, `${c.name} ${input}: ${r.err}`).toBe(2);
        expect(r.err).toMatch(/is the same file as/);
        expect(readFileSync(input, 'utf8')).toBe(before);
      }
      const out = join(dir, `keep-${c.name.replace(/\W+/g, '-')}.${c.ext}`);
      writeFileSync(out, 'precious\n');
      // A failed run: the market is missing (for run, after the output was opened; exit 2).
      const args = c.args(out).map((a) => (a === marketPath || a === EX('market.json') ? join(dir, 'missing-market.json') : a));
      const bad = cli(args);
      expect(bad.code, bad.err).toBe(2);
      expect(readFileSync(out, 'utf8')).toBe('precious\n');
      expect(temps()).toEqual([]);
      const good = cli(c.args(out));
      expect(good.code, good.err).toBe(0);
      expect(readFileSync(out, 'utf8')).not.toBe('precious\n');
      expect(temps()).toEqual([]);
    });
  }

  it('a portfolio file that cannot be parsed (exit 1) leaves an existing output untouched, on both paths', () => {
    const out = join(dir, 'keep-empty.csv');
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    for (const extra of [[], ['--stress', EX('stress.json')]]) {
      writeFileSync(out, 'precious\n');
      const r = cli(['run', '--market', marketPath, '--portfolios', empty, '--out', out, ...extra]);
      expect(r.code).toBe(1);
      expect(readFileSync(out, 'utf8')).toBe('precious\n');
      expect(temps()).toEqual([]);
    }
  });

  it('demo writes book.csv and results.csv in place, no temporary file left', () => {
    const d = join(dir, 'demo');
    const r = cli(['demo', '--portfolios', '50', '--out-dir', d]);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(join(d, 'book.csv'), 'utf8').split('\n')[0]).toBe('portfolio,instrument,quantity');
    expect(readFileSync(join(d, 'results.csv'), 'utf8').split('\n').length).toBe(52);
    expect(temps(d)).toEqual([]);
  });

  it('an output folder that cannot be written is refused before any work (exit 2), on every command', () => {
    for (const c of commands) {
      const r = cli(c.args(join(dir, 'no-such-dir', `x.${c.ext}`)));
      expect(r.code, c.name).toBe(2);
      expect(r.err, c.name).toMatch(/no-such-dir.*cannot be written \(ENOENT\)/);
    }
  });
});

describe('output failures (item 14)', () => {
  it('/dev/full, as --out or as standard output: one line naming the output, exit 1, no stack trace, on every command', () => {
    for (const c of commands) {
      const r = cli(c.args('/dev/full'));
      expect(r.code, `${c.name}: ${r.err}`).toBe(1);
      expect(r.err, c.name).toMatch(/^margin-engine: --(out|market-out|report) \/dev\/full: cannot write \(ENOSPC\)\n$/);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
    const viaStdout = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" run --market "${marketPath}" --portfolios "${bookPath}" > /dev/full`], { encoding: 'utf8' });
    expect(viaStdout.status).toBe(1);
    expect(viaStdout.stderr).toBe('margin-engine: standard output: cannot write (ENOSPC)\n');
    const valueStdout = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" value --market "${marketPath}" > /dev/full`], { encoding: 'utf8' });
    expect(valueStdout.status).toBe(1);
    expect(valueStdout.stderr).toBe('margin-engine: standard output: cannot write (ENOSPC)\n');
  });

  it('a closed pipe on standard output (| head) ends quietly with exit 0, on every command', async () => {
    const big = join(dir, 'big.csv');
    writeFileSync(big, generateBook(marketJson, { portfolios: 30000, seed: 4 }));
    const runs = [
      ['run', '--market', marketPath, '--portfolios', big, '--threads', '2'],
      ['run', '--market', marketPath, '--portfolios', big, '--threads', '1'],
      ['run', '--market', marketPath, '--portfolios', big, '--stress', EX('stress.json')],
      ['value', '--market', marketPath],
      ['accounts', '--market', EX('market.json'), '--accounts', accounts],
      ['replay', '--market', EX('market.json'), '--accounts', accounts, '--events', events],
      ['calibrate', '--history', history, '--market', EX('market.json'), '--report', join(dir, 'r2.txt')],
      ['--help'],
    ];
    for (const args of runs) {
      const r = await closedPipe(args);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
      expect(r.err, args.join(' ')).not.toMatch(/EPIPE|Error|\n\s+at /);
    }
  }, 120_000);
});

describe('formats, help and limits of the command line (items 18, 25)', () => {
  it('--threads is bounded at 4 x the cores: exit 2 with a message', () => {
    const max = 4 * availableParallelism();
    const r = cli(['run', '--market', marketPath, '--portfolios', smallPath, '--threads', String(max + 1)]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`margin-engine: --threads: at most ${max} (4 per core; this machine has ${availableParallelism()}), got ${max + 1}\n`);
    expect(r.out).toBe('');
    expect(cli(['run', '--market', marketPath, '--portfolios', smallPath, '--threads', String(max)]).code).toBe(0);
  });

  it('--format ndjson writes NDJSON to standard output; --input-format ndjson reads NDJSON from standard input', () => {
    const nd = cli(['run', '--market', marketPath, '--portfolios', smallPath, '--format', 'ndjson']);
    expect(nd.code, nd.err).toBe(0);
    const rows = nd.out.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.portfolio, r.status, r.currency])).toEqual([['P1', 'ok', 'USD'], ['P2', 'error', 'USD']]);
    const input = '{"portfolio":"P1","positions":[{"instrument":"BTC-PERP","quantity":-2}]}\n{"portfolio":"P2","positions":[{"instrument":"NOPE","quantity":1}]}\n';
    for (const extra of [[], ['--stress', EX('stress.json')]]) {
      const a = cli(['run', '--market', marketPath, '--portfolios', '-', '--input-format', 'ndjson', ...extra], input);
      expect(a.out).toMatch(/^portfolio,/);
      const b = cli(['run', '--market', marketPath, '--portfolios', smallPath, ...extra]);
      expect(a.code, a.err).toBe(0);
      expect(a.out).toBe(b.out);
    }
    const v = cli(['value', '--market', marketPath, '--format', 'ndjson']);
    expect(JSON.parse(v.out.split('\n')[0])).toHaveProperty('instrument');
    expect(cli(['run', '--market', marketPath, '--portfolios', smallPath, '--input-format', 'xml']).code).toBe(2);
  });

  it('an --out whose extension is neither CSV nor NDJSON is an error (exit 2), unless --format says; --format must agree with the name', () => {
    for (const args of [
      ['run', '--market', marketPath, '--portfolios', smallPath, '--out', join(dir, 'o.txt')],
      ['value', '--market', marketPath, '--out', join(dir, 'o.xlsx')],
      ['accounts', '--market', EX('market.json'), '--accounts', accounts, '--out', join(dir, 'o.json')],
      ['replay', '--market', EX('market.json'), '--accounts', accounts, '--events', events, '--out', join(dir, 'o.csv')],
      ['run', '--market', marketPath, '--portfolios', smallPath, '--out', join(dir, 'o.csv'), '--format', 'ndjson'],
      ['run', '--market', marketPath, '--portfolios', smallPath, '--format', 'tsv'],
    ]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(/^margin-engine: --(out|format)[ :]/);
    }
    expect(existsSync(join(dir, 'o.txt'))).toBe(false);
    const txt = join(dir, 'o2.txt');
    expect(cli(['run', '--market', marketPath, '--portfolios', smallPath, '--out', txt, '--format', 'ndjson']).code).toBe(0);
    expect(JSON.parse(readFileSync(txt, 'utf8').split('\n')[0]).portfolio).toBe('P1');
  });

  it('per-command help shows that command only, every option with its default; -V; "see --help" on an unknown option', () => {
    const options: Record<string, string[]> = {
      run: ['--market', '--portfolios', '--input-format', '--method', '--preset', '--grid', '--history', '--stress', '--allocation', '--out',
        '--format', '--csv-raw', '--threads'],
      value: ['--market', '--out', '--format', '--csv-raw'],
      demo: ['--portfolios', '--out-dir', '--csv-raw'],
      calibrate: ['--history', '--market', '--base-grid', '--previous', '--lambda', '--k', '--mpor-days', '--apc', '--stressed-period',
        '--stress-window', '--seed-returns', '--days-per-year', '--out', '--report', '--market-out', '--refresh-vol'],
      accounts: ['--market', '--accounts', '--method', '--out', '--format', '--csv-raw'],
      replay: ['--market', '--accounts', '--events', '--method', '--out'],
    };
    const all = cli(['--help']);
    expect(all.code).toBe(0);
    for (const [command, flags] of Object.entries(options)) {
      const h = cli([command, '--help']);
      expect(h.code).toBe(0);
      expect(h.out).toMatch(new RegExp(`^margin-engine ${command} `));
      const others = Object.keys(options).filter((c) => c !== command);
      for (const o of others) expect(h.out, `${command} --help mentions ${o}`).not.toMatch(new RegExp(`margin-engine ${o} --`));
      for (const flag of flags) {
        // The option's own line in the Options list, and a default (or Required) in its description.
        const line = h.out.split('\n').findIndex((l) => new RegExp(`^  ${flag}( |$)`).test(l));
        expect(line, `${command} --help lists ${flag}`).toBeGreaterThan(0);
        const text = h.out.split('\n').slice(line).join('\n').split(/\n  -/)[0];
        expect(text, `${command} ${flag}`).toMatch(/default|Required|required/);
        expect(all.out, `--help lists ${command} ${flag}`).toContain(`  ${flag}`);
      }
    }
    expect(cli(['run', '-h']).out).not.toMatch(/--accounts/);
    const v = cli(['-V']);
    expect(v.code).toBe(0);
    expect(v.out.trim()).toBe(JSON.parse(readFileSync(packageFile('package.json'), 'utf8')).version);
    const u = cli(['run', '--market', marketPath, '--portfolios', smallPath, '--bogus']);
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/^margin-engine: Unknown option '--bogus'.* \(see margin-engine run --help\)\n$/);
    const a = cli(['accounts', '--nope']);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/\(see margin-engine accounts --help\)\n$/);
  });
});

describe('CSV formula injection (item 22)', () => {
  // (A CR inside a quoted CSV field is read as a line end, so the CR case is in the unit test below.)
  const evil = ['=HYPERLINK("x")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB'];
  const m = JSON.parse(JSON.stringify(marketJson)) as MarketInput;
  m.instruments['=EVIL-PERP'] = { kind: 'perpetual', underlying: 'BTC', contractSize: 1 } as never;
  const mPath = join(dir, 'evil-market.json');
  writeFileSync(mPath, JSON.stringify(m));
  const book = 'portfolio,instrument,quantity\n' + evil.map((id) => `"${id.replace(/"/g, '""')}",BTC-PERP,-1`).join('\n')
    + '\nSAFE,BTC-PERP,-1\nNEG,@NOPE,1\n';
  const evilBook = join(dir, 'evil.csv');
  writeFileSync(evilBook, book);
  /** Splits one CSV record (RFC 4180), enough for these rows. */
  const fields = (line: string) => {
    const out: string[] = [];
    let at = 0;
    while (at <= line.length) {
      if (line[at] === '"') {
        let s = '', k = at + 1;
        for (;;) {
          if (k >= line.length) throw new Error(`unclosed quote in ${JSON.stringify(line)}`);
          if (line[k] === '"' && line[k + 1] === '"') { s += '"'; k += 2; } else if (line[k] === '"') { k++; break; } else s += line[k++];
        }
        out.push(s); at = k + 1;
      } else {
        const e = line.indexOf(',', at);
        out.push(line.slice(at, e < 0 ? line.length : e)); at = e < 0 ? line.length + 1 : e + 1;
      }
    }
    return out;
  };
  // Stress scenario names are text too: every name of the example file with a leading '='.
  const stress = JSON.parse(readFileSync(EX('stress.json'), 'utf8'));
  for (const sc of stress.scenarios) sc.name = `=${sc.name}`;
  const evilStress = join(dir, 'evil-stress.json');
  writeFileSync(evilStress, JSON.stringify(stress));
  const records = (text: string) => text.replace(/\n$/, '').split(/\n(?=[^,]*,(?:grid|es|fhs),)/);

  for (const extra of [['--threads', '2'], ['--threads', '1'], ['--stress', evilStress]]) {
    it(`ids, messages and scenario names beginning with = + - @ tab CR get a leading quote and are quoted; numbers untouched (run ${extra.join(' ')})`, () => {
      const r = cli(['run', '--market', mPath, '--portfolios', evilBook, ...extra]);
      expect(r.code, r.err).toBe(0);
      const rows = records(r.out).slice(1).map(fields);
      expect(rows.map((f) => f[0])).toEqual([...evil.map((id) => `'${id}`), 'SAFE', 'NEG']);
      expect(rows.length).toBe(evil.length + 2);
      for (const id of evil) expect(r.out).toContain(`"'${id.replace(/"/g, '""')}"`);
      // A short position gains when BTC rises: the margin is a positive number, written as is.
      expect(Number(rows[0][2])).toBeGreaterThan(0);
      expect(rows[evil.length + 1][5]).toBe('unknown instrument "@NOPE"');
      if (extra[0] === '--stress') {
        expect(rows[0][rows[0].length - 2]).toMatch(/^'=Crypto /);
        expect(r.out).toMatch(/,"'=Crypto [a-z]+",USD\n/);
        expect(Number(rows[0][rows[0].length - 3])).toBeGreaterThan(0); // the stress loss, a number
      }
      const raw = cli(['run', '--market', mPath, '--portfolios', evilBook, '--csv-raw', ...extra]);
      expect(records(raw.out).slice(1).map(fields).map((f) => f[0])).toEqual([...evil, 'SAFE', 'NEG']);
      expect(raw.out).toContain('\n"=HYPERLINK(""x"")",');
      expect(raw.out).toContain('\n+1+1,');
      if (extra[0] === '--stress') expect(raw.out).toMatch(/,=Crypto [a-z]+,USD\n/);
    });
  }

  it('the guard itself: each trigger character, quoting, and only at the start', async () => {
    const { csvField, csvRow } = await import('../src/io/output.js');
    expect(['=1', '+1', '-1', '@1', '\t1', '\r1'].map((x) => csvField(x))).toEqual([`"'=1"`, `"'+1"`, `"'-1"`, `"'@1"`, `"'\t1"`, `"'\r1"`]);
    expect(csvField('a=1')).toBe('a=1');
    expect(csvField('=a"b')).toBe(`"'=a""b"`);
    expect(csvField('=1', true)).toBe('=1');
    expect(csvField('\r1', true)).toBe('"\r1"');
    const row = csvRow({ ok: true, portfolio: '-P', method: 'es', initialMargin: 2, maintenanceMargin: 1, var: -0.5, es: -0.25 }, { currency: 'USD' });
    expect(row).toBe(`"'-P",es,2,1,ok,,-0.5,-0.25,USD\n`);
  });

  it('value and accounts guard their ids too; --csv-raw turns it off; a negative number stays as it is', () => {
    const v = cli(['value', '--market', mPath]);
    const line = v.out.split('\n').find((l) => l.includes('EVIL'))!;
    expect(line).toBe(`"'=EVIL-PERP",0,1,0,0,0,,,BTC`);
    expect(cli(['value', '--market', mPath, '--csv-raw']).out.split('\n').find((l) => l.includes('EVIL'))).toBe('=EVIL-PERP,0,1,0,0,0,,,BTC');
    const acc = JSON.parse(readFileSync(accounts, 'utf8'));
    const first = acc.accounts[0];
    first.account = '-ACC1';
    const accPath = join(dir, 'evil-accounts.json');
    writeFileSync(accPath, JSON.stringify(acc));
    const a = cli(['accounts', '--market', EX('market.json'), '--accounts', accPath]);
    expect(a.code, a.err).toBe(0);
    const row = a.out.split('\n').find((l) => l.includes('ACC1'))!;
    expect(row.startsWith(`"'-ACC1",`)).toBe(true);
    expect(row.split(',').some((c) => /^-\d/.test(c))).toBe(true); // negative amounts (cash, excess) are numbers
    const araw = cli(['accounts', '--market', EX('market.json'), '--accounts', accPath, '--csv-raw']);
    expect(araw.out.split('\n').some((l) => l.startsWith('-ACC1,'))).toBe(true);
  });
});

describe('NDJSON field names and the currency column (item 27)', () => {
  const camel = (o: unknown, path = ''): string[] => {
    if (Array.isArray(o)) return o.flatMap((v, k) => camel(v, `${path}[${k}]`));
    if (o && typeof o === 'object') {
      return Object.entries(o).flatMap(([k, v]) => [...(/[A-Z]/.test(k) ? [`${path}.${k}`] : []), ...camel(v, `${path}.${k}`)]);
    }
    return [];
  };

  it('every NDJSON the engine writes is snake_case (grid groups, es, stress, allocation, accounts, replay)', () => {
    const outs = [
      cli(['run', '--market', marketPath, '--portfolios', bookPath, '--format', 'ndjson']),
      cli(['run', '--market', marketPath, '--portfolios', bookPath, '--format', 'ndjson', '--threads', '1']),
      cli(['run', '--market', marketPath, '--portfolios', smallPath, '--format', 'ndjson', '--method', 'es']),
      cli(['run', '--market', marketPath, '--portfolios', smallPath, '--format', 'ndjson', '--stress', EX('stress.json'), '--allocation']),
      cli(['accounts', '--market', EX('market.json'), '--accounts', accounts, '--format', 'ndjson']),
      cli(['replay', '--market', EX('market.json'), '--accounts', accounts, '--events', events]),
      cli(['value', '--market', marketPath, '--format', 'ndjson']),
    ];
    for (const r of outs) {
      expect(r.code, r.err).toBe(0);
      const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l));
      expect(lines.flatMap((l) => camel(l))).toEqual([]);
    }
    const g = JSON.parse(outs[0].out.split('\n')[0]);
    expect(Object.keys(g.groups[0])).toEqual(['group', 'scan_risk', 'option_minimum', 'charge', 'worst_point', 'underlyings']);
    expect(g.groups[0].charge).toBe(Math.max(g.groups[0].scan_risk, g.groups[0].option_minimum));
    expect(outs[0].out).toBe(outs[1].out);
  });

  it('CSV: currency is the last column, the market\'s currency on every row; the columns before keep their order', () => {
    const eur = { ...marketJson, currency: 'EUR' };
    const p = join(dir, 'eur.json');
    writeFileSync(p, JSON.stringify(eur));
    for (const extra of [['--threads', '2'], ['--threads', '1'], ['--method', 'es'], ['--stress', EX('stress.json')]]) {
      const r = cli(['run', '--market', p, '--portfolios', smallPath, ...extra]);
      expect(r.code, r.err).toBe(0);
      const [head, ...rows] = r.out.trimEnd().split('\n');
      const cols = head.split(',');
      expect(cols.slice(0, 6)).toEqual(['portfolio', 'method', 'initial_margin', 'maintenance_margin', 'status', 'error']);
      expect(cols[cols.length - 1]).toBe('currency');
      for (const row of rows) expect(row.endsWith(',EUR')).toBe(true);
      expect(rows.length).toBe(2);
    }
    const nd = cli(['run', '--market', p, '--portfolios', smallPath, '--out', join(dir, 'eur.ndjson')]);
    expect(nd.code).toBe(0);
    expect(readFileSync(join(dir, 'eur.ndjson'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).currency)).toEqual(['EUR', 'EUR']);
  });
});
