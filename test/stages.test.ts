// The pipeline's stages (README, "Layout of the code"): every import in src/ (static `import`,
// `import type`, `export ... from`) goes to the importing file's own stage or a lower one, never
// up. STAGES is the README's table; ALLOWED lists the imports that break the rule today, each as
// a file pair, and may only shrink: an entry that no longer occurs fails the test until removed.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Rank, then the folders (ending in '/') and files of src/ at that rank, low to high. Where the
 * code put things lower than a first sketch of the pipeline did: options.ts (the API's checks of
 * a market and method blocks, with the market's validators) is used by portfolio/, scenarios/,
 * history/ and io/, so it sits with the market; io/ (row formats, the CSV guard, output files,
 * signals, progress) is used by batch/, accounts/, book/ and dim/, so it sits below them;
 * valuation.ts (the `value` command's numbers, written with io/'s CSV guard) is an application.
 */
const STAGES: [number, string, string[]][] = [
  [0, 'base', ['errors.ts', 'layout.ts', 'layout-constants.ts', 'paths.ts', 'math/', 'wasm/', 'kernels/', 'reference/', 'results.ts']],
  [1, 'market snapshot, specs and validation', ['market/', 'surface/', 'options.ts']],
  [2, 'portfolio input and resolution', ['portfolio/']],
  [3, 'scenario sets, price histories', ['scenarios/', 'history/']],
  [4, 'the P&L cube', ['cube/']],
  [5, 'aggregation', ['aggregate/']],
  [6, 'margin policy', ['policy/']],
  [7, 'models, presets', ['models/', 'presets.ts']],
  [8, 'output rows, signals, progress', ['io/']],
  [9, 'the batch engine', ['batch/']],
  [10, 'applications', ['accounts/', 'book/', 'dim/', 'backtest/', 'demo/', 'valuation.ts']],
  [11, 'command line and public API', ['cli/', 'index.ts']],
];

/** Imports that run up a stage today: `importer -> imported`, paths under src/. */
const ALLOWED = new Set<string>([
  // The kernel host of vol surfaces takes the surface type of surface/ (rank 1).
  'kernels/surface.ts -> surface/surface.ts',
  // The plain-TypeScript twin of the whole grid margin reads a resolved market and positions.
  'reference/grid-margin.ts -> market/types.ts',
  'reference/grid-margin.ts -> portfolio/resolve.ts',
  // Its vol moves read surface-priced options' vols from the surface lookup (sticky moneyness).
  'reference/grid-margin.ts -> surface/surface.ts',
  // The twin of the vol-dynamics cube reads a resolved market, a scenario set (types) and the surface lookup.
  'reference/vol-dynamics.ts -> market/types.ts',
  'reference/vol-dynamics.ts -> scenarios/types.ts',
  'reference/vol-dynamics.ts -> surface/surface.ts',
]);

/** Every .ts file under src/, as a path relative to src/. */
function sources(dir = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, 'src', dir))) {
    const path = dir === '' ? name : `${dir}/${name}`;
    if (statSync(join(ROOT, 'src', path)).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** The rank of a path under src/ (undefined: in no stage). */
function rankOf(path: string): number | undefined {
  for (const [rank, , members] of STAGES) {
    if (members.some((m) => (m.endsWith('/') ? path.startsWith(m) : path === m))) return rank;
  }
  return undefined;
}

// import x from '...'; import type { X } from '...'; import '...'; export { x } from '...';
// export * from '...'; export type { X } from '...'. Over several lines too.
const IMPORT = /^[ \t]*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+|(?=['"]))['"]([^'"]+)['"]/gm;

/** The specifiers a source text imports (static imports and re-exports, type-only included). */
function specifiers(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => m[1]);
}

/** The relative imports of a file under src/, resolved to paths under src/ (.js written, .ts read). */
function importsOf(path: string): string[] {
  const text = readFileSync(join(ROOT, 'src', path), 'utf8');
  return specifiers(text).filter((s) => s.startsWith('.'))
    .map((s) => posix.normalize(posix.join(posix.dirname(path), s)).replace(/\.js$/, '.ts'));
}

describe('stages: no import runs back up the pipeline', () => {
  const files = sources();
  const edges = files.flatMap((from) => importsOf(from).map((to) => ({ from, to })));

  it('the parser reads every form of import and re-export', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b/b.js';",
      "import C, { d,\n  e } from './c.js';",
      "import './side.js';",
      "export { f } from './f.js';",
      "export * from './g.js';",
      "export type { H } from './h.js';",
      "import * as ns from 'node:fs';",
      "// import { no } from './comment.js';",
      " * import { no } from './doc.js';",
      "const s = 'import x from \"./string.js\"';",
    ].join('\n');
    expect(specifiers(text)).toEqual(['./a.js', '../b/b.js', './c.js', './side.js', './f.js', './g.js', './h.js', 'node:fs']);
  });

  it('every file of src/ is in a stage, and every relative import names a file of src/', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.filter((f) => rankOf(f) === undefined)).toEqual([]);
    const known = new Set(files);
    expect(edges.filter(({ to }) => !known.has(to)).map(({ from, to }) => `${from} -> ${to}`)).toEqual([]);
    expect(edges.length).toBeGreaterThan(200);
  });

  it('imports go to the same stage or a lower one, but the allowed ones', () => {
    const up = edges.filter(({ from, to }) => rankOf(to)! > rankOf(from)!).map(({ from, to }) => `${from} -> ${to}`);
    const unexpected = [...new Set(up)].filter((e) => !ALLOWED.has(e)).sort();
    expect(unexpected, 'an import that runs up a stage: move the code it needs down, or the importer up').toEqual([]);
    const gone = [...ALLOWED].filter((e) => !up.includes(e)).sort();
    expect(gone, 'these no longer run up a stage: remove them from ALLOWED').toEqual([]);
  });

  it('the README\'s layout section holds the same stage table', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Layout of the code'), readme.indexOf('\n## ', readme.indexOf('## Layout of the code') + 1));
    for (const [rank, , members] of STAGES) {
      const row = section.split('\n').find((l) => l.startsWith(`| ${rank} |`));
      expect(row, `README: a row for stage ${rank}`).toBeDefined();
      for (const m of members) expect(row, `README stage ${rank}`).toContain(`\`${m}\``);
    }
  });
});
