import { availableParallelism, cpus, totalmem } from 'node:os';
import type { CpuUsage } from './cpu.js';
import type { Measurement } from './measure.js';

export function machineSummary(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `machine: ${availableParallelism()} cores (${model}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${process.platform}`;
}

export interface Row extends Measurement {
  logged?: { count: number; answered: number; sent: number } | undefined;
}

export interface Targets {
  /** Least throughput, as a fraction of the ceiling's. */
  throughput: number;
  /** Most p99 latency at half of the maximum rate, in milliseconds. */
  p99Ms: number;
}

const ms = (value: number) => value.toFixed(2);
const int = (value: number) => Math.round(value).toLocaleString('en-US');
const cores = (usage: CpuUsage | undefined, pid: number) =>
  usage ? `server ${(usage.servers.get(pid) ?? 0).toFixed(2)}, benchmark in all ${usage.ours.toFixed(2)}, other processes ${usage.others.toFixed(2)}` : '–';

/** Prints the figures as a Markdown table (pasteable into docs/benchmarks.md) and a verdict on each target. */
export function printTable(rows: Row[], targets: Targets, notes: string[] = []): void {
  const ceiling = rows.find((r) => r.name === 'ceiling');
  const lines = [
    '| target | max req/s | p50 ms | p99 ms | × ceiling | fixed rate req/s | p50 ms | p99 ms | ceiling at that rate: p50 / p99 ms | requests logged |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const ratio = ceiling ? (row.max.rps / ceiling.max.rps).toFixed(2) : '–';
    const half = row.half;
    const fixed = half ? `${int(half.result.achievedRate)} | ${ms(half.result.p50Ms)} | ${ms(half.result.p99Ms)}` : '– | – | –';
    const floor = half?.ceiling ? `${ms(half.ceiling.result.p50Ms)} / ${ms(half.ceiling.result.p99Ms)}` : '–';
    const logged = row.logged ? `${int(row.logged.count)} (answered ${int(row.logged.answered)}, sent ${int(row.logged.sent)})` : '–';
    lines.push(`| ${row.name} | ${int(row.max.rps)} | ${ms(row.max.p50Ms)} | ${ms(row.max.p99Ms)} | ${ratio} | ${fixed} | ${floor} | ${logged} |`);
  }

  const verdicts: string[] = [];
  for (const row of rows) {
    if (row.name === 'ceiling') continue;
    if (ceiling) {
      const ratio = row.max.rps / ceiling.max.rps;
      const met = ratio >= targets.throughput;
      verdicts.push(`${row.name}: throughput ${ratio.toFixed(2)}× the ceiling (target ≥ ${targets.throughput}×): ${met ? 'MET' : 'MISSED'}`);
    } else {
      verdicts.push(`${row.name}: throughput target not judged (the ceiling was not measured)`);
    }
    if (row.half) {
      const met = row.half.result.p99Ms < targets.p99Ms;
      const floor = row.half.ceiling ? `; the ceiling's p99 at that rate: ${ms(row.half.ceiling.result.p99Ms)} ms` : '';
      verdicts.push(`${row.name}: p99 ${ms(row.half.result.p99Ms)} ms at ${int(row.half.rate)} req/s (target < ${targets.p99Ms} ms): ${met ? 'MET' : 'MISSED'}${floor}`);
    }
  }
  const cpuLines = rows.map(
    (row) =>
      `${row.name}: cores used at max: ${cores(row.cpu.max, row.cpu.serverPid)}; at the fixed rate: ${cores(row.cpu.half, row.cpu.serverPid)}` +
      (row.busy ? ' — OTHER PROCESSES COMPETED FOR THE CPU: these figures are pessimistic' : ''),
  );
  const perRequest = (usage: CpuUsage | undefined, pid: number, rate: number) => `${int(((usage?.servers.get(pid) ?? 0) * 1e6) / rate)} µs`;
  const cpuPerRequest = rows.map((row) => {
    const atMax = `${row.name}: server CPU per request at max ${perRequest(row.cpu.max, row.cpu.serverPid, row.max.rps)}`;
    if (!row.half) return atMax;
    const atHalf = `at the fixed rate ${perRequest(row.cpu.half, row.cpu.serverPid, row.half.result.achievedRate)}`;
    const floor = row.half.ceiling ? ` (the ceiling at that rate: ${perRequest(row.half.ceiling.cpu, row.half.ceiling.serverPid, row.half.ceiling.result.achievedRate)})` : '';
    return `${atMax}, ${atHalf}${floor}`;
  });
  const lag = rows.flatMap((row) =>
    row.half
      ? [
          `${row.name}: worst lateness of the client's timer ${ms(row.half.result.clientLagMs)} ms; p99 without it ${ms(row.half.result.p99FromFiringMs)} ms` +
            (row.half.ceiling ? ` (ceiling ${ms(row.half.ceiling.result.p99FromFiringMs)} ms)` : ''),
        ]
      : [],
  );
  process.stdout.write(
    `\n${lines.join('\n')}\n\n` +
      "max: wrk, closed loop, latency of each answered request. fixed rate: open loop at half the max, latency from each request's scheduled send time.\n" +
      'requests logged: calls GET /calls gained during the run (wrk stops with a few requests written but unanswered).\n\n' +
      `${cpuLines.join('\n')}\n${cpuPerRequest.join('\n')}\n` +
      (lag.length > 0 ? `${lag.join('\n')}\n` : '') +
      `\n${[...verdicts, ...notes].join('\n')}\n`,
  );
}
