import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { DomainError } from '../kernel/errors.js';
import { UsageError } from './args.js';
import { accountsCommands } from './accounts.js';
import { clientsCommands } from './clients.js';
import { describeError, type Cli, type CommandGroup } from './context.js';
import { flowsCommands, SimulationFailed } from './flows.js';
import { migrateCommands } from './migrate.js';
import { serviceTokensCommands } from './service-tokens.js';

const groups: Record<string, CommandGroup> = {
  migrate: migrateCommands,
  accounts: accountsCommands,
  clients: clientsCommands,
  'service-tokens': serviceTokensCommands,
  flows: flowsCommands,
};

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

function commandList(): string {
  const rows = Object.entries(groups).flatMap(([group, { commands }]) =>
    Object.entries(commands).map(([name, command]) => [name === group ? group : `${group} ${name}`, command.summary] as const),
  );
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  return rows.map(([name, summary]) => `  ${name.padEnd(width)}${summary}`).join('\n');
}

function topHelp(): string {
  return `Usage: switchboard <command> [options]

Administers a Switchboard database directly, without the HTTP server: the same
configuration (environment variables such as DATABASE_URL) and the same domain rules.
"flows simulate" needs no database at all.

Commands:
${commandList()}

Run "switchboard <command> --help" for a command's options.
Exit status: 0 on success, 1 when the command failed, 2 for usage or configuration errors.`;
}

function groupHelp(name: string, group: CommandGroup): string {
  const rows = Object.entries(group.commands).map(([command, { summary }]) => `  ${command.padEnd(10)}${summary}`);
  return `Usage: switchboard ${name} <command> [options]\n\n${group.summary}.\n\nCommands:\n${rows.join('\n')}\n\nRun "switchboard ${name} <command> --help" for a command's options.`;
}

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h' || arg === 'help';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Runs one command line and returns the exit status; never exits the process itself. */
export async function runCli(argv: string[], io: CliIo, env: Record<string, string | undefined> = process.env): Promise<number> {
  let config: Config | undefined;
  const cli: Cli = {
    out: (text) => io.stdout(`${text}\n`),
    err: (text) => io.stderr(`${text}\n`),
    config: () => (config ??= loadConfig(env)),
  };
  try {
    await dispatch(argv, cli);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      cli.err(`error: ${error.message}`);
      cli.err(`Run "switchboard ${error.command ? `${error.command} ` : ''}--help" for usage.`);
      return EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      cli.err(error.message);
      return EXIT_USAGE;
    }
    if (error instanceof SimulationFailed) return EXIT_FAILURE;
    if (error instanceof DomainError && error.code === 'validation_failed') {
      cli.err(`error: ${error.message}`);
      return EXIT_USAGE;
    }
    cli.err(`error: ${describeError(error)}`);
    return EXIT_FAILURE;
  }
}

async function dispatch(argv: string[], cli: Cli): Promise<void> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    cli.err(topHelp());
    throw new UsageError('no command given');
  }
  if (first === 'help' && rest[0] !== undefined) return dispatch([...rest, '--help'], cli);
  if (isHelp(first)) {
    cli.out(topHelp());
    return;
  }
  const group = groups[first];
  if (!group) throw new UsageError(`unknown command "${first}"`);

  const single = group.commands[first];
  if (single) return run(single, rest, cli);

  const [name, ...args] = rest;
  if (name === undefined || isHelp(name)) {
    if (name === undefined) {
      cli.err(groupHelp(first, group));
      throw new UsageError(`"switchboard ${first}" needs a command`, first);
    }
    cli.out(groupHelp(first, group));
    return;
  }
  const command = group.commands[name];
  if (!command) throw new UsageError(`unknown command "${first} ${name}"`, first);
  return run(command, args, cli);
}

/** `--help` anywhere among a command's options prints its help instead of running it. */
async function run(command: CommandGroup['commands'][string], args: string[], cli: Cli): Promise<void> {
  if (args.some((arg) => arg === '--help' || arg === '-h')) {
    cli.out(command.help);
    return;
  }
  await command.run(args, cli);
}
