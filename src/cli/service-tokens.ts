import { createServiceTokenBody } from '../domains/accounts/index.js';
import { parseFlags, parseScopes, required, validate } from './args.js';
import { explainNotFound, withSession, type CommandGroup } from './context.js';

const CREATE = 'service-tokens create';
const REVOKE = 'service-tokens revoke';

const createHelp = `Usage: switchboard service-tokens create --account <id> --name <name> --scopes <scopes|all> [--expires-at <iso>] [--json]

Creates a long-lived bearer token for a service user (a system such as a web form that
cannot run an OAuth flow) and prints it. The token is shown only once: only its hash is
stored. Revoke it with "switchboard service-tokens revoke".

Options:
  --account <id>       The account the token acts for (required)
  --name <name>        What uses the token, e.g. web-form (required)
  --scopes <scopes>    Scopes to grant, separated by spaces or commas, or "all" (required)
  --expires-at <iso>   Expiry as an ISO-8601 timestamp with offset (default: never)
  --json               Print {"id", "token", "name", "scopes", "expires_at"} as JSON only
  -h, --help           Show this help

Example:
  switchboard service-tokens create --account "$ACCOUNT" --name web-form --scopes callback:write`;

const revokeHelp = `Usage: switchboard service-tokens revoke --account <id> --id <token-id>

Revokes a service token; every server rejects it from the next request on.

Options:
  --account <id>   The account that owns the token (required)
  --id <token-id>  The token's id, as printed by "service-tokens create" (required)
  -h, --help       Show this help`;

const createOptions = {
  account: { type: 'string' },
  name: { type: 'string' },
  scopes: { type: 'string' },
  'expires-at': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const revokeOptions = { account: { type: 'string' }, id: { type: 'string' } } as const;

export const serviceTokensCommands: CommandGroup = {
  summary: 'Manage long-lived service-user tokens',
  commands: {
    create: {
      summary: 'Create a service token and print it',
      help: createHelp,
      async run(argv, cli) {
        const flags = parseFlags(argv, createOptions, CREATE);
        const accountId = required(flags.account, 'account', CREATE);
        const input = validate(
          createServiceTokenBody,
          {
            name: required(flags.name, 'name', CREATE),
            scopes: parseScopes(required(flags.scopes, 'scopes', CREATE), CREATE),
            expires_at: flags['expires-at'] ?? null,
          },
          { name: '--name', scopes: '--scopes', expires_at: '--expires-at' },
          CREATE,
        );
        const created = await explainNotFound(
          withSession(cli, ({ accounts }) => accounts.createServiceToken(accountId, input)),
          `no account with id ${accountId}`,
        );
        if (flags.json) {
          cli.out(JSON.stringify(created, null, 2));
          return;
        }
        cli.out(
          [
            `id:         ${created.id}`,
            `token:      ${created.token}`,
            `scopes:     ${created.scopes.join(' ')}`,
            `expires_at: ${created.expires_at ?? 'never'}`,
            '',
            'The token is shown only once; only its hash is stored. Send it on every request as:',
            '',
            `Authorization: Bearer ${created.token}`,
          ].join('\n'),
        );
      },
    },
    revoke: {
      summary: 'Revoke a service token',
      help: revokeHelp,
      async run(argv, cli) {
        const flags = parseFlags(argv, revokeOptions, REVOKE);
        const accountId = required(flags.account, 'account', REVOKE);
        const tokenId = required(flags.id, 'id', REVOKE);
        await explainNotFound(
          withSession(cli, ({ accounts }) => accounts.revokeServiceToken(accountId, tokenId)),
          `no active service token ${tokenId} in account ${accountId}`,
        );
        cli.out(`Revoked service token ${tokenId}`);
      },
    },
  },
};
