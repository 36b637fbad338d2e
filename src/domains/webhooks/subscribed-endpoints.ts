import type { Transaction } from 'kysely';
import { parseJson } from '../../kernel/json.js';
import { AccountCache } from '../../ports/account-cache.js';
import { CHANNELS } from '../../ports/channels.js';
import type { Database, Executor, Storage } from '../../ports/storage.js';
import { webhooksRepo } from './webhooks.repo.js';

/** An enabled endpoint and the event types and `family.*` patterns it subscribes to. */
export interface Subscription {
  id: string;
  events: string[];
}

/**
 * Each account's enabled endpoints, read by every published event, kept in memory until a change
 * to them commits on any node. Every write to an endpoint goes through `change`.
 */
export class SubscribedEndpoints {
  private readonly cache: AccountCache<Subscription[]>;

  constructor(storage: Storage) {
    this.cache = new AccountCache(storage, CHANNELS.webhookEndpoints);
  }

  start(): Promise<void> {
    return this.cache.start();
  }

  stop(): Promise<void> {
    return this.cache.stop();
  }

  /** The enabled endpoints; a read it has to make goes through `executor` (the publisher's transaction). */
  enabled(executor: Executor, accountId: string): Promise<Subscription[]> {
    return this.cache.get(accountId, async () => (await webhooksRepo(executor).enabledEndpoints(accountId)).map(({ id, events }) => ({ id, events: parseJson<string[]>(events) })));
  }

  change<T>(accountId: string, write: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.cache.change(accountId, write);
  }
}
