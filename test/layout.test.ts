// The layout constants have one source (assembly/layout.ts): the host's copy is generated from it,
// the module exports every one of them, and every name on every side is compared (not a list
// picked by hand). And no file outside the kernel host layer calls a kernel directly.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compiledModule, instantiateKernels, checkLayout } from '../src/wasm/module.js';
import * as layout from '../src/layout.js';
import { KERNEL_LAYOUT } from '../src/layout-constants.js';
import { KernelError } from '../src/kernels/error.js';
import * as surface from '../src/surface/surface.js';
import { parseLayout, renderLayout } from '../scripts/gen-layout.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');

/** The module's exports by kind. */
function moduleExports(): { globals: string[]; functions: string[] } {
  const all = WebAssembly.Module.exports(compiledModule());
  return {
    globals: all.filter((e) => e.kind === 'global').map((e) => e.name),
    functions: all.filter((e) => e.kind === 'function').map((e) => e.name),
  };
}

/** Host-side constants of src/layout.ts that are not the kernels' (nothing in the module reads them). */
const HOST_ONLY = new Set(['YEAR_SECONDS']);

describe('layout constants: one source', () => {
  it('src/layout-constants.ts is what scripts/gen-layout.mjs writes from assembly/layout.ts', () => {
    expect(read('src/layout-constants.ts')).toBe(renderLayout(read('assembly/layout.ts')));
  });

  it('every `export const` of assembly/layout.ts is a layout constant (none skipped by the generator)', () => {
    const text = read('assembly/layout.ts');
    const lines = text.split('\n').filter((l) => l.startsWith('export const')).length;
    const parsed = parseLayout(text) as { name: string }[];
    expect(parsed.length).toBe(lines);
    expect(Object.keys(KERNEL_LAYOUT)).toEqual(parsed.map((c) => c.name));
    expect(() => parseLayout('export const X = 1;')).toThrow(/not a layout constant/);
  });

  it('the module exports exactly the constants of src/layout.ts as globals, with the same values', () => {
    const k = instantiateKernels() as unknown as Record<string, unknown>;
    const { globals } = moduleExports();
    expect([...globals].sort()).toEqual(Object.keys(KERNEL_LAYOUT).sort());
    for (const name of globals) {
      const g = k[name];
      expect(g, name).toBeInstanceOf(WebAssembly.Global);
      expect((g as WebAssembly.Global).value, name).toBe(KERNEL_LAYOUT[name]);
      expect((layout as Record<string, unknown>)[name], name).toBe(KERNEL_LAYOUT[name]);
    }
  });

  it('the status codes, row statuses and draw codes are among them, with their documented values', () => {
    expect({
      STATUS_OK: layout.STATUS_OK, STATUS_BAD_ARGUMENT: layout.STATUS_BAD_ARGUMENT, STATUS_NOT_FINITE: layout.STATUS_NOT_FINITE,
      STATUS_ROW_ERRORS: layout.STATUS_ROW_ERRORS, PRICE_OK: layout.PRICE_OK, PRICE_BAD_INPUT: layout.PRICE_BAD_INPUT,
      PRICE_NON_FINITE: layout.PRICE_NON_FINITE, SURFACE_BAD_LOOKUP: layout.SURFACE_BAD_LOOKUP,
    }).toEqual({
      STATUS_OK: 0, STATUS_BAD_ARGUMENT: 1, STATUS_NOT_FINITE: 2, STATUS_ROW_ERRORS: 3,
      PRICE_OK: 0, PRICE_BAD_INPUT: 1, PRICE_NON_FINITE: 2, SURFACE_BAD_LOOKUP: 2,
    });
  });

  it('every numeric constant of src/layout.ts is the kernels\' or listed as host-only', () => {
    for (const [name, v] of Object.entries(layout)) {
      if (typeof v !== 'number') continue;
      if (HOST_ONLY.has(name)) expect(name in KERNEL_LAYOUT, name).toBe(false);
      else expect(KERNEL_LAYOUT[name], name).toBe(v);
    }
  });

  it('no host module keeps its own copy of a kernel constant: src/kernels/* re-export the layout\'s', async () => {
    const dir = join(ROOT, 'src', 'kernels');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      const mod = await import(/* @vite-ignore */ pathToFileURL(join(dir, f)).href) as Record<string, unknown>;
      for (const [name, v] of Object.entries(mod)) {
        if (typeof v === 'number' && /^[A-Z0-9_]+$/.test(name)) expect(KERNEL_LAYOUT[name], `${f}: ${name}`).toBe(v);
      }
      // A literal constant declaration in a wrapper would be a second source.
      expect(read(`src/kernels/${f}`), f).not.toMatch(/^export const [A-Z][A-Z0-9_]* = -?\d/m);
    }
    expect(surface.AXIS_MONEYNESS).toBe(KERNEL_LAYOUT.SURFACE_AXIS_MONEYNESS);
    expect(surface.AXIS_STRIKE).toBe(KERNEL_LAYOUT.SURFACE_AXIS_STRIKE);
  });

  it('the kernels return named statuses, never a bare number', () => {
    const dir = join(ROOT, 'assembly');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      const text = read(`assembly/${f}`);
      // The body of each exported function returning i32 (a kernel's status).
      const re = /^export function (\w+)\([^)]*\): i32 \{$/gm;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        let depth = 0, i = m.index + m[0].length - 1, end = i;
        for (; i < text.length; i++) {
          if (text[i] === '{') depth++;
          else if (text[i] === '}' && --depth === 0) { end = i; break; }
        }
        expect(text.slice(m.index, end), `${f}: ${m[1]}`).not.toMatch(/return -?\d+;/);
      }
    }
  });

  it('a module whose layout differs from the host\'s is refused at instantiation (KernelError)', () => {
    const k = instantiateKernels() as unknown as Record<string, unknown>;
    const fake: Record<string, unknown> = {};
    for (const name of Object.keys(KERNEL_LAYOUT)) fake[name] = k[name];
    expect(() => checkLayout(fake as WebAssembly.Exports)).not.toThrow();
    for (const name of ['NCOLS', 'STATUS_NOT_FINITE', 'PRICE_BAD_INPUT']) {
      const changed = { ...fake, [name]: new WebAssembly.Global({ value: 'i32', mutable: false }, KERNEL_LAYOUT[name] + 1) };
      expect(() => checkLayout(changed as WebAssembly.Exports), name).toThrow(KernelError);
      expect(() => checkLayout(changed as WebAssembly.Exports), name).toThrow(new RegExp(`${name} is ${KERNEL_LAYOUT[name] + 1} in build/margin.wasm`));
      const missing = { ...fake };
      delete missing[name];
      expect(() => checkLayout(missing as WebAssembly.Exports), name).toThrow(expect.objectContaining({ code: 'E_INTERNAL' }));
    }
  });
});

