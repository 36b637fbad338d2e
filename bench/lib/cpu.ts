import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU accounting from /proc, to tell whether other work on the machine (a test run, a build)
 * competed with a measurement. Linux only; elsewhere every figure is reported as unknown.
 */
const HZ = 100; // USER_HZ: the unit of /proc/<pid>/stat and /proc/stat on every Linux we run on

export interface CpuSnapshot {
  at: number;
  /** Busy jiffies of the whole machine. */
  busy: number;
  /** Jiffies of the processes counted as part of the benchmark. */
  ours: number;
  /** Jiffies of each watched server process. */
  servers: Map<number, number>;
}

export interface CpuUsage {
  /** Average cores busy on the machine, used by the benchmark, and by anything else. */
  total: number;
  ours: number;
  others: number;
  /** Average cores used by each watched server process. */
  servers: Map<number, number>;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** utime + stime (+ cutime + cstime: children already reaped, such as finished wrk runs). */
function processJiffies(pid: number | 'self', withChildren: boolean): number {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const at = (i: number) => Number(fields[i - 3] ?? 0); // fields are numbered from 1, pid and comm removed
  return at(14) + at(15) + (withChildren ? at(16) + at(17) : 0);
}

function postgresJiffies(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (read(`/proc/${entry}/comm`)?.trim() === 'postgres') total += processJiffies(Number(entry), false);
  }
  return total;
}

export const cpuAccountingAvailable = read('/proc/stat') !== undefined;

/**
 * Ours: this process and its reaped children (wrk), the watched servers, and PostgreSQL's
 * processes when `withPostgres` (the database is part of what is measured).
 */
export function cpuSnapshot(servers: number[], withPostgres: boolean): CpuSnapshot {
  const line = read('/proc/stat')?.split('\n')[0] ?? '';
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.split(/\s+/).slice(1).map(Number);
  const perServer = new Map(servers.map((pid) => [pid, processJiffies(pid, true)]));
  const ours = processJiffies('self', true) + [...perServer.values()].reduce((a, b) => a + b, 0) + (withPostgres ? postgresJiffies() : 0);
  return { at: performance.now(), busy: user + nice + system + irq + softirq + steal, ours, servers: perServer };
}

export function cpuUsage(before: CpuSnapshot, after: CpuSnapshot): CpuUsage {
  const seconds = (after.at - before.at) / 1000;
  const cores = (jiffies: number) => Math.max(0, jiffies / HZ / seconds);
  const total = cores(after.busy - before.busy);
  const ours = cores(after.ours - before.ours);
  const servers = new Map([...after.servers].map(([pid, j]) => [pid, cores(j - (before.servers.get(pid) ?? 0))]));
  return { total, ours, others: Math.max(0, total - ours), servers };
}

/** Waits (at most `maxWaitMs`) for a second in which other processes use under `threshold` cores. */
export async function waitForQuiet(threshold: number, maxWaitMs: number, withPostgres: boolean): Promise<{ quiet: boolean; others: number; waitedMs: number }> {
  const started = performance.now();
  let others = 0;
  for (;;) {
    const before = cpuSnapshot([], withPostgres);
    await new Promise((r) => setTimeout(r, 1000));
    others = cpuUsage(before, cpuSnapshot([], withPostgres)).others;
    const waitedMs = performance.now() - started;
    if (others < threshold) return { quiet: true, others, waitedMs };
    if (waitedMs >= maxWaitMs) return { quiet: false, others, waitedMs };
  }
}
