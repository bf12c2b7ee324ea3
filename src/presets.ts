/**
 * Grid presets: methodology parameters as readable JSON in presets/ (a TIMS-style equity grid,
 * a high-cap index grid, a SPAN-style 16-scenario grid, a crypto grid). Users read and copy them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { InputError } from './errors.js';
import { validateGrid } from './market/grid-spec.js';
import type { GridSpec, ResolvedMarket } from './market/types.js';
import { packageFile } from './paths.js';

/** Names of the shipped presets (file names without .json). */
export function presetNames(): string[] {
  return readdirSync(packageFile('presets')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/** The raw JSON grid block of a preset. */
export function presetJson(name: string): unknown {
  const names = presetNames();
  if (!names.includes(name)) {
    throw new InputError(`--preset: unknown preset ${JSON.stringify(name)}; expected one of ${names.join(', ')}`, { path: 'preset' });
  }
  return JSON.parse(readFileSync(packageFile('presets', `${name}.json`), 'utf8'));
}

/** A preset validated as a grid block (against `market` when given: its underlyings and groups). */
export function loadPreset(name: string, market?: ResolvedMarket): GridSpec {
  return validateGrid(presetJson(name), `presets/${name}.json`, 'grid', market);
}
