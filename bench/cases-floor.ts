import pg from 'pg';
import SQLite from 'better-sqlite3';
import type { CaseRow } from './cases-seed.js';

/**
 * The floor of the cases benchmark: each measured query as hand-written SQL sent through the
 * driver (pg or better-sqlite3) from the benchmark's process, returning the ids the API's answer
 * must hold. A list reads its page and, when the page is full, counts up to 1,001 matches, as
 * `GET /cases` answers a first page; a page by cursor only reads.
 */
export interface Floor {
  /** An agent's open cases, most recently updated first. */
  queue(accountId: string, agentId: string): Promise<string[]>;
  /** Full text, newest first. */
  search(accountId: string, q: string): Promise<string[]>;
  firstPage(accountId: string): Promise<string[]>;
  /** The page after the case at (`createdAt`, `id`), newest first. */
  pageAfter(accountId: string, createdAt: string, id: string): Promise<string[]>;
  get(accountId: string, id: string): Promise<string[]>;
  insert(row: CaseRow): Promise<void>;
  /** `count` positions of the newest-first list from `offset` on, every `step` cases. */
  positions(accountId: string, offset: number, count: number, step: number): Promise<{ created_at: string; id: string }[]>;
  sample(accountId: string, count: number): Promise<string[]>;
  close(): Promise<void>;
}

const COLUMNS =
  'account_id, id, title, description, status_id, status_category, type, priority, priority_rank, requester_id, requester_name, requester_email, ' +
  'requester_phone, assignee_id, group_id, problem_id, due_at, resolution, custom_fields, channel, related, created_by, created_at, updated_at, ' +
  'resolved_at, closed_at, deleted_at, ' +
  // A custom status's name (a built-in status's id is its name).
  '(select name from case_statuses s where s.account_id = cases.account_id and s.id = cases.status_id) as status_name';
const PAGE = 51;
const COUNT_UP_TO = 1001;
const INSERT_COLUMNS = [
  'account_id', 'id', 'title', 'description', 'status_id', 'status_category', 'type', 'priority', 'priority_rank', 'requester_id',
  'requester_name', 'requester_email', 'requester_phone', 'assignee_id', 'group_id', 'problem_id', 'due_at', 'resolution',
  'custom_fields', 'channel', 'related', 'search_text', 'created_by', 'created_at', 'updated_at', 'resolved_at', 'closed_at', 'deleted_at',
] as const satisfies readonly (keyof CaseRow)[];

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
/** The words of a query, as the server splits them. */
const words = (q: string) => q.split(/[^\p{L}\p{N}\p{M}]+/u).filter((w) => w !== '');

/**
 * PostgreSQL: a pool like the server's (10 connections). A read by key is a named prepared
 * statement, parsed and planned once per connection, as the server's are; a page or a count is
 * planned for its values every time, as the server's are (see src/adapters/storage/postgres-prepared.ts),
 * so the floor pays no planning the server does not, and skips none the server pays.
 */
export function postgresFloor(url: string): Floor {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const names = new Map<string, string>();
  const nameOf = (text: string) => names.get(text) ?? names.set(text, `floor${names.size + 1}`).get(text);
  const query = async (text: string, values: unknown[], prepared = false) =>
    (await pool.query<{ id: string }>(prepared ? { name: nameOf(text), text, values } : { text, values })).rows;
  const live = 'account_id = $1 and deleted_at is null';
  const listed = async (where: string, order: string, values: unknown[]) => {
    const rows = await query(`select ${COLUMNS} from cases where ${where} order by ${order} limit ${PAGE}`, values);
    if (rows.length === PAGE) await query(`select count(*) from (select 1 from cases where ${where} limit ${COUNT_UP_TO}) s`, values);
    return ids(rows);
  };
  return {
    queue: (accountId, agentId) => listed(`${live} and status_category = 'open' and assignee_id = $2`, 'updated_at desc, id desc', [accountId, agentId]),
    search: (accountId, q) => listed(`${live} and search_vector @@ plainto_tsquery('simple', $2)`, 'created_at desc, id desc', [accountId, words(q).join(' ')]),
    firstPage: (accountId) => listed(live, 'created_at desc, id desc', [accountId]),
    pageAfter: async (accountId, createdAt, id) =>
      ids(await query(`select ${COLUMNS} from cases where ${live} and (created_at, id) < ($2, $3) order by created_at desc, id desc limit ${PAGE}`, [accountId, createdAt, id])),
    get: async (accountId, id) => ids(await query(`select ${COLUMNS} from cases where account_id = $1 and id = $2`, [accountId, id], true)),
    insert: async (row) => {
      await pool.query(`insert into cases (${INSERT_COLUMNS.join(', ')}) values (${INSERT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`, INSERT_COLUMNS.map((c) => row[c]));
    },
    positions: async (accountId, offset, count, step) => {
      const rows = await pool.query<{ created_at: Date; id: string }>(
        `select created_at, id from cases where ${live} order by created_at desc, id desc offset $2 limit $3`,
        [accountId, offset, count * step],
      );
      return rows.rows.filter((_, i) => i % step === 0).map((r) => ({ created_at: r.created_at.toISOString(), id: r.id }));
    },
    sample: async (accountId, count) => ids(await query('select id from cases where account_id = $1 order by random() limit $2', [accountId, count])),
    close: () => pool.end(),
  };
}

