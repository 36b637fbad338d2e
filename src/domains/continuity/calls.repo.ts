import { CompiledQuery, type Insertable } from 'kysely';
import type { Database, Executor } from '../../ports/storage.js';
import { parseJson } from '../../kernel/json.js';
import type { CallFilters, CallRecord } from './calls.model.js';
import { reusable } from '../../ports/reusable-statement.js';

type CallRow = {
  id: string; direction: string; from_number: string; to_number: string; started_at: string; ended_at: string | null;
  outcome: string | null; decision: string | null; continuity: number; events: string; updated_at: string;
  kind: string | null; skill: string | null;
};

const toRecord = (row: CallRow): CallRecord => ({
  id: row.id,
  direction: row.direction as CallRecord['direction'],
  from: row.from_number,
  to: row.to_number,
  started_at: row.started_at,
  ended_at: row.ended_at,
  outcome: row.outcome as CallRecord['outcome'],
  decision: row.decision === null ? null : parseJson(row.decision),
  continuity: row.continuity === 1,
  events: parseJson(row.events),
  updated_at: row.updated_at,
  kind: row.kind as CallRecord['kind'],
  skill: row.skill,
});

const COLUMNS = ['id', 'direction', 'from_number', 'to_number', 'started_at', 'ended_at', 'outcome', 'decision', 'continuity', 'events', 'updated_at', 'kind', 'skill'] as const;

type CallInsert = Insertable<Database['calls']>;

const toInsert = (accountId: string, call: CallRecord): CallInsert => ({
  account_id: accountId,
  id: call.id,
  direction: call.direction,
  from_number: call.from,
  to_number: call.to,
  started_at: call.started_at,
  ended_at: call.ended_at,
  outcome: call.outcome,
  decision: call.decision === null ? null : JSON.stringify(call.decision),
  continuity: call.continuity ? 1 : 0,
  events: JSON.stringify(call.events),
  updated_at: call.updated_at,
  kind: call.kind ?? null,
  skill: call.skill ?? null,
});

/** Inserts or updates calls; an older version of a call never overwrites a newer one. */
const upsertQuery = (db: Executor, rows: CallInsert[]) =>
  db
    .insertInto('calls')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['account_id', 'id'])
        .doUpdateSet((eb) => ({
          ended_at: eb.ref('excluded.ended_at'),
          outcome: eb.ref('excluded.outcome'),
          events: eb.ref('excluded.events'),
          updated_at: eb.ref('excluded.updated_at'),
        }))
        .where('calls.updated_at', '<=', (eb) => eb.ref('excluded.updated_at')),
    );

/** Inserts the calls whose ids the log does not hold yet; returns the ids of those inserted. */
const insertNewQuery = (db: Executor, rows: CallInsert[]) =>
  db.insertInto('calls').values(rows).onConflict((oc) => oc.columns(['account_id', 'id']).doNothing()).returning(['account_id', 'id']);

type Write = 'upsert' | 'insertNew';
const WRITES = { upsert: upsertQuery, insertNew: insertNewQuery } as const;

/**
 * A write's SQL depends only on its kind and how many rows it carries, and one runs for every
 * inbound call: it is compiled once per kind and batch size and executed with fresh parameters
 * (row by row, column by column, the order Kysely binds them in, checked when first compiled).
 */
const compiledWrites = new WeakMap<Executor, Map<string, string>>();

function compiledWrite(db: Executor, write: Write, rows: CallInsert[]): CompiledQuery {
  const parameters = rows.flatMap((row) => Object.values(row));
  let bySize = compiledWrites.get(db);
  if (!bySize) compiledWrites.set(db, (bySize = new Map<string, string>()));
  const key = `${write}:${rows.length}`;
  const cached = bySize.get(key);
  if (cached !== undefined) return CompiledQuery.raw(cached, parameters);
  const compiled = WRITES[write](db, rows).compile();
  if (compiled.parameters.length !== parameters.length || compiled.parameters.some((value, i) => value !== parameters[i])) {
    throw new Error('call write parameters are not bound in row and column order');
  }
  bySize.set(key, compiled.sql);
  return compiled;
}

/** Read whenever a call's leg resumes (ports/reusable-statement.ts). */
const findCall = reusable((db, key: { accountId: string; id: string }) =>
  db.selectFrom('calls').select(COLUMNS).where('account_id', '=', key.accountId).where('id', '=', key.id),
);

export function callsRepo(db: Executor) {
  return {
    async upsertMany(entries: { accountId: string; call: CallRecord }[]): Promise<void> {
      if (entries.length === 0) return;
      await db.executeQuery(compiledWrite(db, 'upsert', entries.map(({ accountId, call }) => toInsert(accountId, call))));
    },
    /** Inserts the calls the log does not hold yet; answers those it inserted. */
    async insertNew(entries: { accountId: string; call: CallRecord }[]): Promise<{ account_id: string; id: string }[]> {
      if (entries.length === 0) return [];
      return (await db.executeQuery<{ account_id: string; id: string }>(compiledWrite(db, 'insertNew', entries.map(({ accountId, call }) => toInsert(accountId, call))))).rows;
    },
    async find(accountId: string, id: string): Promise<CallRecord | undefined> {
      const [row] = (await findCall(db, { accountId, id })).rows;
      return row && toRecord(row);
    },
    async list(accountId: string, filters: CallFilters, after: [string, string] | undefined, limit: number): Promise<CallRecord[]> {
      let query = filtered(db, accountId, filters).select(COLUMNS);
      if (after) {
        const [startedAt, id] = after;
        query = query.where((eb) => eb.or([eb('started_at', '<', startedAt), eb.and([eb('started_at', '=', startedAt), eb('id', '<', id)])]));
      }
      const rows = await query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toRecord);
    },
    async count(accountId: string, filters: CallFilters): Promise<number> {
      const row = await filtered(db, accountId, filters).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

function filtered(db: Executor, accountId: string, filters: CallFilters) {
  let query = db.selectFrom('calls').where('account_id', '=', accountId);
  if (filters.direction) query = query.where('direction', '=', filters.direction);
  if (filters.outcome) query = query.where('outcome', '=', filters.outcome);
  if (filters.number) {
    const number = filters.number;
    query = query.where((eb) => eb.or([eb('from_number', '=', number), eb('to_number', '=', number)]));
  }
  if (filters.started_from) query = query.where('started_at', '>=', filters.started_from);
  if (filters.started_to) query = query.where('started_at', '<', filters.started_to);
  return query;
}
