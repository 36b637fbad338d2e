import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from './processes.js';

export const WRK = '/usr/bin/wrk';

/** wrk is a Debian package, not an npm one: say how to get it before anything starts. */
export function assertWrk(): void {
  if (!existsSync(WRK)) throw new Error(`${WRK} is missing: install it with \`apt-get install wrk\``);
}

/**
 * What wrk posts, built per request. By default the routing hook's call body, whose call ids
 * `<prefix>-<thread>-<counter>` are unique and of one width, cycling through the `to` numbers.
 * Otherwise `lua`: `prelude` runs once (locals the body may use) and `body` is a Lua expression
 * over `prefix`, `thread_id` and `counter` (this thread's requests so far, from 1).
 */
export type WrkBody = { from: string; to: string[] } | { lua: { prelude: string; body: string } };

/** A POST whose JSON body wrk builds per request, so every request is distinct. */
export type WrkLoad = WrkBody & {
  url: string;
  path: string;
  headers: Record<string, string>;
  /** Distinct for each run against the same server; all runs should use prefixes of one length. */
  callIdPrefix: string;
  durationS: number;
  connections: number;
  threads: number;
  /** A request unanswered this long counts as an error (default 5 s). */
  timeoutS?: number | undefined;
};

export interface WrkResult {
  requests: number;
  /** Requests the script generated: an upper bound on what the server may have received. */
  generated: number;
  durationS: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Socket errors, timeouts and non-2xx/3xx answers together. */
  errors: number;
  non2xx: number;
}

const luaString = (value: string) => JSON.stringify(value);

const CALL_BODY = `  local to = numbers[(counter % #numbers) + 1]
  local body = string.format('{"call_id":"%s-%d-%09d","from":"%s","to":"%s"}', prefix, thread_id, counter, from, to)`;

/** The Lua script: a per-thread counter makes each request's body distinct (`WrkBody`). */
export function wrkScript(load: WrkBody & { path: string; headers: Record<string, string>; callIdPrefix: string }): string {
  const headers = Object.entries({ 'content-type': 'application/json', ...load.headers })
    .map(([name, value]) => `[${luaString(name)}] = ${luaString(value)}`)
    .join(', ');
  return `
local path = ${luaString(load.path)}
local headers = { ${headers} }
local prefix = ${luaString(load.callIdPrefix)}
${'lua' in load ? load.lua.prelude : `local numbers = { ${load.to.map(luaString).join(', ')} }\nlocal from = ${luaString(load.from)}`}
local threads = {}
counter = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function request()
  counter = counter + 1
${'lua' in load ? `  local body = ${load.lua.body}` : CALL_BODY}
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local generated = 0
  for _, t in ipairs(threads) do generated = generated + t:get("counter") end
  local e = summary.errors
  io.write(string.format('WRK_RESULT {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"generated":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, generated))
end
`;
}

interface RawResult {
  requests: number; duration_us: number; connect: number; read: number; write: number; status: number; timeout: number;
  p50_us: number; p90_us: number; p99_us: number; max_us: number; generated: number;
}

/** Closed-loop maximum throughput: `connections` keep-alive connections, each sending as fast as answered. */
export async function runWrk(load: WrkLoad): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-wrk-'));
  try {
    const script = join(dir, 'load.lua');
    writeFileSync(script, wrkScript(load));
    const args = ['-t', String(load.threads), '-c', String(load.connections), '-d', `${load.durationS}s`, '--timeout', `${load.timeoutS ?? 5}s`, '-s', script, `${load.url}${load.path}`];
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = execFile(WRK, args, { timeout: (load.durationS + (load.timeoutS ?? 5) + 30) * 1000 }, (error, out, err) => {
        if (error) reject(new Error(`wrk failed: ${error.message}\n${err}`));
        else resolve(out);
      });
      track(child);
    });
    const line = stdout.split('\n').find((l) => l.startsWith('WRK_RESULT '));
    if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
    const raw = JSON.parse(line.slice('WRK_RESULT '.length)) as RawResult;
    const durationS = raw.duration_us / 1e6;
    return {
      requests: raw.requests,
      generated: raw.generated,
      durationS,
      rps: raw.requests / durationS,
      p50Ms: raw.p50_us / 1000,
      p90Ms: raw.p90_us / 1000,
      p99Ms: raw.p99_us / 1000,
      maxMs: raw.max_us / 1000,
      errors: raw.connect + raw.read + raw.write + raw.status + raw.timeout,
      non2xx: raw.status,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