/**
 * SQLite: prepared statements on a connection of the benchmark's own. A full-text list first
 * counts the matches up to 2,000 to choose its plan, as the server does (see the repository).
 */
export function sqliteFloor(file: string): Floor {
  const db = new SQLite(file);
  db.pragma('busy_timeout = 5000');
  // As the server's connection: a commit waits for the WAL write, not for fsync.
  db.pragma('synchronous = NORMAL');
  const live = 'account_id = ? and deleted_at is null';
  const page = (where: string, order: string) => db.prepare<unknown[], { id: string }>(`select ${COLUMNS} from cases where ${where} order by ${order} limit ${PAGE}`);
  const count = (where: string) => db.prepare(`select count(*) as n from (select 1 from cases where ${where} limit ${COUNT_UP_TO})`);
  const queuePage = page(`${live} and status_category = 'open' and assignee_id = ?`, 'updated_at desc, id desc');
  const queueCount = count(`${live} and status_category = 'open' and assignee_id = ?`);
  const matches = 'select rowid from cases_fts where cases_fts match ?';
  const ftsMatches = db.prepare(`select count(*) as n from (${matches} limit 2000)`);
  const fewPage = page(`${live} and cases.rowid in (${matches})`, 'created_at desc, id desc');
  const manyPage = page(`${live} and +cases.rowid in (${matches})`, 'created_at desc, id desc');
  const streamedCount = db.prepare(
    `select count(*) as n from (select 1 from cases_fts f join cases on cases.rowid = f.rowid where f.cases_fts match ? and ${live} limit ${COUNT_UP_TO})`,
  );
  const firstPage = page(live, 'created_at desc, id desc');
  const firstCount = count(live);
  const after = page(`${live} and (created_at, id) < (?, ?)`, 'created_at desc, id desc');
  const get = db.prepare<unknown[], { id: string }>(`select ${COLUMNS} from cases where account_id = ? and id = ?`);
  const insert = db.prepare(`insert into cases (${INSERT_COLUMNS.join(', ')}) values (${INSERT_COLUMNS.map((c) => `@${c}`).join(', ')})`);
  return {
    queue: (accountId, agentId) => {
      const rows = queuePage.all(accountId, agentId);
      if (rows.length === PAGE) queueCount.get(accountId, agentId);
      return Promise.resolve(ids(rows));
    },
    search: (accountId, q) => {
      const match = words(q).map((w) => `"${w}"`).join(' ');
      const few = (ftsMatches.get(match) as { n: number }).n < 2000;
      const rows = (few ? fewPage : manyPage).all(accountId, match);
      if (rows.length === PAGE) streamedCount.get(match, accountId);
      return Promise.resolve(ids(rows));
    },
    firstPage: (accountId) => {
      const rows = firstPage.all(accountId);
      if (rows.length === PAGE) firstCount.get(accountId);
      return Promise.resolve(ids(rows));
    },
    pageAfter: (accountId, createdAt, id) => Promise.resolve(ids(after.all(accountId, createdAt, id))),
    get: (accountId, id) => Promise.resolve(ids(get.all(accountId, id))),
    insert: (row) => {
      insert.run(row);
      return Promise.resolve();
    },
    positions: (accountId, offset, n, step) => {
      const rows = db.prepare(`select created_at, id from cases where ${live} order by created_at desc, id desc limit ? offset ?`).all(accountId, n * step, offset) as { created_at: string; id: string }[];
      return Promise.resolve(rows.filter((_, i) => i % step === 0));
    },
    sample: (accountId, n) => Promise.resolve(ids(db.prepare('select id from cases where account_id = ? order by random() limit ?').all(accountId, n) as { id: string }[])),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}
