import { createAccountBody } from '../domains/accounts/index.js';
import { parseFlags, required, validate } from './args.js';
import { withSession, type CommandGroup } from './context.js';

const COMMAND = 'accounts create';

const help = `Usage: switchboard accounts create --name <name> [--timezone <iana-zone>] [--default-country <cc>]

Creates an account (tenant) and prints it as JSON.

Options:
  --name <name>             The account's display name (required)
  --timezone <zone>         IANA time zone, e.g. Europe/Lisbon (default UTC)
  --default-country <cc>    ISO 3166-1 alpha-2 country used to read numbers written
                            without "+", e.g. PT (default US)
  -h, --help                Show this help

Example:
  ACCOUNT=$(npx switchboard accounts create --name Acme --timezone Europe/Lisbon --default-country PT | jq -r .id)

Next: switchboard clients create --account <id> --name automation --scopes all`;

const options = {
  name: { type: 'string' },
  timezone: { type: 'string' },
  'default-country': { type: 'string' },
} as const;

const flagNames = { name: '--name', timezone: '--timezone', default_country: '--default-country' };

export const accountsCommands: CommandGroup = {
  summary: 'Manage accounts (tenants)',
  commands: {
    create: {
      summary: 'Create an account and print it as JSON',
      help,
      async run(argv, cli) {
        const flags = parseFlags(argv, options, COMMAND);
        const input = validate(
          createAccountBody,
          { name: required(flags.name, 'name', COMMAND), timezone: flags.timezone, default_country: flags['default-country']?.toUpperCase() },
          flagNames,
          COMMAND,
        );
        const account = await withSession(cli, ({ accounts }) => accounts.createAccount(input));
        cli.out(JSON.stringify(account, null, 2));
        cli.err(`Next: switchboard clients create --account ${account.id} --name automation --scopes all`);
      },
    },
  },
};
