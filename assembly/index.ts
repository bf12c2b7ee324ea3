// The module's exports: every kernel, one per file, and the layout constants (so a test can
// compare them with src/layout.ts). This file only re-exports.
export {
  KIND_SPOT, KIND_LINEAR, KIND_CALL, KIND_PUT,
  COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_F, COL_U, NCOLS,
  OUT_VALUE, OUT_DELTA, OUT_GAMMA, OUT_VEGA, OUT_THETA, NGREEKS,
} from './layout';
export { heapBase } from './memory';
export { revalueSimd as revalue } from './revalue-simd';
export { revalue as revalueScalar } from './revalue';
export { aggregate } from './aggregate';
export { gridReduce } from './grid';
export { valueInstrumentsSimd as valueInstruments } from './valuation-simd';
export { valueInstruments as valueInstrumentsScalar } from './valuation';
export { normCdf, normPdf } from './normal';
export { bsmPriceLane as bsmPrice, bsmPriceScalar } from './bsm';
export { vmathMap } from './vmath-map';
export { philoxBlock, rngSample } from './rng';
export { esShocks } from './shocks';
export { esTail, esTailIndex } from './tail';
export { black76Instruments, black76Price, PRICE_OK, PRICE_BAD_INPUT, PRICE_NON_FINITE, STATUS_ROW_ERRORS } from './black76';
export { americanInstruments, americanPrice, bivariateNormal } from './american';
export { surfaceVols, surfaceLnMap } from './surface';
