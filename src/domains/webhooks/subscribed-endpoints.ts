import type { Transaction } from 'kysely';
import { DroppableCache } from '../../kernel/droppable-cache.js';
import { parseJson } from '../../kernel/json.js';
import { CHANNELS } from '../../ports/channels.js';
import type { Database, Executor, Storage } from '../../ports/storage.js';
import { webhooksRepo } from './webhooks.repo.js';

/** An enabled endpoint and the event types and `family.*` patterns it subscribes to. */
export interface Subscription {
  id: string;
  events: string[];
}

/** Accounts whose enabled endpoints one node keeps in memory. */
const CACHED_ACCOUNTS = 10_000;

/**
 * Each account's enabled endpoints, read by every published event: kept in memory until a change
 * to the account's endpoints commits, on this node or another. Every write to an endpoint goes
 * through `change`.
 */
export class SubscribedEndpoints {
  private readonly cache = new DroppableCache<string, Subscription[]>(CACHED_ACCOUNTS);
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly storage: Storage) {}

  /** Follows every node's changes; after a lost connection everything is read again. */
  async start(): Promise<void> {
    this.unlisten = await this.storage.listen(CHANNELS.webhookEndpoints, (accountId) => this.cache.drop(accountId), () => this.cache.clear());
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
  }

  /** The enabled endpoints; a read it has to make goes through `executor` (the publisher's transaction). */
  enabled(executor: Executor, accountId: string): Promise<Subscription[]> {
    return this.cache.get(accountId, async () => (await webhooksRepo(executor).enabledEndpoints(accountId)).map(({ id, events }) => ({ id, events: parseJson<string[]>(events) })));
  }

  /** Runs `write` in a transaction that tells every node the account's endpoints changed (this one once it committed). */
  async change<T>(accountId: string, write: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    const result = await this.storage.db.transaction().execute(async (trx) => {
      const value = await write(trx);
      await this.storage.notify(trx, CHANNELS.webhookEndpoints, accountId);
      return value;
    });
    this.cache.drop(accountId);
    return result;
  }
}
