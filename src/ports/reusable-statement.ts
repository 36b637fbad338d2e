import { createQueryId, type Compilable, type DialectAdapter, type QueryResult, type RootOperationNode } from 'kysely';
import type { Executor } from './storage.js';

/** Stands for a value while a statement is built: a string no caller's value starts with. */
const MARKER = '\u0000value:';

interface Compiled {
  sql: string;
  query: RootOperationNode;
  /** Each parameter: the key of the value it binds, or a constant the builder put in. */
  slots: ({ key: string } | { constant: unknown })[];
  /** How many values the statement binds: a call must give exactly these. */
  keys: number;
}

/**
 * A statement of a hot path, built and compiled once per database and then run with each call's
 * values. Kysely builds and compiles a query anew on every execution: about a fifth of a flow
 * interaction's CPU on SQLite went there (docs/benchmarks.md, Flows).
 *
 * `build` gets a marker in place of each of the first call's values and must bind every value
 * as it is, in a statement whose text does not depend on the values: no optional clauses, no
 * lists, no arithmetic or JSON on a value (do that before the call). A call whose values
 * do not fit the statement compiled (a value missing, or one the statement does not bind)
 * rejects.
 */
export function reusable<V extends object, R = never>(build: (db: Executor, values: V) => Compilable<R>) {
  const compiled = new WeakMap<DialectAdapter, Compiled>();
  return async (db: Executor, values: V): Promise<QueryResult<R>> => {
    const adapter = db.getExecutor().adapter;
    let statement = compiled.get(adapter);
    if (!statement) {
      statement = compile(db, values, build);
      compiled.set(adapter, statement);
    }
    const given = values as Record<string, unknown>;
    let defined = 0;
    for (const key in given) if (given[key] !== undefined) defined += 1;
    if (defined !== statement.keys) throw new Error(`reusable statement: given ${Object.keys(given).join(', ')}, which it was not compiled for`);
    const parameters = statement.slots.map((slot) => {
      if (!('key' in slot)) return slot.constant;
      const value = given[slot.key];
      if (value === undefined) throw new Error(`reusable statement: no value for ${slot.key}`);
      return value;
    });
    return db.executeQuery<R>({ sql: statement.sql, query: statement.query, queryId: createQueryId(), parameters });
  };
}

function compile<V extends object, R>(db: Executor, values: V, build: (db: Executor, values: V) => Compilable<R>): Compiled {
  const keys = Object.keys(values).filter((key) => (values as Record<string, unknown>)[key] !== undefined);
  const markers = Object.fromEntries(keys.map((key) => [key, `${MARKER}${key}`])) as V;
  const { sql, query, parameters } = build(db, markers).compile();
  const slots = parameters.map((parameter) =>
    typeof parameter === 'string' && parameter.startsWith(MARKER) ? { key: parameter.slice(MARKER.length) } : { constant: parameter },
  );
  const bound = new Set(slots.flatMap((slot) => ('key' in slot ? [slot.key] : [])));
  const unbound = keys.filter((key) => !bound.has(key));
  if (unbound.length > 0) throw new Error(`reusable statement: ${unbound.join(', ')} not bound as parameters`);
  return { sql, query, slots, keys: keys.length };
}
