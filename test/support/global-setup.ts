import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | undefined;
    /** The run's schema; isolated schemas are named after it and dropped with it. */
    runSchema: string | undefined;
  }
}

/**
 * With TEST_DATABASE_URL set, every run gets a fresh PostgreSQL schema (dropped afterwards, with
 * the isolated schemas named after it), so runs never see each other's rows and the suite needs
 * no cleanup between tests.
 */
export default async function setup(project: TestProject) {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) {
    project.provide('postgresUrl', undefined);
    project.provide('runSchema', undefined);
    return;
  }
  const schema = `sb_test_${Date.now()}_${process.pid}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  project.provide('postgresUrl', url.toString());
  project.provide('runSchema', schema);
  return async () => {
    const cleanup = new pg.Client({ connectionString: base });
    await cleanup.connect();
    const isolated = await cleanup.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE $1`, [`${schema}\\_iso\\_%`]);
    for (const { name } of [...isolated.rows, { name: schema }]) await cleanup.query(`DROP SCHEMA ${name} CASCADE`);
    await cleanup.end();
  };
}
