import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Runs `src/main.ts` as `npm start` does, with `env`, until it exits. */
function start(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-start-'));
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, LOG_LEVEL: 'silent', SWITCHBOARD_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('a server that cannot start', () => {
  it('says why in its first lines and what to do, and exits 1', () => {
    // Nothing listens on port 1: the database cannot be reached.
    const run = start({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' });
    expect(run.status).toBe(1);
    const [first, second] = run.stderr.split('\n');
    expect(first).toBe('switchboard failed to start: connect ECONNREFUSED 127.0.0.1:1');
    expect(second).toMatch(/^The database cannot be reached: check DATABASE_URL/);
  }, 70_000);
});
