// The shipped grid presets (presets/*.json) have the shapes presets/README.md documents, and are
// valid grid blocks. Published references for the shapes:
// - OCC TIMS / FINRA Rule 4210(g) portfolio margin: theoretical values at 10 equidistant valuation
//   points over the market range, +-15 % for equities, -8 % / +6 % for high-capitalization
//   broad-based indices; 90 % offset within a high-cap broad-based index product group; minimum
//   $0.375 times the multiplier per option contract.
// - CME SPAN: the standard table of 16 risk scenarios (price move as a fraction of the price scan
//   range, volatility move as a multiple of the volatility scan range, fraction of the loss
//   considered), reproduced as SPAN_TABLE below.
// - Deribit portfolio margin (support article "Portfolio Margin"): a +-16 % price range in 9
//   evenly spaced buckets including zero, each at vol range up, same and down; an extended table
//   of larger moves on vol range up only, at a fraction of the P&L.
// Tolerance for move arithmetic: 1e-12 absolute (moves are decimals written in JSON).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { validateGrid } from '../src/market/grid-spec.js';
import { parseMarket } from '../src/market/load.js';
import type { GridInput } from '../src/market/types.js';
import { loadEsPreset, loadFhsPreset, loadMethodPreset, loadPreset, methodPresetNames, presetJson, presetVersion } from '../src/presets.js';
import { PRESET_VERSION_PATTERN } from '../src/market/preset-id.js';
import { validateEs } from '../src/market/es-spec.js';
import { validateFhs } from '../src/market/fhs-spec.js';
import { esOption, fhsOption } from '../src/options.js';
import { InputError } from '../src/errors.js';
import { referenceGridMargin } from '../src/reference/grid-margin.js';
import { CLI } from './helpers/cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PRESETS = ['crypto', 'span-16', 'tims-equity', 'tims-index'];
const TOL = 1e-12;
const GRID_KEYS = new Set(['version', 'description', 'points', 'volMoves', 'volTerm', 'basis', 'underlyings', 'groups', 'horizonDays',
  'shortOptionMinimum', 'longOptionMinimum', 'maintenanceRatio']);

type Preset = GridInput & { version: string; description: string };

function load(name: string): Preset {
  return JSON.parse(readFileSync(resolve(ROOT, 'presets', `${name}.json`), 'utf8')) as Preset;
}

/** Every (move, volMove, cover) scenario of a grid, in order: point j at each of its vol moves. */
function scenarios(g: GridInput): { move: number; vol: number; cover: number }[] {
  const out: { move: number; vol: number; cover: number }[] = [];
  for (const p of g.points) for (const v of p.volMoves ?? g.volMoves ?? [0]) out.push({ move: p.move, vol: v, cover: p.cover ?? 1 });
  return out;
}

function expectClose(actual: number[], expected: number[], what: string): void {
  expect(actual.length, `${what}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`).toBe(expected.length);
  actual.forEach((a, i) => {
    expect(Math.abs(a - expected[i]), `${what}[${i}]: ${a} vs ${expected[i]} (all: ${JSON.stringify(actual)})`).toBeLessThanOrEqual(TOL);
  });
}

