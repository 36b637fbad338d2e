import type { Clock } from '../../kernel/clock.js';
import type { EventPublisher } from '../../ports/events.js';
import type { Job, JobQueue } from '../../ports/jobs.js';
import type { ChannelId, InboundReceipt } from '../../ports/message-channels.js';
import type { Transaction } from 'kysely';
import type { Database, Storage } from '../../ports/storage.js';
import { lockMessage, MessageUpdate } from './message-update.js';
import type { Message } from './messaging.model.js';
import { messagesRepo } from './messaging.repo.js';
import { applyReceipt, escalationKey, type ReceiptEffect } from './receipt-apply.js';

export interface ReceiptsDependencies {
  storage: Storage;
  clock: Clock;
  jobs: JobQueue<Job>;
  events: EventPublisher;
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
  /** The message as read (without a lock) when the receipt was tied to it: written without a locked read if it is still so. */
  seen?: Message | undefined;
}

/**
 * Applies delivery, read and failure receipts (provider webhooks, the app's receipts) to the
 * messages they name, each in its own transaction under the message's row lock (the rules are
 * `applyReceipt`'s). Provider webhooks reach it through `WebhookIntake`, which verifies them.
 */
export class Receipts {
  constructor(private readonly deps: ReceiptsDependencies) {}

  /** Receipts from a trusted caller, found by (channel, provider message id) in any account; nothing is verified or held. */
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
   * Applies one receipt to its message; false when it changed nothing (unknown message, a status
   * already passed). A receipt that comes with the message as its lookup read it (`seen`) is
   * written by a conditional update when the message is still so; otherwise, and when it changes
   * nothing there, it is decided on the message read under its row lock.
   */
  async apply(receipt: MessageReceipt, profileId?: string): Promise<boolean> {
    const { storage, clock, events } = this.deps;
    return this.deps.jobs.transaction(async (trx) => {
      const unlocked = receipt.seen && profileId === undefined ? new MessageUpdate(receipt.seen, clock.now().toISOString()) : undefined;
      const early = unlocked && applyReceipt(unlocked, receipt, clock.now());
      if (unlocked && early && (await unlocked.commitIfUnchangedIn(trx, storage.dialect, events))) {
        await this.follow(trx, receipt, early);
        return true;
      }
      const update = await lockMessage(trx, storage.dialect, receipt.accountId, receipt.messageId, clock.now().toISOString());
      if (!update || (profileId !== undefined && update.message.profileId !== profileId)) return false;
      const effect = applyReceipt(update, receipt, clock.now());
      if (!effect) return false;
      await this.follow(trx, receipt, effect);
      await update.commit(trx, storage.dialect, events);
      return true;
    }, { shared: true });
  }

  /** What an applied receipt asks of its transaction besides the message's change. */
  private async follow(trx: Transaction<Database>, receipt: MessageReceipt, effect: ReceiptEffect): Promise<void> {
    const { jobs } = this.deps;
    if (effect.cancelEscalation !== null) await jobs.cancel(trx, receipt.accountId, escalationKey(receipt.messageId, effect.cancelEscalation));
    if (effect.resume) await jobs.enqueue(trx, { type: 'message.send', payload: { message_id: receipt.messageId }, accountId: receipt.accountId, here: true });
  }
}
