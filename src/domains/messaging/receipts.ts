import type { Clock } from '../../kernel/clock.js';
import type { EventPublisher } from '../../ports/events.js';
import type { Job, JobQueue } from '../../ports/jobs.js';
import type { ChannelId, InboundReceipt, ProviderConfig } from '../../ports/message-channels.js';
import type { Storage } from '../../ports/storage.js';
import type { ChannelConfigService } from './channel-config.service.js';
import { escalationKey } from './delivery.js';
import { heldElsewhere, reached } from './message-status.js';
import { lockMessage } from './message-update.js';
import { ruleOf } from './messaging.model.js';
import { messagesRepo } from './messaging.repo.js';

export interface ReceiptsDependencies {
  storage: Storage;
  clock: Clock;
  jobs: JobQueue<Job>;
  events: EventPublisher;
  channels: ChannelConfigService;
}

/** How many receipts changed a message, and how many named no message this platform sent. */
export interface ReceiptsResult {
  applied: number;
  unknown: number;
}

/** A receipt already tied to its message. */
export interface MessageReceipt {
  accountId: string;
  messageId: string;
  channel: ChannelId;
  status: InboundReceipt['status'];
  at: string;
  details?: string | undefined;
}

/**
 * Applies delivery, read and failure receipts (provider webhooks, the app's receipts) to the
 * messages they name. A receipt never lowers a status and never sends anything; it ends the wait
 * of an `until` rule it satisfies, and a failure of the only channel holding the message sends it
 * on to the next channels.
 */
export class Receipts {
  constructor(private readonly deps: ReceiptsDependencies) {}

  /** Receipts from a provider's webhook, found by (channel, provider message id) in any account. */
  async recordReceipts(receipts: readonly InboundReceipt[]): Promise<ReceiptsResult> {
    const result: ReceiptsResult = { applied: 0, unknown: 0 };
    const repo = messagesRepo(this.deps.storage.db, this.deps.storage.dialect);
    for (const receipt of receipts) {
      const deliveries = await repo.byProviderId(receipt.channel, receipt.providerMessageId);
      if (deliveries.length === 0) result.unknown += 1;
      for (const delivery of deliveries) {
        if (await this.apply({ accountId: delivery.account_id, messageId: delivery.message_id, channel: receipt.channel, status: receipt.status, at: receipt.at, details: receipt.details })) result.applied += 1;
      }
    }
    return result;
  }

  /**
   * Receipts from a provider's status webhook on `channel`. Each applies only to messages whose
   * provider (in that message's account) verifies the request; a request that verifies for none of
   * the messages it names is refused (`verified: false`, answered 401) and changes nothing.
   */
  async recordWebhook(channel: ChannelId, receipts: readonly InboundReceipt[], verify: (provider: ProviderConfig) => boolean): Promise<ReceiptsResult & { verified: boolean }> {
    const repo = messagesRepo(this.deps.storage.db, this.deps.storage.dialect);
    const verified: MessageReceipt[] = [];
    const checked = new Map<string, boolean>();
    let unknown = 0;
    let refused = 0;
    for (const receipt of receipts) {
      const deliveries = await repo.byProviderId(channel, receipt.providerMessageId);
      if (deliveries.length === 0) unknown += 1;
      for (const delivery of deliveries) {
        const key = `${delivery.account_id}\u0000${delivery.provider ?? ''}`;
        let ok = checked.get(key);
        if (ok === undefined) {
          const providers = await this.deps.channels.providers(delivery.account_id, channel);
          // The provider the message went out through; if it was renamed or removed since, any of the channel's.
          const named = providers.filter((p) => p.name === delivery.provider);
          ok = (named.length > 0 ? named : providers).some((p) => p.config !== undefined && verify(p.config));
          checked.set(key, ok);
        }
        if (ok) verified.push({ accountId: delivery.account_id, messageId: delivery.message_id, channel, status: receipt.status, at: receipt.at, details: receipt.details });
        else refused += 1;
      }
    }
    if (refused > 0 && verified.length === 0) return { verified: false, applied: 0, unknown };
    let applied = 0;
    for (const receipt of verified) if (await this.apply(receipt)) applied += 1;
    return { verified: true, applied, unknown };
  }

  /** Applies one receipt to its message; false when it changed nothing (unknown message, a status already passed). */
  async apply(receipt: MessageReceipt, profileId?: string): Promise<boolean> {
    const { storage, clock, jobs, events } = this.deps;
    return jobs.transaction(async (trx) => {
      const update = await lockMessage(trx, storage.dialect, receipt.accountId, receipt.messageId, clock.now().toISOString());
      if (!update || (profileId !== undefined && update.message.profileId !== profileId)) return false;
      const { channel } = receipt;
      // Only a channel that was offered the message can report on it.
      if (update.channelStatus[channel] === undefined) return false;
      const details = [`${receipt.status} (reported ${receipt.at})`, receipt.details].filter(Boolean).join(': ');
      if (!update.setChannel(channel, { status: receipt.status, details })) return false;

      const waitedOn = update.routing === 'waiting' && update.waitingRule !== null ? update.message.rules[update.waitingRule] : undefined;
      const waited = waitedOn === undefined ? undefined : ruleOf(waitedOn);
      if (waited?.channel === channel && waited.until && reached(update.channelStatus[channel]?.status, waited.until)) {
        update.routing = 'done';
        update.waitingRule = null;
        await jobs.cancel(trx, receipt.accountId, escalationKey(receipt.messageId));
      }
      const expired = update.message.expiresOn !== null && Date.parse(update.message.expiresOn) <= clock.now().getTime();
      if (receipt.status === 'failed' && update.routing !== 'active' && !heldElsewhere(update.channelStatus, channel) && update.nextRule < update.message.rules.length && !expired) {
        // The channel that had the message lost it: the send goes on with the channels after it.
        update.routing = 'active';
        update.waitingRule = null;
        await jobs.cancel(trx, receipt.accountId, escalationKey(receipt.messageId));
        await jobs.enqueue(trx, { type: 'message.send', payload: { message_id: receipt.messageId }, accountId: receipt.accountId, here: true });
      } else if (receipt.status === 'failed' && update.routing === 'waiting' && !heldElsewhere(update.channelStatus, channel)) {
        update.routing = 'done';
        update.waitingRule = null;
      }
      await update.commit(trx, storage.dialect, events);
      return true;
    });
  }
}
