// Type declarations for the parts of benchmark.js 2.1 the suite uses (the package ships none).
declare module 'benchmark' {
  namespace Benchmark {
    interface Deferred {
      resolve(): void;
      benchmark: Benchmark;
    }
    interface Stats {
      /** Mean seconds per operation. */
      mean: number;
      /** Relative margin of error, in percent. */
      rme: number;
      /** Sample standard deviation, seconds. */
      deviation: number;
      /** Per-sample mean seconds per operation. */
      sample: number[];
    }
    interface Options {
      defer?: boolean;
      /** Seconds to spend sampling (default 5). */
      maxTime?: number;
      minSamples?: number;
      /** Seconds a cycle must last at least. */
      minTime?: number;
      initCount?: number;
      async?: boolean;
      onComplete?: () => void;
    }
  }
  class Benchmark {
    constructor(name: string, fn: ((deferred: Benchmark.Deferred) => void) | (() => void), options?: Benchmark.Options);
    name: string;
    /** Operations per second. */
    hz: number;
    count: number;
    cycles: number;
    aborted: boolean;
    error?: Error;
    stats: Benchmark.Stats;
    times: { cycle: number; elapsed: number; period: number; timeStamp: number };
    on(type: string, listener: (event: unknown) => void): this;
    run(options?: { async?: boolean }): this;
    static version: string;
    static options: Benchmark.Options;
  }
  export = Benchmark;
}
