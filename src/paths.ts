/** Files shipped with the package (build/, presets/, examples/), found from src/ or dist/src/. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The package root: the nearest folder above this file holding package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'presets'))) return (root = dir);
    dir = dirname(dir);
  }
  throw new Error('margin-engine: package root not found (package.json beside presets/)');
}

export function packageFile(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
