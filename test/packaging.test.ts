/**
 * What `npm pack` ships (the list from `npm pack --dry-run --json`, over the build the test run
 * starts from): every source map with the sources it names, what package.json's exports and bin
 * point to, the examples exported, and no script that runs when a consumer installs the package.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  name: string; bin: Record<string, string>; main: string; types: string;
  exports: Record<string, string | Record<string, string>>; scripts: Record<string, string>;
};

/** The packed files, paths relative to the package root. --ignore-scripts: the build is the test run's own. */
function packedFiles(): Set<string> {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024,
  });
  const [entry] = JSON.parse(out) as { files: { path: string }[] }[];
  return new Set(entry.files.map((f) => f.path));
}

const strip = (p: string) => p.replace(/^\.\//, '');

describe('the packed package (npm pack --dry-run)', () => {
  const files = packedFiles();

  it('ships every source map with the sources it names', () => {
    const maps = [...files].filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const m of maps) {
      const map = JSON.parse(readFileSync(`${root}${m}`, 'utf8')) as { sources: string[]; sourceRoot?: string; sourcesContent?: unknown[] };
      map.sources.forEach((s, k) => {
        if (map.sourcesContent?.[k] != null) return; // inlined
        const source = posix.normalize(posix.join(posix.dirname(m), map.sourceRoot ?? '', s));
        if (!files.has(source)) missing.push(`${m} -> ${source}`);
      });
      // ... and every map belongs to a shipped file.
      expect(files.has(m.slice(0, -'.map'.length)), m).toBe(true);
    }
    expect(missing).toEqual([]);
  });

  it('ships what main, types, bin and every exports target point to', () => {
    const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin)];
    for (const t of Object.values(pkg.exports)) targets.push(...(typeof t === 'string' ? [t] : Object.values(t)));
    for (const t of targets.map(strip)) {
      if (t.endsWith('/*')) expect([...files].some((f) => f.startsWith(t.slice(0, -1))), t).toBe(true);
      else expect(files.has(t), t).toBe(true);
    }
    // What the code loads at run time besides the modules.
    for (const f of ['build/margin.wasm', 'dist/src/batch/worker.js', 'presets/crypto.json', 'schema/market.schema.json']) {
      expect(files.has(f), f).toBe(true);
    }
    expect([...files].filter((f) => f.startsWith('test/') || f.startsWith('bench/') || f.startsWith('dist/bench/'))).toEqual([]);
  });

  it('exports the examples: margin-engine/examples/* resolves to the shipped files', () => {
    expect(pkg.exports['./examples/*']).toBe('./examples/*');
    const require = createRequire(import.meta.url);
    for (const name of ['market.json', 'history.csv', 'portfolios.csv', 'stress.json', 'accounts.json', 'events.ndjson']) {
      expect(files.has(`examples/${name}`), name).toBe(true);
      expect(require.resolve(`${pkg.name}/examples/${name}`)).toBe(`${root}examples/${name}`);
    }
  });

  it('runs no script when a consumer installs it; builds before packing, starting and testing', () => {
    for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) expect(pkg.scripts[s], s).toBeUndefined();
    for (const s of ['prepack', 'prestart', 'pretest']) expect(pkg.scripts[s], s).toBe('npm run build');
  });
});