/** Evenly spaced values from a to b (n >= 2), both included. */
function linspace(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

describe('preset files', () => {
  test('the presets directory holds exactly the documented presets', () => {
    const files = readdirSync(resolve(ROOT, 'presets')).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(PRESETS.map((p) => `${p}.json`));
  });

  test.each(PRESETS)('%s parses, holds only grid fields, a version and a description, and validates', (name) => {
    const g = load(name);
    for (const k of Object.keys(g)) expect(GRID_KEYS.has(k), `${name}: unexpected key ${k}`).toBe(true);
    expect(typeof g.description).toBe('string');
    expect(g.description.length).toBeGreaterThan(40);
    const spec = validateGrid(g, `presets/${name}.json`, '');
    expect(spec.points.length).toBe(g.points.length);
    // Spot moves keep every spot positive; covers in (0, 1].
    for (const p of spec.points) {
      expect(p.move).toBeGreaterThan(-1);
      expect(p.cover).toBeGreaterThan(0);
      expect(p.cover).toBeLessThanOrEqual(1);
    }
  });

  test('every preset is documented in presets/README.md with its file name', () => {
    const readme = readFileSync(resolve(ROOT, 'presets', 'README.md'), 'utf8');
    for (const name of PRESETS) {
      expect(readme, name).toContain(`presets/${name}.json`);
      expect(readme, name).toContain(`--preset ${name}`);
    }
  });
});

describe('tims-equity: 10 equidistant points over +-15 %', () => {
  const g = load('tims-equity');
  test('moves: 5 down to -15 % and 5 up to +15 %, equally spaced (3 % apart), no zero point', () => {
    expectClose(g.points.map((p) => p.move), [...linspace(-0.15, -0.03, 5), ...linspace(0.03, 0.15, 5)], 'moves');
    for (const p of g.points) {
      expect(p.cover ?? 1).toBe(1);
      expect(p.volMoves).toBeUndefined();
    }
  });
  test('vol unchanged, 0.375 minimum on every option, no offsets, maintenance = initial', () => {
    expect(g.volMoves).toEqual([0]);
    expect(g.volTerm).toBeUndefined();
    expect(g.shortOptionMinimum).toBe(0.375);
    expect(g.longOptionMinimum).toBe(0.375);
    expect(g.groups).toBeUndefined();
    expect(g.underlyings).toBeUndefined();
    expect(g.horizonDays ?? 0).toBe(0);
    expect(g.maintenanceRatio ?? 1).toBe(1);
    expect(scenarios(g).length).toBe(10);
  });
});

describe('tims-index: 10 equidistant points from -8 % to +6 %', () => {
  const g = load('tims-index');
  test('moves: 5 down to -8 % (1.6 % apart) and 5 up to +6 % (1.2 % apart)', () => {
    expectClose(g.points.map((p) => p.move), [...linspace(-0.08, -0.016, 5), ...linspace(0.012, 0.06, 5)], 'moves');
    for (const p of g.points) expect(p.cover ?? 1).toBe(1);
  });
  test('90 % offset for the US index group (as named in examples/market.json), vol unchanged, 0.375 minimums', () => {
    expect(g.groups).toEqual({ US_INDEX: { offset: 0.9 } });
    expect(g.volMoves).toEqual([0]);
    expect(g.shortOptionMinimum).toBe(0.375);
    expect(g.longOptionMinimum).toBe(0.375);
    expect(scenarios(g).length).toBe(10);
  });
});

describe('span-16: the 16 standard SPAN risk scenarios', () => {
  // [price move as a fraction of the scan range, vol move in scan ranges (+1 up, -1 down, 0), fraction of loss]
  const SPAN_TABLE: [number, number, number][] = [
    [0, 1, 1], [0, -1, 1],
    [1 / 3, 1, 1], [1 / 3, -1, 1], [-1 / 3, 1, 1], [-1 / 3, -1, 1],
    [2 / 3, 1, 1], [2 / 3, -1, 1], [-2 / 3, 1, 1], [-2 / 3, -1, 1],
    [1, 1, 1], [1, -1, 1], [-1, 1, 1], [-1, -1, 1],
    [2, 0, 0.35], [-2, 0, 0.35],
  ];
  const g = load('span-16');

  test('7 price points x 2 vol moves + 2 extreme points = 16 scenarios', () => {
    expect(g.points.length).toBe(9);
    expect(g.points.filter((p) => p.volMoves === undefined).length).toBe(7);
    expect(g.volMoves?.length).toBe(2);
    expect(scenarios(g).length).toBe(16);
  });

  test('expanding the points in order at their vol moves gives SPAN scenarios 1 to 16 (scan range 9 %, vol scan 25 %)', () => {
    const range = Math.max(...g.points.filter((p) => p.volMoves === undefined).map((p) => p.move));
    expect(range).toBe(0.09);
    const volRange = g.volMoves![0];
    expect(volRange).toBe(0.25);
    const got = scenarios(g);
    got.forEach((s, i) => {
      const [frac, vol, cover] = SPAN_TABLE[i];
      const where = `scenario ${i + 1}: got ${JSON.stringify(s)}, SPAN ${JSON.stringify(SPAN_TABLE[i])}`;
      expect(Math.abs(s.move - frac * range), where).toBeLessThanOrEqual(TOL);
      expect(s.vol, where).toBe(vol * volRange);
      expect(s.cover, where).toBe(cover);
    });
  });

  test('maintenance = initial / 1.1 (CME: a speculator\'s initial margin is 110 % of maintenance)', () => {
    expect(Math.abs(g.maintenanceRatio! * 1.1 - 1)).toBeLessThanOrEqual(1e-15);
  });

  test('presets/README.md: its table and its point-to-scenario mapping agree with the JSON', () => {
    const readme = readFileSync(resolve(ROOT, 'presets', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## span-16'), readme.indexOf('## crypto'));
    // | Point | Move | Vol moves | Cover | SPAN scenarios |
    const rows = [...section.matchAll(/^\| (\d+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$/gm)];
    expect(rows.length).toBe(g.points.length);
    const pct = (t: string) => Number(/^([+-]?\d+(?:\.\d+)?) %/.exec(t.trim())?.[1] ?? (t.trim() === '0' ? 0 : NaN)) / 100;
    let next = 1;
    rows.forEach((m, j) => {
      const p = g.points[j];
      expect(Number(m[1])).toBe(j);
      expect(Math.abs(pct(m[2]) - p.move), `point ${j} move`).toBeLessThanOrEqual(TOL);
      const vols = p.volMoves ?? g.volMoves!;
      const listed = m[3].trim() === '0' ? [0] : m[3].split(',').map(pct);
      expectClose(listed, vols, `point ${j} vol moves`);
      expect(Number(m[4])).toBe(p.cover ?? 1);
      const scen = m[5].split(',').map((x) => Number(x.trim()));
      // The scenarios of a point are the next ones in the expansion order, one per vol move.
      expect(scen, `point ${j}`).toEqual(vols.map((_, k) => next + k));
      // ... and the mapping the README states gives the same numbers.
      scen.forEach((n, k) => expect(j <= 6 ? 2 * j + k + 1 : j + 8, `point ${j} vol move ${k}`).toBe(n));
      next += vols.length;
    });
    expect(next - 1).toBe(16);
    expect(section).toContain('for the points\n`j` = 0 to 6, vol move `k` (0 up, 1 down) is SPAN scenario `2j + k + 1`');
    expect(section).toContain('SPAN scenarios 15 and 16 (`j + 8`)');
    // The old statement, that every point j at vol move k is 2j + k + 1, gave 17 for the -18 % point.
    expect(section).not.toMatch(/so point `j` at vol\s+move `k` is SPAN scenario `2j \+ k \+ 1`/);
    expect(g.description).toContain('point j = 0..6 at vol move k is SPAN scenario 2j+k+1');
  });

  test('one day of time decay, no minimums or offsets', () => {
    expect(g.horizonDays).toBe(1);
    expect(g.shortOptionMinimum ?? 0).toBe(0);
    expect(g.longOptionMinimum ?? 0).toBe(0);
    expect(g.groups).toBeUndefined();
  });
});

describe('crypto: Deribit-style +-16 % in 9 buckets with tenor-scaled vol shocks', () => {
  const g = load('crypto');
  const core = g.points.filter((p) => p.volMoves === undefined);
  const extended = g.points.filter((p) => p.volMoves !== undefined);

  test('9 evenly spaced core moves from -16 % to +16 % including 0, at vol down, same and up', () => {
    expectClose(core.map((p) => p.move), linspace(-0.16, 0.16, 9), 'core moves');
    for (const p of core) expect(p.cover ?? 1).toBe(1);
    expect(g.volMoves).toEqual([-0.25, 0, 0.5]);
    expect(g.volTerm).toEqual({ refDays: 30, power: 0.3, floorDays: 1 });
  });

  test('extended points: beyond the core range, vol up only, at a fraction of the loss', () => {
    expect(extended.map((p) => p.move)).toEqual([-0.33, 0.5]);
    for (const p of extended) {
      expect(Math.abs(p.move)).toBeGreaterThan(0.16);
      expect(p.volMoves).toEqual([Math.max(...g.volMoves!)]);
      expect(p.cover).toBe(0.3);
      // Documented design: on a linear position the extended loss stays below the core +-16 % loss.
      expect(Math.abs(p.move) * p.cover!, `move ${p.move}`).toBeLessThan(0.16);
    }
    expect(scenarios(g).length).toBe(9 * 3 + 2);
  });

  test('maintenance margin 80 % of initial (Deribit), so there is a margin-call band before liquidation', () => {
    expect(g.maintenanceRatio).toBe(0.8);
  });

  test('the largest vol-down shock keeps every vol positive (weight at the 1-day floor)', () => {
    const wMax = Math.pow(g.volTerm!.refDays / g.volTerm!.floorDays!, g.volTerm!.power);
    const lowest = Math.min(...g.points.flatMap((p) => p.volMoves ?? g.volMoves!));
    expect(1 + lowest * wMax, `w = ${wMax}, vol move ${lowest}`).toBeGreaterThan(0);
  });
});

describe('presets against the example market', () => {
  const market = parseMarket(readFileSync(resolve(ROOT, 'examples', 'market.json'), 'utf8'), 'examples/market.json');

  test.each(['crypto', 'span-16', 'tims-equity'])('%s validates against examples/market.json (vol shocks stay > 0)', (name) => {
    expect(() => validateGrid(load(name), `presets/${name}.json`, '', market)).not.toThrow();
  });

  test('tims-index validates as shipped: its group is the market\'s US_INDEX (SPX, NDX)', () => {
    const spec = validateGrid(load('tims-index'), 'presets/tims-index.json', '', market);
    expect(spec.groups.get('US_INDEX')?.offset).toBe(0.9);
    expect(market.underlyings.group[market.underlyings.index.get('SPX')!]).toBe(market.groups.index.get('US_INDEX'));
    expect(market.underlyings.group[market.underlyings.index.get('NDX')!]).toBe(market.groups.index.get('US_INDEX'));
  });

  test('margin-engine run --preset tims-index works on examples/market.json, with the 90 % offset between SPX and NDX', () => {
    const dir = mkdtempSync(join(tmpdir(), 'margin-tims-index-'));
    const book = join(dir, 'book.csv');
    // Long an SPX call, short an NDX call: the SPX call loses on the way down, the NDX call on the way up.
    const positions = [{ instrument: 'SPX-18DEC26-6000-C', quantity: 1 }, { instrument: 'NDX-18DEC26-21000-C', quantity: -1 }];
    writeFileSync(book, 'portfolio,instrument,quantity\n' + positions.map((p) => `P1,${p.instrument},${p.quantity}\n`).join(''));
    const r = spawnSync(process.execPath, [CLI, 'run', '--market', resolve(ROOT, 'examples', 'market.json'),
      '--portfolios', book, '--preset', 'tims-index', '--threads', '1'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [header, row] = r.stdout.trim().split('\n');
    const cols = header.split(',');
    const got = Object.fromEntries(row.split(',').map((v, i) => [cols[i], v]));
    expect(got.status).toBe('ok');
    // The from-definition reference with the same preset: L_u per point, N = sum max(L, 0) - 0.9 sum max(-L, 0).
    const spec = loadPreset('tims-index', market);
    const ref = referenceGridMargin(market, spec, positions);
    expect(ref.groups.get('US_INDEX')).toBeDefined();
    const im = Number(got.initial_margin);
    expect(Math.abs(im - ref.initialMargin)).toBeLessThanOrEqual(1e-9 * ref.initialMargin);
    // Without the offset the same portfolio would be charged more: the offset is applied.
    const noOffset = referenceGridMargin(market, { ...spec, groups: new Map() }, positions);
    expect(noOffset.initialMargin).toBeGreaterThan(ref.initialMargin * 1.01);
  });
});

// Every preset file carries a version id YYYY-MM-N (docs/methods.md §12.1, presets/README.md).
// A preset whose numbers change gets a new version: NUMBERS pins a digest of each preset's
// numbers (the file without `version` and `description`) to its version, so a change of the
// numbers without a new version fails here. With a new version, put its digest here.
const NUMBERS: Record<string, { version: string; digest: string }> = {
  'grid/crypto': { version: '2026-12-2', digest: '1adeaf549925aecb' },
  'grid/span-16': { version: '2026-12-1', digest: '8fd5686b66950b7e' },
  'grid/tims-equity': { version: '2026-12-1', digest: '0b044c535a8fd29a' },
  'grid/tims-index': { version: '2026-12-1', digest: 'd1fcb7a000421bce' },
  'es/stans': { version: '2026-12-1', digest: '77a3e2c2160d726e' },
  'fhs/prisma-fhs': { version: '2026-12-1', digest: 'ee0ab4ab312a9a81' },
};
const METHODS = ['grid', 'es', 'fhs'] as const;

function presetPath(method: (typeof METHODS)[number], name: string): string {
  return method === 'grid' ? resolve(ROOT, 'presets', `${name}.json`) : resolve(ROOT, 'presets', method, `${name}.json`);
}

/** A digest of a preset's numbers: its JSON without `version` and `description`, keys sorted at every level. */
function numbersDigest(json: Record<string, unknown>): string {
  const canon = (v: unknown): unknown => Array.isArray(v) ? v.map(canon)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
  const { version: _v, description: _d, ...numbers } = json;
  return createHash('sha256').update(JSON.stringify(canon(numbers))).digest('hex').slice(0, 16);
}

describe('preset versions', () => {
  const schema = JSON.parse(readFileSync(resolve(ROOT, 'schema', 'market.schema.json'), 'utf8'));
  const all = METHODS.flatMap((method) => methodPresetNames(method).map((name) => ({ method, name })));

  test('every shipped preset is listed with its version and the digest of its numbers', () => {
    expect(all.map(({ method, name }) => `${method}/${name}`).sort()).toEqual(Object.keys(NUMBERS).sort());
  });

  test.each(Object.keys(NUMBERS))('%s: a version id; its numbers are those of that version', (key) => {
    const [method, name] = key.split('/') as [(typeof METHODS)[number], string];
    const json = JSON.parse(readFileSync(presetPath(method, name), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(json)[0], 'version comes first in the file').toBe('version');
    expect(json.version).toMatch(/^[0-9]{4}-(0[1-9]|1[0-2])-[1-9][0-9]*$/);
    expect(json.version, `${key}: the version listed in NUMBERS`).toBe(NUMBERS[key].version);
    expect(numbersDigest(json), `${key}: its numbers changed; give it a new version (docs/methods.md §12.1) and its new digest here`)
      .toBe(NUMBERS[key].digest);
    expect(presetVersion(name, method)).toBe(json.version);
  });

  test('the digest sees a changed number, not a changed description or key order', () => {
    const base = { version: '2026-12-1', description: 'a', points: [{ move: -0.1 }], maintenanceRatio: 1 };
    expect(numbersDigest({ ...base, description: 'b' })).toBe(numbersDigest(base));
    expect(numbersDigest({ maintenanceRatio: 1, points: [{ move: -0.1 }], version: '2026-12-2' })).toBe(numbersDigest(base));
    expect(numbersDigest({ ...base, points: [{ move: -0.11 }] })).not.toBe(numbersDigest(base));
  });

  test('the loader, the validators and the schema agree on the form of a version id', () => {
    expect(schema.$defs.presetVersion.pattern).toBe(PRESET_VERSION_PATTERN);
    for (const def of ['grid', 'es', 'fhs']) expect(schema.$defs[def].properties.version.$ref).toBe('#/$defs/presetVersion');
    const re = new RegExp(PRESET_VERSION_PATTERN);
    for (const ok of ['2026-12-1', '2027-01-2', '2030-06-12']) expect(re.test(ok), ok).toBe(true);
    for (const bad of ['2026-12', '2026-13-1', '2026-00-1', '2026-12-0', '2026-12-01', '1.0.0', 'v2026-12-1', ' 2026-12-1']) {
      expect(re.test(bad), bad).toBe(false);
    }
  });

  test('the loaders put { name, version } on the spec; the spec is otherwise the validated file', () => {
    for (const { method, name } of all) {
      const spec = loadMethodPreset(method, name);
      const { preset, ...rest } = spec;
      expect(preset, `${method}/${name}`).toEqual({ name, version: NUMBERS[`${method}/${name}`].version });
      const json = JSON.parse(readFileSync(presetPath(method, name), 'utf8'));
      const validated = method === 'grid' ? validateGrid(json, 'p', '') : method === 'es' ? validateEs(json, 'p', '') : validateFhs(json, 'p', '');
      expect(validated.preset, 'a block validated on its own names no preset').toBeUndefined();
      expect(validated).toEqual(rest);
    }
    expect(loadPreset('crypto').preset).toEqual({ name: 'crypto', version: '2026-12-2' });
    expect(loadEsPreset('stans').preset).toEqual({ name: 'stans', version: '2026-12-1' });
    expect(loadFhsPreset('prisma-fhs').preset).toEqual({ name: 'prisma-fhs', version: '2026-12-1' });
  });

  test('a block from the market or a --grid file has no preset, even when copied from a preset with its version', () => {
    const market = parseMarket(readFileSync(resolve(ROOT, 'examples', 'market.json'), 'utf8'), 'examples/market.json');
    expect(market.risk.grid).toBeDefined();
    expect(market.risk.grid!.preset).toBeUndefined();
    expect(market.risk.es?.preset).toBeUndefined();
    const copied = JSON.parse(readFileSync(presetPath('grid', 'crypto'), 'utf8'));
    expect(copied.version).toBe('2026-12-2');
    expect(validateGrid(copied, 'g.json', '').preset).toBeUndefined();
  });

  test('a version of the wrong form is refused, naming the file, the field and the form', () => {
    const json = { ...JSON.parse(readFileSync(presetPath('grid', 'tims-equity'), 'utf8')), version: '2026-13-1' };
    expect(() => validateGrid(json, 'g.json', '')).toThrow(InputError);
    expect(() => validateGrid(json, 'g.json', '')).toThrow(
      'g.json: version: expected a preset version id YYYY-MM-N such as "2026-12-1", got "2026-13-1"');
    expect(() => validateEs({ version: 3, confidence: 0.99, horizonDays: 2, scenarios: 10 }, 'm.json'))
      .toThrow('m.json: risk.es.version: expected a preset version id YYYY-MM-N such as "2026-12-1", got 3');
  });

  test('presetJson (the block a calibration starts from) has no version: a calibrated grid is not the preset', () => {
    for (const name of PRESETS) {
      const block = presetJson(name) as Record<string, unknown>;
      expect('version' in block, name).toBe(false);
      expect(block.points).toEqual(load(name).points);
    }
  });

  test('a preset spec given to a model keeps its preset id; a malformed one is refused', () => {
    const market = parseMarket(readFileSync(resolve(ROOT, 'examples', 'market.json'), 'utf8'), 'examples/market.json');
    const es = loadEsPreset('stans', market);
    expect(esOption(es, market)).toEqual(es);
    expect(esOption(es, market).preset).toEqual({ name: 'stans', version: '2026-12-1' });
    const fhs = loadFhsPreset('prisma-fhs');
    expect(fhsOption(fhs).preset).toEqual({ name: 'prisma-fhs', version: '2026-12-1' });
    expect(() => fhsOption({ ...fhs, preset: { name: 'prisma-fhs', version: 'latest' } })).toThrow(
      'options: fhs.preset: expected the preset a spec came from, { name, version } with a preset version id YYYY-MM-N such as "2026-12-1", got');
  });
});
