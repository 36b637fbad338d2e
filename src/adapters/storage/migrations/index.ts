import { type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { DialectName } from '../../../ports/storage.js';
import type { AnyDb } from './common.js';
import { initial } from './0001_initial.js';
import { callbacks } from './0002_callbacks.js';
import { callbackAgents } from './0003_callback_agents.js';
import { flows } from './0004_flows.js';
import { rateLimits } from './0005_rate_limits.js';
import { interactions } from './0006_interactions.js';
import { cases } from './0007_cases.js';
import { caseSearch } from './0008_case_search.js';
import { casesCore } from './0009_cases_core.js';
import { messaging } from './0010_messaging.js';
import { webhooks } from './0011_webhooks.js';
import { messageReceipts } from './0012_message_receipts.js';
import { jobsByType } from './0013_jobs_by_type.js';
import { rateLimitsUnlogged } from './0014_rate_limits_unlogged.js';
import { deliveryAddresses } from './0015_delivery_addresses.js';
import { caseSearchBound } from './0016_case_search_bound.js';

/** Every migration, by name; a released migration is never edited, only followed by a new one. */
export function migrationsFor(dialect: DialectName): Record<string, Migration> {
  return {
    '0001_initial': initial(dialect),
    '0002_callbacks': callbacks(dialect),
    '0003_callback_agents': callbackAgents(),
    '0004_flows': flows(dialect),
    '0005_rate_limits': rateLimits(dialect),
    '0006_interactions': interactions(dialect),
    '0007_cases': cases(dialect),
    '0008_case_search': caseSearch(dialect),
    '0009_cases_core': casesCore(),
    '0010_messaging': messaging(dialect),
    '0011_webhooks': webhooks(dialect),
    '0012_message_receipts': messageReceipts(dialect),
    '0013_jobs_by_type': jobsByType(),
    '0014_rate_limits_unlogged': rateLimitsUnlogged(dialect),
    '0015_delivery_addresses': deliveryAddresses(),
    '0016_case_search_bound': caseSearchBound(dialect),
  };
}

export async function migrate(db: AnyDb, dialect: DialectName): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrationsFor(dialect)) };
  // Kysely looks for its bookkeeping tables in every schema unless told which one: name ours, so a
  // database holding several Switchboard schemas (search_path per deployment or test run) works.
  const schema = dialect === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
