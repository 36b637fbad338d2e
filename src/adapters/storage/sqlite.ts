import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { closeSync, existsSync, openSync } from 'node:fs';
import { makeDirectories } from '../../kernel/directories.js';
import { sqliteFileOf } from './sqlite-url.js';
import { dirname, resolve } from 'node:path';
import { EventEmitter } from 'node:events';
import type { Database, Storage } from '../../ports/storage.js';
import { GroupCommit } from './group-commit.js';

/** Statements kept prepared; the platform's queries are a few hundred distinct texts. */
const STATEMENT_CACHE = 1000;

/**
 * The connection with its statements prepared once per SQL text. Kysely's SQLite driver prepares
 * every statement on every execution, a third of the time SQLite spent per flow interaction
 * (docs/benchmarks.md, Flows). Reusing a statement is safe: the driver runs one query at a time
 * on the connection, and SQLite re-prepares a statement itself after a schema change.
 */
function withStatementCache(connection: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    prepare(sql) {
      let statement = statements.get(sql);
      if (!statement) {
        if (statements.size >= STATEMENT_CACHE) statements.delete(statements.keys().next().value ?? '');
        statement = connection.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
    close: () => connection.close(),
  };
}

/** `sqlite:./data/switchboard.db`, `sqlite:/abs/path.db` or `sqlite::memory:`. */
export function createSqliteStorage(url: string): Storage {
  const file = sqliteFileOf(url);
  if (file !== undefined) {
    makeDirectories(dirname(resolve(file)));
    // Tenants' data is for this server's user only; SQLite gives its WAL and shared-memory files the database file's mode.
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  }
  const connection = new SQLite(file ?? ':memory:');
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(connection) }) });
  // One process owns an SQLite database, so notifications never leave it.
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const group = new GroupCommit(db);

  return {
    db,
    dialect: 'sqlite',
    ping: () => {
      connection.prepare('select 1').get();
      return Promise.resolve();
    },
    batch: (work) => group.run(work),
    listen: (channel, onMessage) => {
      bus.on(channel, onMessage);
      return Promise.resolve(() => {
        bus.off(channel, onMessage);
        return Promise.resolve();
      });
    },
    notify: (_executor, channel, payload) => {
      // Deferred so listeners read what the surrounding transaction commits.
      setImmediate(() => bus.emit(channel, payload));
      return Promise.resolve();
    },
    maintain: () => Promise.resolve([]),
    close: () => db.destroy(),
  };
}
