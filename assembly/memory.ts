// Where the host may start laying out memory: everything below is the module's static data.

/** The first byte after the module's static data (the host aligns it up before use). */
export function heapBase(): usize {
  return __heap_base;
}
