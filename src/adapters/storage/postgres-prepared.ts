import type pg from 'pg';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';

/**
 * Distinct statements given a name, for the whole process. Each connection keeps the ones it ran
 * parsed and planned, so the number stays well below what a connection can hold comfortably.
 */
const MAX_NAMED = 500;
/**
 * PostgreSQL's answer when a prepared `select *` would return other columns than when it was
 * prepared (another node's migration changed the table): the connection is retired, and its
 * replacement prepares the statement afresh.
 */
const RESULT_TYPE_CHANGED = '0A000';
/** Statements with more parameters (multi-row inserts, long `in` lists) vary in shape with their data: left unnamed. */
const MAX_PARAMETERS = 64;
/**
 * A query that reads a page or a count (`order by`, `limit`) is planned for its values every time:
 * its best plan depends on how many rows its filters match (a rare word or a common one, a quiet
 * agent or a busy one), which a plan made once for any values cannot know. Writes, and reads by
 * key, plan the same whatever their values, and are prepared.
 */
const PLANNED_FOR_ITS_VALUES = /^\s*select\b[\s\S]*\b(order by|limit)\b/i;

/** Each statement's name, or null for one planned for its values every time. */
const names = new Map<string, string | null>();

function nameOf(text: string, parameters: number): string | undefined {
  if (parameters === 0 || parameters > MAX_PARAMETERS) return undefined;
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) {
    name = PLANNED_FOR_ITS_VALUES.test(text) ? null : `sb${names.size + 1}`;
    names.set(text, name);
  }
  return name ?? undefined;
}

/**
 * The pool Kysely is given: its clients run each parameterised statement as a named prepared
 * statement, so PostgreSQL parses and plans it once per connection instead of on every execution
 * (planning cost as much as executing for the short statements of the hot paths). SQLite's
 * adapter caches its statements for the same reason. PostgreSQL re-plans a prepared statement by
 * itself when a table it reads changes; only a change of the columns a `select *` returns stops
 * it, and then the connection is replaced (`RESULT_TYPE_CHANGED`).
 */
export function preparingPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let preparing = wrapped.get(client);
      if (!preparing) {
        preparing = preparingClient(client);
        wrapped.set(client, preparing);
      }
      return preparing;
    },
    end: () => pool.end(),
  };
}

function preparingClient(client: pg.PoolClient): PostgresPoolClient {
  let retire = false;
  function query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  function query<R>(sqlOrCursor: string | PostgresCursor<R>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== 'string') return client.query(sqlOrCursor as never) as PostgresCursor<R>;
    const values = parameters ? [...parameters] : [];
    const name = nameOf(sqlOrCursor, values.length);
    const result = client.query(name ? { name, text: sqlOrCursor, values } : { text: sqlOrCursor, values });
    if (name) {
      result.catch((error: unknown) => {
        if ((error as { code?: unknown }).code === RESULT_TYPE_CHANGED) retire = true;
      });
    }
    return result as unknown as Promise<PostgresQueryResult<R>>;
  }
  return { query, release: () => client.release(retire || undefined) };
}
