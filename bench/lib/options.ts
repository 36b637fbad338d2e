import type { Settings } from './measure.js';

/** The benchmark's targets named on the command line (all when none is named). */
export function wantedTargets<T extends string>(args: string[], names: readonly T[]): Set<T> {
  const unknown = args.filter((a) => !(names as readonly string[]).includes(a));
  if (unknown.length > 0) throw new Error(`unknown target ${unknown.join(', ')}: choose among ${names.join(', ')} (default all)`);
  return new Set<T>(args.length > 0 ? (args as T[]) : names);
}

/** wrk's load settings, from BENCH_DURATION_S and BENCH_CONNECTIONS. */
export function loadSettings(): Settings {
  return {
    durationS: Number(process.env.BENCH_DURATION_S ?? '10'),
    warmupS: 3,
    connections: Number(process.env.BENCH_CONNECTIONS ?? '50'),
    threads: 1,
  };
}
