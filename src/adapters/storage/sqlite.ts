import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EventEmitter } from 'node:events';
import type { Database, Storage } from '../../ports/storage.js';

/** `sqlite:./data/switchboard.db`, `sqlite:/abs/path.db` or `sqlite::memory:`. */
export function createSqliteStorage(url: string): Storage {
  const file = url.slice('sqlite:'.length);
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  const connection = new SQLite(file);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  // One process owns an SQLite database, so notifications never leave it.
  const bus = new EventEmitter();
  bus.setMaxListeners(0);

  return {
    db,
    dialect: 'sqlite',
    ping: () => {
      connection.prepare('select 1').get();
      return Promise.resolve();
    },
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
    close: () => db.destroy(),
  };
}
