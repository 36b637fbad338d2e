import { parseFlags } from './args.js';
import { DatabaseUnavailable, openDatabase, redactUrl, type CommandGroup } from './context.js';

const help = `Usage: switchboard migrate

Applies every pending database migration to DATABASE_URL and prints what ran.
Safe to run while servers are using the database, and safe to repeat: the server
also migrates at start-up, so this is only needed to prepare a database ahead of time.

Environment: DATABASE_URL (default sqlite:./data/switchboard.db)`;

export const migrateCommands: CommandGroup = {
  summary: 'Apply pending database migrations',
  commands: {
    migrate: {
      summary: 'Apply pending database migrations',
      help,
      async run(argv, cli) {
        parseFlags(argv, {}, 'migrate');
        const { DATABASE_URL: url } = cli.config();
        const storage = await openDatabase(url, false);
        try {
          const { migrateStorage } = await import('../adapters/storage/storage.js');
          const applied = await migrateStorage(storage).catch((error: unknown) => {
            throw new DatabaseUnavailable(url, error);
          });
          if (applied.length === 0) {
            cli.out(`${redactUrl(url)} is up to date: no migrations to run`);
            return;
          }
          cli.out(`Applied ${applied.length} migration${applied.length === 1 ? '' : 's'} to ${redactUrl(url)}:`);
          for (const name of applied) cli.out(`  ${name}`);
        } finally {
          await storage.close();
        }
      },
    },
  },
};
