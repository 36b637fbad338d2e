import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdSqliteServerLock } from './sqlite-server-lock.js';

describe('holdSqliteServerLock', () => {
  it('lets one server hold an SQLite database, refuses a second, and frees it on release', () => {
    const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'switchboard-lock-')), 'data', 'switchboard.db')}`;
    const release = holdSqliteServerLock(url);
    expect(() => holdSqliteServerLock(url)).toThrow(/another Switchboard server is already using the SQLite database .*switchboard\.db/);
    release();
    const again = holdSqliteServerLock(url);
    again();
    expect(holdSqliteServerLock('sqlite::memory:')).toBeTypeOf('function');
  });
});
