// The project's specification is docs/methods.md: code comments, the JSON Schema's descriptions,
// error messages, the README and docs/ cite its sections (docs/methods.md §N), never an external
// "contract" or its "section N" (docs/methods.md §18 maps those earlier references and is the
// one place they may appear). "Contract" in the sense of an instrument (one contract, the contract
// size, the contract's own price) is ordinary vocabulary and allowed.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Files that still cite the old specification, to be pointed at docs/methods.md by their owner.
 * The list may only shrink: a file here that no longer cites it fails the test until it is removed.
 */
const NOT_YET_FIXED = new Set<string>([]);

/** Every text file under `dir` (relative paths, '/' separated). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...filesUnder(path));
    else if (/\.(ts|mts|mjs|js|json|md|py)$/.test(name)) out.push(path);
  }
  return out;
}

/** The text with comment markers and line breaks folded into single spaces, so a phrase broken over lines is one phrase. */
function folded(text: string): string {
  return text.replace(/\s*\n\s*(?:\*(?!\/)|\/\/|#)?\s*/g, ' ');
}

/** docs/methods.md without its §18, the index of earlier references. */
function withoutIndex(text: string): string {
  const start = text.indexOf('\n## 18.');
  const end = text.indexOf('\n## 19.');
  expect(start, 'docs/methods.md has a §18').toBeGreaterThan(0);
  expect(end, 'docs/methods.md has a §19 after §18').toBeGreaterThan(start);
  return text.slice(0, start) + text.slice(end);
}

// "the contract" followed by these is a contract in the instrument sense.
const INSTRUMENT_SENSE = String.raw`(?:\s+(?:size|multiplier|arithmetic)|'s\s+(?:own|multiplier|market value|P&L|q N|N \(|\x60q N))`;
const OLD_REFERENCE = new RegExp(String.raw`\bcontract(?:'s)?\s+sections?\b|\bthe\s+contract\b(?!${INSTRUMENT_SENSE})`, 'gi');

/** The old-specification phrases of one file. */
function oldReferences(path: string): string[] {
  let text = readFileSync(join(ROOT, path), 'utf8');
  if (path === 'docs/methods.md') text = withoutIndex(text);
  text = folded(text);
  return [...text.matchAll(OLD_REFERENCE)].map(m => text.slice(Math.max(0, m.index! - 40), m.index! + 60));
}

const SCANNED = [
  ...filesUnder('src'), ...filesUnder('schema'), ...filesUnder('docs'), ...filesUnder('presets'),
  ...filesUnder('assembly'), 'README.md',
];

describe('docs/methods.md is the specification every file cites', () => {
  it('the scan sees the files it should', () => {
    expect(SCANNED).toContain('src/cli/main.ts');
    expect(SCANNED).toContain('schema/market.schema.json');
    expect(SCANNED).toContain('docs/methods.md');
    expect(SCANNED).toContain('presets/README.md');
    expect(SCANNED.length).toBeGreaterThan(80);
  });

  it('the pattern finds the old phrases, across line breaks, and not the instrument sense', () => {
    const hits = (s: string) => [...folded(s).matchAll(OLD_REFERENCE)].length;
    expect(hits('/** Grid margin (contract section 4). */')).toBe(1);
    expect(hits(' * the group requirements of contract\n   * section 4 with')).toBe(1);
    expect(hits('Market loading (contract sections 2, 4 and 5)')).toBe(1);
    expect(hits("the format of the\ncontract's section 4")).toBe(1);
    expect(hits('Choices where the contract is silent:')).toBe(1);
    expect(hits("the contract's six columns")).toBe(1);
    expect(hits('one contract of every instrument; the contract size; contracts')).toBe(0);
    expect(hits("coins at the contract's own price F; the contract's market value")).toBe(0);
  });

  it('no file cites "the contract" or its sections, but those not yet fixed', () => {
    const found = new Map<string, string[]>();
    for (const path of SCANNED) {
      const refs = oldReferences(path);
      if (refs.length > 0) found.set(path, refs);
    }
    const unexpected = [...found].filter(([path]) => !NOT_YET_FIXED.has(path));
    expect(unexpected, 'cite docs/methods.md §N instead (see its §18 for the old section numbers)').toEqual([]);
    const fixed = [...NOT_YET_FIXED].filter(path => !found.has(path));
    expect(fixed, 'these files no longer cite the old specification: remove them from NOT_YET_FIXED').toEqual([]);
  });
});
