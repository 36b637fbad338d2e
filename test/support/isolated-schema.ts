import pg from 'pg';
import { inject } from 'vitest';
import { newSecret } from '../../src/kernel/ids.js';

/**
 * A PostgreSQL schema of the caller's own, for tests whose workers run every job type: on the
 * run's shared schema they would also pick up (and be raced for) other test files' jobs.
 */
export class IsolatedSchema {
  private constructor(readonly url: string, private readonly base: string, private readonly schema: string) {}

  static async create(): Promise<IsolatedSchema> {
    const base = new URL(inject('postgresUrl') ?? '');
    base.searchParams.delete('options');
    const schema = `sb_iso_${newSecret(6).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`;
    const url = new URL(base.toString());
    url.searchParams.set('options', `-c search_path=${schema}`);
    const isolated = new IsolatedSchema(url.toString(), base.toString(), schema);
    await isolated.run(`CREATE SCHEMA ${schema}`);
    return isolated;
  }

  drop(): Promise<void> {
    return this.run(`DROP SCHEMA ${this.schema} CASCADE`);
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
