#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx switchboard ...` works from a checkout without a build step.
// tsx is resolved from this package, so the command also works when started from another directory.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { constants } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = import.meta.resolve('tsx');
const result = spawnSync(process.execPath, ['--import', tsx, join(root, 'src/cli/main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
if (result.error) {
  process.stderr.write(`switchboard: cannot start the CLI: ${result.error.message}\n`);
  process.exit(1);
}
// A child killed by a signal has no status: report it the way a shell would (128 + signal number).
process.exit(result.status ?? (result.signal ? 128 + (constants.signals[result.signal] ?? 0) : 1));
