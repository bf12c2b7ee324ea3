/**
 * The demo data's generator: the shared mulberry32 (src/math/random.ts) with the demo's seeding,
 * the seed folded to 32 bits and mixed with 0x9e3779b9, so that the demo book stays the same bytes.
 */
import { Mulberry32 } from '../math/random.js';

export class DemoRandom extends Mulberry32 {
  constructor(seed: number) {
    // Any finite number is a valid seed; fold it to 32 bits.
    super((Math.trunc(seed) ^ 0x9e3779b9) >>> 0);
  }
}
