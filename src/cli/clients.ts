import { SCOPES, createClientBody } from '../domains/accounts/index.js';
import { parseFlags, parseScopes, required, validate } from './args.js';
import { explainNotFound, serverUrl, shellQuote, withSession, type CommandGroup } from './context.js';

const COMMAND = 'clients create';

const help = `Usage: switchboard clients create --account <id> --name <name> --scopes <scopes|all> [--url <base-url>] [--json]

Creates an OAuth client (client credentials grant) for an account and prints its
client_id and client_secret, plus a curl command that exchanges them for an access
token. The secret is shown only once: only its hash is stored.

Options:
  --account <id>      The account the client acts for (required)
  --name <name>       What the client is, e.g. automation (required)
  --scopes <scopes>   Scopes to grant, separated by spaces or commas, or "all" (required)
  --url <base-url>    Server URL used in the printed curl (default from HOST and PORT)
  --json              Print {"client_id", "client_secret", "scopes"} as JSON only
  -h, --help          Show this help

Scopes:
${SCOPES.map((s) => `  ${s}`).join('\n')}

Example:
  switchboard clients create --account "$ACCOUNT" --name automation --scopes "directory:read directory:write"`;

const options = {
  account: { type: 'string' },
  name: { type: 'string' },
  scopes: { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const clientsCommands: CommandGroup = {
  summary: 'Manage OAuth clients',
  commands: {
    create: {
      summary: 'Create an OAuth client and print its credentials',
      help,
      async run(argv, cli) {
        const flags = parseFlags(argv, options, COMMAND);
        const accountId = required(flags.account, 'account', COMMAND);
        const input = validate(
          createClientBody,
          { name: required(flags.name, 'name', COMMAND), scopes: parseScopes(required(flags.scopes, 'scopes', COMMAND), COMMAND) },
          { name: '--name', scopes: '--scopes' },
          COMMAND,
        );
        const config = cli.config();
        const client = await explainNotFound(
          withSession(cli, ({ accounts }) => accounts.createClient(accountId, input)),
          `no account with id ${accountId}`,
        );
        if (flags.json) {
          cli.out(JSON.stringify(client, null, 2));
          return;
        }
        const tokenUrl = `${(flags.url ?? serverUrl(config)).replace(/\/+$/, '')}/oauth/token`;
        cli.out(
          [
            `client_id:     ${client.client_id}`,
            `client_secret: ${client.client_secret}`,
            `scopes:        ${client.scopes.join(' ')}`,
            '',
            'The secret is shown only once; only its hash is stored. Get an access token with:',
            '',
            `curl -s -u ${shellQuote(`${client.client_id}:${client.client_secret}`)} -d grant_type=client_credentials ${shellQuote(tokenUrl)}`,
          ].join('\n'),
        );
      },
    },
  },
};
