import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, migrateStorage } from '../../src/adapters/storage/storage.js';
import { newId } from '../../src/kernel/ids.js';
import type { Executor, Storage } from '../../src/ports/storage.js';
import { databaseUrl, DATABASES } from '../support/harness.js';

const insertAccount = (db: Executor, id: string) =>
  db.insertInto('accounts').values({ id, name: 'batch test', timezone: 'UTC', default_country: 'US', limits: '{}', created_at: new Date().toISOString() }).execute();

const exists = async (db: Executor, id: string) => (await db.selectFrom('accounts').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;

describe.each(DATABASES)('storage batch: group commit (%s)', (db) => {
  let storage: Storage;

  beforeAll(async () => {
    storage = createStorage(databaseUrl(db));
    await migrateStorage(storage);
  });
  afterAll(() => storage.close());

  it('runs work submitted together in one transaction and settles each after the commit', async () => {
    const [first, second] = [newId(), newId()];
    const results = await Promise.all([
      storage.batch(async (trx) => {
        await insertAccount(trx, first);
        return 'first';
      }),
      // Sees the first piece's row before anything committed: the two share a transaction.
      storage.batch((trx) => exists(trx, first)),
      storage.batch(async (trx) => {
        await insertAccount(trx, second);
        return 'third';
      }),
    ]);
    expect(results).toEqual(['first', true, 'third']);
    expect(await exists(storage.db, first)).toBe(true);
    expect(await exists(storage.db, second)).toBe(true);
  });

  it('fails only the work that threw: the rest of its group commits without it', async () => {
    const [kept, lost, alsoKept] = [newId(), newId(), newId()];
    const settled = await Promise.allSettled([
      storage.batch((trx) => insertAccount(trx, kept)),
      storage.batch(async (trx) => {
        await insertAccount(trx, lost);
        throw new Error('this piece fails');
      }),
      // A constraint violation fails its own piece too.
      storage.batch((trx) => insertAccount(trx, kept)),
      storage.batch((trx) => insertAccount(trx, alsoKept)),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'this piece fails' });
    expect(await exists(storage.db, kept)).toBe(true);
    expect(await exists(storage.db, lost)).toBe(false);
    expect(await exists(storage.db, alsoKept)).toBe(true);
  });

  it('keeps taking work while a group commits, in the order it was submitted', async () => {
    const ids = Array.from({ length: 600 }, () => newId());
    const order: number[] = [];
    await Promise.all(
      ids.map((id, i) =>
        storage.batch(async (trx) => {
          order.push(i);
          await insertAccount(trx, id);
        }),
      ),
    );
    expect(order).toEqual(ids.map((_, i) => i));
    const found = await storage.db.selectFrom('accounts').select('id').where('id', 'in', ids).execute();
    expect(found).toHaveLength(ids.length);
  });
});
