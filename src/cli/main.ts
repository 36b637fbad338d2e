// Validation messages in the API's own words, set before any schema parses.
import '../kernel/zod-messages.js';
import { runCli } from './cli.js';

// The `switchboard` command (bin/switchboard.js, `npm run switchboard -- <command>`).
const status = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
process.exitCode = status;
