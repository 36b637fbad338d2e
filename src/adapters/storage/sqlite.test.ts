import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createSqliteStorage } from './sqlite.js';

describe('SQLite storage', () => {
  it('creates its database, and so its write-ahead log, readable and writable by this user only', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'switchboard-sqlite-')), 'data', 'switchboard.db');
    const storage = createSqliteStorage(`sqlite:${file}`);
    try {
      await sql`create table notes (body text)`.execute(storage.db);
      await sql`insert into notes values ('private')`.execute(storage.db);
      for (const path of [file, `${file}-wal`]) expect(statSync(path).mode & 0o777, path).toBe(0o600);
    } finally {
      await storage.close();
    }
  });
});
