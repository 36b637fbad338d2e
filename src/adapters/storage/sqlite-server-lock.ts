import SQLite from 'better-sqlite3';
import { makeDirectories } from '../../kernel/directories.js';
import { sqliteFileOf } from './sqlite-url.js';
import { dirname, resolve } from 'node:path';

/**
 * Makes this process the one server of an SQLite database (`sqlite:<file>`), or throws when
 * another one already is; another database (in memory, PostgreSQL) has nothing to hold. SQLite
 * has no notifications between processes, so a second server on the same file would route from
 * settings it never hears have changed and count rate limits on its own. The lock is an exclusive transaction held on `<file>.server-lock`: the operating
 * system releases it when the process ends however it ends, so a crash leaves no stale lock.
 * The CLI, which only reads and writes rows, does not take it. Returns what releases it.
 */
export function holdSqliteServerLock(url: string): () => void {
  const file = sqliteFileOf(url);
  if (file === undefined) return () => undefined;
  makeDirectories(dirname(resolve(file)));
  const lock = new SQLite(`${file}.server-lock`, { timeout: 0 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock.close();
    if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') throw error;
    throw new Error(
      `another Switchboard server is already using the SQLite database ${file}: SQLite serves one server process (run several nodes on PostgreSQL)`,
      { cause: error },
    );
  }
  return () => lock.close();
}
