/**
 * Presets: methodology parameters as readable JSON in presets/. Grid presets (a TIMS-style equity
 * grid, a high-cap index grid, a SPAN-style 16-scenario grid, a crypto grid) are presets/*.json;
 * presets of the other methods live in a folder named after the method: presets/es/*.json
 * (an ES block, e.g. a STANS-like setup) and presets/fhs/*.json (an FHS block, e.g. a PRISMA-like
 * setup). Users read and copy them.
 *
 * A preset is market-independent. What belongs to a market stays the market's: an ES preset
 * without `correlations` takes those of the market's `risk.es` (when it has one), and an FHS
 * preset without `stressedPeriod` takes the market's `risk.fhs.stressedPeriod` (when given).
 *
 * Every preset file carries a `version` id, `YYYY-MM-N` (docs/methods.md §12.1): a preset whose
 * numbers change gets a new version. The spec a loader returns says where it came from:
 * `spec.preset = { name, version }` (absent on a block from a market or a `--grid` file).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { InputError } from './errors.js';
import { validateGrid } from './market/grid-spec.js';
import { validateEs } from './market/es-spec.js';
import { validateFhs } from './market/fhs-spec.js';
import { isPresetVersion, PRESET_VERSION_TEXT } from './market/preset-id.js';
import type { EsSpec, FhsSpec, GridSpec, PresetId, ResolvedMarket } from './market/types.js';
import { isObject, expected, type JsonObject } from './market/validate.js';
import { packageFile } from './paths.js';
import { checkMarket, checkMethod } from './options.js';

export type PresetMethod = 'grid' | 'es' | 'fhs';

function presetDir(method: PresetMethod): string[] {
  return method === 'grid' ? ['presets'] : ['presets', method];
}

/** Names of the shipped grid presets (file names without .json). */
export function presetNames(): string[] {
  return methodPresetNames('grid');
}

/** Names of the shipped presets of a method (grid: presets/*.json; es, fhs: presets/<method>/*.json). */
export function methodPresetNames(method: PresetMethod): string[] {
  checkMethod(method, 'methodPresetNames');
  const dir = packageFile(...presetDir(method));
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/** A preset file as it is, checked to be an object with its version id. */
function presetFile(name: string, method: PresetMethod): JsonObject & { version: string } {
  const names = methodPresetNames(method);
  if (!names.includes(name)) {
    throw new InputError(`--preset: unknown ${method} preset ${JSON.stringify(name)}; expected one of ${names.join(', ') || 'none'}`,
      { path: 'preset' });
  }
  const json: unknown = JSON.parse(readFileSync(packageFile(...presetDir(method), `${name}.json`), 'utf8'));
  const source = presetSource(name, method);
  if (!isObject(json)) return expected(source, '', `a JSON object (a ${method} block)`, json);
  if (!isPresetVersion(json.version)) expected(source, 'version', PRESET_VERSION_TEXT, json.version);
  return json as JsonObject & { version: string };
}

/**
 * The JSON block of a preset of `method` (default grid), without its `version`: a block built
 * from it (a calibrated grid) is no longer the preset.
 */
export function presetJson(name: string, method: PresetMethod = 'grid'): unknown {
  const block: JsonObject = { ...presetFile(name, method) };
  delete block.version;
  return block;
}

/** The version id of a preset of `method` (default grid), `YYYY-MM-N` (docs/methods.md §12.1). */
export function presetVersion(name: string, method: PresetMethod = 'grid'): string {
  return presetFile(name, method).version;
}

function presetId(name: string, json: { version: string }): PresetId {
  return { name, version: json.version };
}

function presetSource(name: string, method: PresetMethod): string {
  return [...presetDir(method), `${name}.json`].join('/');
}

/** A preset validated as a grid block (against `market` when given: its underlyings and groups). */
export function loadPreset(name: string, market?: ResolvedMarket): GridSpec {
  if (market !== undefined) checkMarket(market, 'loadPreset');
  const json = presetFile(name, 'grid');
  const spec = validateGrid(json, presetSource(name, 'grid'), 'grid', market);
  spec.preset = presetId(name, json);
  return spec;
}

/** An ES preset, with the market's correlations when the preset has none. */
export function loadEsPreset(name: string, market?: ResolvedMarket): EsSpec {
  if (market !== undefined) checkMarket(market, 'loadEsPreset');
  const json = presetFile(name, 'es');
  const spec = validateEs(json, presetSource(name, 'es'), '', market);
  if (market?.risk.es && !('correlations' in json)) spec.correlations = market.risk.es.correlations;
  spec.preset = presetId(name, json);
  return spec;
}

/** An FHS preset, with the market's stressed period when the preset has none. */
export function loadFhsPreset(name: string, market?: ResolvedMarket): FhsSpec {
  if (market !== undefined) checkMarket(market, 'loadFhsPreset');
  const json = presetFile(name, 'fhs');
  const spec = validateFhs(json, presetSource(name, 'fhs'), '');
  const sp = market?.risk.fhs?.stressedPeriod;
  if (sp && !('stressedPeriod' in json)) spec.stressedPeriod = sp;
  spec.preset = presetId(name, json);
  return spec;
}

/** A preset of any method, validated (and merged with the market as described above). */
export function loadMethodPreset(method: PresetMethod, name: string, market?: ResolvedMarket): GridSpec | EsSpec | FhsSpec {
  return method === 'grid' ? loadPreset(name, market) : method === 'es' ? loadEsPreset(name, market) : loadFhsPreset(name, market);
}
