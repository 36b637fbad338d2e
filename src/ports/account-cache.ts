import type { Transaction } from 'kysely';
import { DroppableCache } from '../kernel/droppable-cache.js';
import type { Database, Storage } from './storage.js';

/** Accounts whose entry one node keeps in memory. */
const CACHED_ACCOUNTS = 10_000;

/**
 * Per-account data read on a hot path and changed rarely (channel configurations, webhook
 * endpoints): kept in memory until a change to the account commits, on this node or another.
 * Every write goes through `change`, which tells every node on `channel` (NOTIFY on PostgreSQL).
 */
export class AccountCache<V> {
  private readonly cache = new DroppableCache<string, V>(CACHED_ACCOUNTS);
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly storage: Storage, private readonly channel: string) {}

  /** Follows every node's changes; after a lost connection everything is read again. */
  async start(): Promise<void> {
    this.unlisten = await this.storage.listen(this.channel, (accountId) => this.cache.drop(accountId), () => this.cache.clear());
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
  }

  get(accountId: string, load: () => Promise<V>): Promise<V> {
    return this.cache.get(accountId, load);
  }

  /** Runs `write` in a transaction that tells every node the account changed (this one once it committed). */
  async change<T>(accountId: string, write: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    const result = await this.storage.db.transaction().execute(async (trx) => {
      const value = await write(trx);
      await this.storage.notify(trx, this.channel, accountId);
      return value;
    });
    this.cache.drop(accountId);
    return result;
  }
}
