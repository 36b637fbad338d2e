import type { Storage } from '../../ports/storage.js';
import { createPostgresStorage } from './postgres.js';
import { createSqliteStorage } from './sqlite.js';
import { migrate } from './migrations/index.js';

export { migrate } from './migrations/index.js';

/** Opens the database named by `DATABASE_URL`: `sqlite:<file>` or `postgres://...`. */
export function createStorage(url: string): Storage {
  return url.startsWith('sqlite:') ? createSqliteStorage(url) : createPostgresStorage(url);
}

export async function migrateStorage(storage: Storage): Promise<string[]> {
  return migrate(storage.db as never, storage.dialect);
}
