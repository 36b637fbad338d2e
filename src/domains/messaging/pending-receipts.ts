import type { Transaction } from 'kysely';
import type { Clock } from '../../kernel/clock.js';
import { newId } from '../../kernel/ids.js';
import { parseJson } from '../../kernel/json.js';
import type { ChannelId, InboundReceipt, WebhookRequest } from '../../ports/message-channels.js';
import type { Database, Storage } from '../../ports/storage.js';
import type { UsableProvider } from './channel-config.service.js';
import type { ChannelWebhooks } from './messaging.model.js';
import { messagesRepo, type DeliveryRow } from './messaging.repo.js';
import { pendingReceiptsRepo, UNVERIFIED, type PendingReceiptRow } from './pending-receipts.repo.js';
import { verifiesFor } from './webhook-verification.js';

/** How many receipts are held, and for how long, before their send is recorded. */
export interface PendingReceiptsOptions {
  /** Receipts held at once per channel and account (or per channel for the unverified ones of the account-less URL). */
  limit: number;
  /** How long a held receipt may wait for its send; older ones are never applied and are purged. */
  maxAgeMs: number;
  /** A request larger than this is not kept (its unmatched receipts are dropped). */
  maxBodyBytes: number;
}

export const DEFAULT_PENDING_RECEIPTS: PendingReceiptsOptions = { limit: 1000, maxAgeMs: 10 * 60 * 1000, maxBodyBytes: 64 * 1024 };

export interface PendingReceiptsDependencies {
  storage: Storage;
  clock: Clock;
  webhooks: ChannelWebhooks;
  options: PendingReceiptsOptions;
}

/**
 * `held`: kept for its send. `dropped`: not kept (the bound is reached, the request is too large).
 * `recorded`: the send was recorded meanwhile; the caller applies it as any known message's receipt.
 */
export type HoldOutcome = { kind: 'held' } | { kind: 'dropped'; reason: string } | { kind: 'recorded'; deliveries: DeliveryRow[] };

/** Headers a receipt's signature never covers and that should not be stored. */
const UNSTORED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * Receipts that name a provider id no send has recorded yet: the provider answered its status
 * webhook before (or while) the send recorded the id it was given. They are kept, with the request
 * that carried them, for `maxAgeMs`, bounded per channel and account, and applied by the send when
 * it records the id, only if the stored request verifies with the provider the message went out
 * through. On the account-less URL nothing can be verified when they come (no message, so no
 * provider, is known yet); on the account-scoped URL the request verified with one of the
 * account's providers before it was kept, and only that account's send may claim it.
 */
export class PendingReceipts {
  constructor(private readonly deps: PendingReceiptsDependencies) {}

  /** Keeps a receipt naming no known send, unless the send was recorded meanwhile (then its deliveries). */
  async hold(receipt: InboundReceipt, request: WebhookRequest, accountId: string | undefined): Promise<HoldOutcome> {
    const { storage, clock, options } = this.deps;
    if (Buffer.byteLength(request.rawBody, 'utf8') > options.maxBodyBytes) return { kind: 'dropped', reason: `the request is larger than ${options.maxBodyBytes} bytes` };
    const scope = accountId ?? UNVERIFIED;
    const now = clock.now();
    return storage.db.transaction().execute(async (trx): Promise<HoldOutcome> => {
      const repo = pendingReceiptsRepo(trx, storage.dialect);
      await repo.lock(receipt.channel, receipt.providerMessageId);
      await repo.purge(receipt.channel, new Date(now.getTime() - options.maxAgeMs).toISOString());
      const deliveries = (await messagesRepo(trx, storage.dialect).byProviderId(receipt.channel, receipt.providerMessageId)).filter((delivery) => accountId === undefined || delivery.account_id === accountId);
      if (deliveries.length > 0) return { kind: 'recorded', deliveries };
      if ((await repo.count(scope, receipt.channel)) >= options.limit) return { kind: 'dropped', reason: `${options.limit} ${receipt.channel} receipts are already waiting for their sends` };
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !UNSTORED_HEADERS.has(name.toLowerCase())));
      await repo.insert({
        account_id: scope, id: newId(now.getTime()), channel: receipt.channel, provider_message_id: receipt.providerMessageId, status: receipt.status,
        reported_at: receipt.at, details: receipt.details ?? null, raw_body: request.rawBody, headers: JSON.stringify(headers), url: request.url, created_at: now.toISOString(),
      });
      return { kind: 'held' };
    });
  }

  /** Records a send's provider id in its transaction, serialised with webhooks holding receipts for it: before `claim`. */
  record(trx: Transaction<Database>, delivery: DeliveryRow): Promise<void> {
    return pendingReceiptsRepo(trx, this.deps.storage.dialect).recordDelivery(delivery);
  }

  /**
   * In the transaction recording a send's provider id (after `record`): takes the receipts held for
   * it whose request verifies with the provider the message went out through (among the
   * channel's `providers` the send used), oldest first. Others
   * stay (another account's message may carry the same id) until they age out.
   */
  async claim(
    trx: Transaction<Database>,
    sent: { accountId: string; channel: ChannelId; provider: string | null; providerMessageId: string },
    providers: readonly UsableProvider[],
  ): Promise<InboundReceipt[]> {
    const { storage, clock, webhooks, options } = this.deps;
    const repo = pendingReceiptsRepo(trx, storage.dialect);
    const since = new Date(clock.now().getTime() - options.maxAgeMs).toISOString();
    const rows = await repo.find(sent.channel, sent.providerMessageId, [sent.accountId, UNVERIFIED], since);
    const webhook = webhooks[sent.channel];
    if (rows.length === 0 || !webhook) return [];
    const claimed: InboundReceipt[] = [];
    for (const row of rows) {
      const request = requestOf(row);
      if (!verifiesFor(providers, sent.provider, (provider) => webhook.verify(request, provider))) continue;
      if (await repo.remove(row.account_id, row.id)) claimed.push(receiptOf(row));
    }
    return claimed;
  }
}

function requestOf(row: PendingReceiptRow): WebhookRequest {
  return { rawBody: row.raw_body, headers: parseJson<Record<string, string | undefined>>(row.headers), url: row.url };
}

function receiptOf(row: PendingReceiptRow): InboundReceipt {
  const receipt: InboundReceipt = { channel: row.channel as ChannelId, providerMessageId: row.provider_message_id, status: row.status as InboundReceipt['status'], at: new Date(row.reported_at).toISOString() };
  return row.details === null ? receipt : { ...receipt, details: row.details };
}
