import pg from 'pg';
import { inject } from 'vitest';
import { newSecret } from '../../src/kernel/ids.js';

/**
 * A PostgreSQL schema of the caller's own, for tests whose workers run every job type: on the
 * run's shared schema they would also pick up (and be raced for) other test files' jobs. It is
 * named after the run and dropped with the run's other schemas when the run ends: dropping one
 * while other files migrate races their catalog reads (Kysely's migrator introspects every
 * schema, and a table vanishing mid-query fails it).
 */
export class IsolatedSchema {
  private constructor(readonly url: string, private readonly base: string, private readonly schema: string) {}

  static async create(): Promise<IsolatedSchema> {
    const base = new URL(inject('postgresUrl') ?? '');
    base.searchParams.delete('options');
    const schema = `${inject('runSchema') ?? 'sb'}_iso_${newSecret(6).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`;
    const url = new URL(base.toString());
    url.searchParams.set('options', `-c search_path=${schema}`);
    const isolated = new IsolatedSchema(url.toString(), base.toString(), schema);
    await isolated.run(`CREATE SCHEMA ${schema}`);
    return isolated;
  }


  private async run(statement: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.base });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  }
}
