// The module's exports: every kernel, one per file, and every layout constant of
// assembly/layout.ts as a global (the host checks them against src/layout-constants.ts when it
// instantiates the module; test/layout.test.ts checks that no constant is missing on either side).
// This file only re-exports.
export {
  KIND_SPOT, KIND_LINEAR, KIND_CALL, KIND_PUT,
  COL_KIND, COL_S, COL_K, COL_T, COL_R, COL_Q, COL_VOL, COL_CS, COL_F, COL_U, COL_STYLE, NCOLS, STYLE_EUROPEAN, STYLE_AMERICAN,
  OUT_VALUE, OUT_DELTA, OUT_GAMMA, OUT_VEGA, OUT_THETA, NGREEKS,
  STATUS_OK, STATUS_BAD_ARGUMENT, STATUS_NOT_FINITE, STATUS_ROW_ERRORS,
  PRICE_OK, PRICE_BAD_INPUT, PRICE_NON_FINITE,
  SURFACE_AXIS_MONEYNESS, SURFACE_AXIS_STRIKE, SURFACE_BAD_LOOKUP,
  RNG_UNIFORM, RNG_NORMAL, RNG_CHI_SQUARED, SEED_LIMIT,
  SHOCK_NORMAL, SHOCK_STUDENT_T,
  TAIL_VAR, TAIL_ES, TAIL_K, TAIL_M, TAIL_NOUT,
  VMATH_EXP, VMATH_LOG, VMATH_NORM_CDF, VMATH_NORM_PDF, VMATH_SCALAR,
} from './layout';
export { heapBase } from './memory';
export { revalueSimd as revalue, revalueVolRowsSimd as revalueVolRows } from './revalue-simd';
export { revalue as revalueScalar, revalueVolRows as revalueVolRowsScalar } from './revalue';
export { volMoves } from './vol-dynamics';
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
export { black76Instruments, black76Price } from './black76';
export { americanInstruments, americanPrice, bivariateNormal } from './american';
export { surfaceVols, surfaceLnMap } from './surface';
export { revalueAmerican, valueAmerican } from './american-cube';
export { basisCells } from './basis';
