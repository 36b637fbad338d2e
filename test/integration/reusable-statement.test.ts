import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, migrateStorage } from '../../src/adapters/storage/storage.js';
import { newId } from '../../src/kernel/ids.js';
import { reusable } from '../../src/ports/reusable-statement.js';
import type { Storage } from '../../src/ports/storage.js';
import { databaseUrl, DATABASES } from '../support/harness.js';

type AccountRow = { id: string; name: string; timezone: string; default_country: string; limits: string; created_at: string };

const insertAccount = reusable((db, row: AccountRow) => db.insertInto('accounts').values(row));
const findAccount = reusable((db, key: { id: string }) => db.selectFrom('accounts').select(['id', 'name']).where('id', '=', key.id));
const rename = reusable((db, v: { id: string; name: string }) => db.updateTable('accounts').set({ name: v.name }).where('id', '=', v.id).where('timezone', '=', 'UTC'));

const account = (name: string): AccountRow => ({ id: newId(), name, timezone: 'UTC', default_country: 'US', limits: '{}', created_at: new Date().toISOString() });

describe.each(DATABASES)('reusable statements (%s)', (db) => {
  let storage: Storage;
  beforeAll(async () => {
    storage = createStorage(databaseUrl(db));
    await migrateStorage(storage);
  });
  afterAll(() => storage.close());

  it('runs with each call\'s values, in and out of transactions, keeping the constants the builder wrote', async () => {
    const [first, second] = [account('First'), account('Second')];
    await insertAccount(storage.db, first);
    await storage.db.transaction().execute((trx) => insertAccount(trx, second));
    expect((await findAccount(storage.db, { id: first.id })).rows).toEqual([{ id: first.id, name: 'First' }]);
    expect((await findAccount(storage.db, { id: second.id })).rows).toEqual([{ id: second.id, name: 'Second' }]);
    expect((await rename(storage.db, { id: second.id, name: 'Renamed' })).numAffectedRows).toBe(1n);
    expect((await findAccount(storage.db, { id: second.id })).rows[0]?.name).toBe('Renamed');
    expect((await findAccount(storage.db, { id: 'nobody' })).rows).toEqual([]);
  });

  it('throws when a call does not fit the statement compiled, rather than binding the wrong values', async () => {
    const row = account('Shape');
    await insertAccount(storage.db, row);
    await expect(findAccount(storage.db, { id: row.id, name: 'extra' } as { id: string })).rejects.toThrow('not compiled for');
    await expect(findAccount(storage.db, {} as { id: string })).rejects.toThrow('not compiled for');
  });

  it('refuses a builder that does arithmetic on a value instead of binding it', async () => {
    const shifted = reusable((db, v: { steps: number }) => db.selectFrom('accounts').select('id').where('id', '=', String(v.steps + 1)));
    await expect(shifted(storage.db, { steps: 1 })).rejects.toThrow('steps not bound as parameters');
  });
});