/**
 * Files outside src/kernels/ and src/wasm/ that still call a kernel directly: the lead engineer's
 * core files, which wrap the four hot-path kernels themselves. This list may only shrink: a file
 * listed here that no longer calls a kernel fails the test too.
 */
const DIRECT_CALLERS = new Set([
  'src/accounts/engine.ts',
  'src/cube/cube.ts',
  'src/models/grid.ts',
  'src/models/tail.ts',
]);

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (e.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('kernel calls go through src/kernels/', () => {
  it('no file of src/ or bench/ outside the host layer calls a kernel export directly', () => {
    // Every function the module exports except heapBase (where the module's static data ends:
    // memory layout, read by the arenas, not a kernel).
    const names = moduleExports().functions.filter((n) => n !== 'heapBase');
    expect(names.length).toBeGreaterThan(20);
    const call = new RegExp(`(?:\\.(?:${names.join('|')})\\s*\\(|\\[\\s*['"\`](?:${names.join('|')})['"\`]\\s*\\])`);
    const found = new Set<string>();
    for (const file of [...tsFiles(join(ROOT, 'src')), ...tsFiles(join(ROOT, 'bench'))]) {
      const rel = relative(ROOT, file).split('\\').join('/');
      if (rel.startsWith('src/kernels/') || rel.startsWith('src/wasm/')) continue;
      // Comments name kernels freely; only code counts.
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      if (call.test(code)) found.add(rel);
    }
    expect([...found].filter((f) => !DIRECT_CALLERS.has(f)), 'direct kernel calls outside src/kernels/').toEqual([]);
    expect([...DIRECT_CALLERS].filter((f) => !found.has(f)), 'allowed direct callers that no longer call a kernel: remove them from the list').toEqual([]);
  });
});
