// E. G. Haug, The Complete Guide to Option Pricing Formulas, 2nd ed., McGraw-Hill 2007, Table 3-2,
// p. 107, "Comparison of values from the Bjerksund and Stensland (2002) and (1993) models", the
// 2002 columns: American options on futures (cost of carry b = 0, so q = r), K = 100, r = 0.10,
// futures price 90, 100, 110. 4 decimals: tolerance half a unit of the last one, 5e-5. (QuantLib's
// test-suite/americanoption.cpp tests its Bjerksund-Stensland engine, the 1993 approximation,
// against the 1993 columns of the same comparison in the 1st edition, p. 27.)
export const HAUG_TOL = 5e-5;
export const SPOTS = [90, 100, 110];
export const HAUG_CALLS: [T: number, vol: number, values: number[]][] = [
  [0.1, 0.15, [0.0205, 1.8757, 10.0000]], [0.1, 0.25, [0.3151, 3.1256, 10.3725]], [0.1, 0.35, [0.9479, 4.3746, 11.1578]],
  [0.5, 0.15, [0.8099, 4.0628, 10.7898]], [0.5, 0.25, [2.7180, 6.7661, 12.9814]], [0.5, 0.35, [4.9665, 9.4608, 15.5137]],
];
export const HAUG_PUTS: [T: number, vol: number, values: number[]][] = [
  [0.1, 0.15, [10.0000, 1.8757, 0.0408]], [0.1, 0.25, [10.2280, 3.1256, 0.4552]], [0.1, 0.35, [10.8663, 4.3746, 1.2383]],
  [0.5, 0.15, [10.5400, 4.0628, 1.0689]], [0.5, 0.25, [12.4097, 6.7661, 3.2932]], [0.5, 0.35, [14.6445, 9.4608, 5.8374]],
];
