import pg from 'pg';
import { onInterrupt } from './processes.js';

export class SchemaUnavailable extends Error {}

export const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

/**
 * Runs `body` against a fresh schema `<prefix>_<time>_<pid>` of the PostgreSQL database at `base`
 * (its URL sets `search_path`), dropped afterwards, also when the bench is interrupted.
 * `beforeDrop` stops whatever in this process still uses the schema, so the drop never waits on it.
 */
export async function withSchema<T>(base: string, prefix: string, body: (url: string) => Promise<T>, beforeDrop?: () => Promise<void>): Promise<T> {
  const schema = `${prefix}_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: base, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new SchemaUnavailable(`${redact(base)} is unreachable (${error instanceof Error ? error.message : String(error)}); set BENCH_DATABASE_URL`);
  }
  const drop = async () => {
    await beforeDrop?.().catch(() => undefined);
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin.end().catch(() => undefined);
  };
  const forget = onInterrupt(drop);
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    const url = new URL(base);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return await body(url.toString());
  } finally {
    forget();
    await drop();
  }
}
