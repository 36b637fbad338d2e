import pg from 'pg';
import SQLite from 'better-sqlite3';
import { generate, type CaseRow, type Fixture, type NoteRow } from './cases-seed.js';

/**
 * Bulk loading for the cases benchmark. The secondary indexes (and on SQLite the full-text
 * triggers) are dropped first and rebuilt afterwards from their own definitions, so the loaded
 * database ends with exactly the indexes the migrations made; then statistics are gathered as
 * autovacuum (or `ANALYZE`) would have them for a table that grew over time.
 */
export interface Loaded {
  cases: number;
  notes: number;
  ms: number;
}

const BATCH = 5000;
const CASE_COLUMNS = [
  'account_id', 'id', 'title', 'description', 'status_id', 'status_category', 'type', 'priority', 'priority_rank', 'requester_id',
  'requester_name', 'requester_email', 'requester_phone', 'assignee_id', 'group_id', 'problem_id', 'due_at', 'resolution',
  'custom_fields', 'channel', 'related', 'search_text', 'created_by', 'created_at', 'updated_at', 'resolved_at', 'closed_at', 'deleted_at',
] as const satisfies readonly (keyof CaseRow)[];
const NOTE_COLUMNS = ['account_id', 'id', 'case_id', 'body', 'visibility', 'author', 'created_at'] as const satisfies readonly (keyof NoteRow)[];
const TIMESTAMPS = new Set(['due_at', 'created_at', 'updated_at', 'resolved_at', 'closed_at', 'deleted_at']);

const say = (text: string) => process.stdout.write(`${text}\n`);

function progress(label: string, done: number, count: number, started: number): void {
  if (done % 100_000 === 0 || done === count) say(`${label}: ${done.toLocaleString('en-US')} of ${count.toLocaleString('en-US')} cases (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

/** PostgreSQL: one `INSERT ... SELECT FROM unnest(<one array per column>)` per batch and table. */
export async function loadPostgres(url: string, fixture: Fixture, count: number, nowMs: number): Promise<Loaded> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("set maintenance_work_mem = '512MB'");
    const { rows: indexes } = await client.query<{ indexname: string; indexdef: string }>(
      "select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = 'cases' and indexname <> 'cases_pk'",
    );
    for (const index of indexes) await client.query(`drop index ${pg.escapeIdentifier(index.indexname)}`);
    const insert = (table: string, columns: readonly string[]) => {
      const arrays = columns.map((c, i) => `$${i + 1}::${c === 'priority_rank' ? 'integer' : TIMESTAMPS.has(c) ? 'timestamptz' : 'text'}[]`);
      return `insert into ${table} (${columns.join(', ')}) select * from unnest(${arrays.join(', ')})`;
    };
    const insertCases = insert('cases', CASE_COLUMNS);
    const insertNotes = insert('case_notes', NOTE_COLUMNS);
    let notes = 0;
    for (let from = 0; from < count; from += BATCH) {
      const batch = generate(fixture, count, from, Math.min(count, from + BATCH), nowMs);
      await client.query('begin');
      await client.query(insertCases, CASE_COLUMNS.map((c) => batch.cases.map((row) => row[c])));
      await client.query(insertNotes, NOTE_COLUMNS.map((c) => batch.notes.map((row) => row[c])));
      await client.query('commit');
      notes += batch.notes.length;
      progress('postgres', from + batch.cases.length, count, started);
    }
    say(`postgres: rebuilding ${indexes.length} indexes...`);
    for (const index of indexes) await client.query(index.indexdef);
    await client.query('vacuum analyze cases');
    await client.query('vacuum analyze case_notes');
    return { cases: count, notes, ms: performance.now() - started };
  } finally {
    await client.end();
  }
}

/** SQLite: prepared inserts, one transaction per batch; the FTS5 index is rebuilt from the table at the end. */
export function loadSqlite(file: string, fixture: Fixture, count: number, nowMs: number): Loaded {
  const started = performance.now();
  const db = new SQLite(file);
  try {
    db.pragma('busy_timeout = 5000');
    const schema = db
      .prepare("select type, name, sql from sqlite_master where tbl_name = 'cases' and type in ('index', 'trigger') and sql is not null")
      .all() as { type: 'index' | 'trigger'; name: string; sql: string }[];
    for (const item of schema) db.exec(`drop ${item.type} ${item.name}`);
    const insertCase = db.prepare(`insert into cases (${CASE_COLUMNS.join(', ')}) values (${CASE_COLUMNS.map((c) => `@${c}`).join(', ')})`);
    const insertNote = db.prepare(`insert into case_notes (${NOTE_COLUMNS.join(', ')}) values (${NOTE_COLUMNS.map((c) => `@${c}`).join(', ')})`);
    const write = db.transaction((batch: { cases: CaseRow[]; notes: NoteRow[] }) => {
      for (const row of batch.cases) insertCase.run(row);
      for (const row of batch.notes) insertNote.run(row);
    });
    let notes = 0;
    for (let from = 0; from < count; from += BATCH) {
      const batch = generate(fixture, count, from, Math.min(count, from + BATCH), nowMs);
      write(batch);
      notes += batch.notes.length;
      progress('sqlite', from + batch.cases.length, count, started);
    }
    say(`sqlite: rebuilding ${schema.filter((s) => s.type === 'index').length} indexes and the full-text index...`);
    for (const item of schema) if (item.type === 'index') db.exec(item.sql);
    db.exec("insert into cases_fts (cases_fts) values ('rebuild')");
    for (const item of schema) if (item.type === 'trigger') db.exec(item.sql);
    db.exec('analyze');
    return { cases: count, notes, ms: performance.now() - started };
  } finally {
    db.close();
  }
}
