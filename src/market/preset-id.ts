/**
 * Version ids of presets (docs/methods.md §12.1): `YYYY-MM-N`, the year and month the preset's
 * numbers were set and N (1, 2, ...) the how-many-th version of that month. A preset file must
 * carry one (src/presets.ts); a method block copied from a preset into a market or a `--grid` file
 * may keep it, checked for its form and otherwise ignored (the block is then the market's).
 */
import type { PresetId } from './types.js';
import { expected, fieldPath, isObject, own, type JsonObject } from './validate.js';

/** The form of a preset version id, as in schema/market.schema.json's `presetVersion`. */
export const PRESET_VERSION_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])-[1-9][0-9]*$';
const PRESET_VERSION = new RegExp(PRESET_VERSION_PATTERN);

export const PRESET_VERSION_TEXT = 'a preset version id YYYY-MM-N such as "2026-12-1"';

/** Whether `v` is a preset version id. */
export function isPresetVersion(v: unknown): v is string {
  return typeof v === 'string' && PRESET_VERSION.test(v);
}

/** Checks a block's optional `version` field; returns it (undefined when absent). */
export function optVersion(source: string, path: string, block: JsonObject): string | undefined {
  const v = own(block, 'version');
  if (v !== undefined && !isPresetVersion(v)) expected(source, fieldPath(path, 'version'), PRESET_VERSION_TEXT, v);
  return v as string | undefined;
}

/**
 * A block given to a validator again (src/options.ts: a preset's spec passed to a model): its
 * `preset` id, checked, is kept on the validated spec; the rest is validated as a block.
 */
export function keepPreset<T extends { preset?: PresetId }>(v: unknown, source: string, path: string, validate: (block: unknown) => T): T {
  if (!isObject(v) || own(v, 'preset') === undefined) return validate(v);
  const block: JsonObject = { ...v };
  const p = block.preset;
  delete block.preset;
  if (!isObject(p) || typeof p.name !== 'string' || p.name === '' || !isPresetVersion(p.version)) {
    expected(source, fieldPath(path, 'preset'), `the preset a spec came from, { name, version } with ${PRESET_VERSION_TEXT}`, p);
  }
  const spec = validate(block);
  spec.preset = { name: p.name, version: p.version };
  return spec;
}
