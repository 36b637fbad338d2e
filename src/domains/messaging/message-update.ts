import type { EventPublisher, EventType } from '../../ports/events.js';
import type { ChannelId } from '../../ports/message-channels.js';
import type { Transaction } from 'kysely';
import type { Database, DialectName, Executor } from '../../ports/storage.js';
import { mergeChannel, overallStatus, statusesPassed, type ChannelUpdate } from './message-status.js';
import type { Attempt, ChannelStates, Message, MessageStatus, Routing } from './messaging.model.js';
import { messagesRepo, toMessage, type MessageChange } from './messaging.repo.js';

/** The webhook event each status a message reaches publishes. */
const EVENT_OF = {
  processing: undefined,
  sent: 'message.sent',
  delivered: 'message.delivered',
  read: 'message.read',
  expired: 'message.expired',
  failed: 'message.failed',
} as const satisfies Record<MessageStatus, EventType | undefined>;

/**
 * A change to one message: channel statuses merge by the status rules, attempts are appended, and
 * `commit` derives the message's status and publishes one event per status it passed, in the
 * transaction that writes it (the row read under its lock there). A change that publishes nothing
 * may instead be written by `commitIfUnchanged` on the message as last seen, without a lock.
 * Every change moves `updated_at` forward (by a millisecond at least), so it is the row's version.
 */
export class MessageUpdate {
  /** When the change happened: now, or just after the previous change if the clock says otherwise. */
  readonly at: string;
  readonly channelStatus: ChannelStates;
  readonly attempts: Attempt[];
  routing: Routing;
  nextRule: number;
  waitingRule: number | null;
  channel: ChannelId | null;
  /** The channel whose status this update changed last: the one a receipt came from. */
  private reported: ChannelId | null = null;
  private expired = false;

  constructor(readonly message: Message, at: string) {
    this.at = at > message.updatedOn ? at : new Date(Date.parse(message.updatedOn) + 1).toISOString();
    this.channelStatus = { ...message.channelStatus };
    this.attempts = [...message.attempts];
    this.routing = message.routing;
    this.nextRule = message.nextRule;
    this.waitingRule = message.waitingRule;
    this.channel = message.channel;
  }

  /** Merges a channel's new status; false when the status rules keep the old one. */
  setChannel(channel: ChannelId, update: Omit<ChannelUpdate, 'at'>): boolean {
    const merged = mergeChannel(this.channelStatus[channel], { ...update, at: this.at });
    if (merged) {
      this.channelStatus[channel] = merged;
      this.reported = channel;
    }
    return merged !== undefined;
  }

  attempt(attempt: Omit<Attempt, 'at'> & { at?: string }): void {
    this.attempts.push({ ...attempt, at: attempt.at ?? this.at });
  }

  /** Past `expiresOn` before any channel took it. */
  expire(): void {
    this.expired = true;
    this.routing = 'done';
    this.waitingRule = null;
  }

  get status(): MessageStatus {
    return this.expired ? 'expired' : overallStatus(this.message.status, this.channelStatus, this.routing);
  }

  /** Whether committing publishes an event (the message's status passes one that has a webhook event). */
  get publishes(): boolean {
    return statusesPassed(this.message.status, this.status).some((passed) => EVENT_OF[passed] !== undefined);
  }

  async commit(executor: Executor, dialect: DialectName, events: EventPublisher): Promise<Message> {
    const { message } = this;
    const status = this.status;
    await messagesRepo(executor, dialect).update(message.accountId, message.id, this.change(status));
    await this.publish(executor, status, events);
    return this.changed(status);
  }

  /**
   * One statement, no lock: writes the change if the row is still the message this update started
   * from; undefined when another change came first. Only for a change that publishes nothing.
   */
  async commitIfUnchanged(executor: Executor, dialect: DialectName): Promise<Message | undefined> {
    if (this.publishes) throw new Error('a change that publishes an event is committed in a transaction');
    return this.writeIfUnchanged(executor, dialect);
  }

  /**
   * `commitIfUnchanged` in the caller's transaction, publishing as `commit` does: the row is locked
   * only by this write, not read under a lock first. Undefined (nothing written) when another
   * change came first; the caller undoes its transaction and decides again on the locked row.
   */
  async commitIfUnchangedIn(trx: Transaction<Database>, dialect: DialectName, events: EventPublisher): Promise<Message | undefined> {
    const written = await this.writeIfUnchanged(trx, dialect);
    if (written) await this.publish(trx, written.status, events);
    return written;
  }

  private async writeIfUnchanged(executor: Executor, dialect: DialectName): Promise<Message | undefined> {
    const status = this.status;
    const { message } = this;
    return (await messagesRepo(executor, dialect).updateIfUnchanged(message.accountId, message.id, message.updatedOn, this.change(status))) ? this.changed(status) : undefined;
  }

  private async publish(executor: Executor, status: MessageStatus, events: EventPublisher): Promise<void> {
    const { message } = this;
    for (const passed of statusesPassed(message.status, status)) {
      const type = EVENT_OF[passed];
      // A receipt names the channel that sent it: a late one from a channel the send has moved on from too.
      const channel = (passed === 'delivered' || passed === 'read') && this.reported !== null ? this.reported : this.channel;
      if (type) await events.publish(executor, message.accountId, type, { messageId: message.id, status: passed, channel, metadata: message.metadata, occurredOn: this.at });
    }
  }

  private change(status: MessageStatus): MessageChange {
    return {
      status,
      routing: this.routing,
      next_rule: this.nextRule,
      waiting_rule: this.waitingRule,
      channel: this.channel,
      channel_status: JSON.stringify(this.channelStatus),
      attempts: JSON.stringify(this.attempts),
      updated_at: this.at,
    };
  }

  private changed(status: MessageStatus): Message {
    const { message } = this;
    return { ...message, status, routing: this.routing, nextRule: this.nextRule, waitingRule: this.waitingRule, channel: this.channel, channelStatus: this.channelStatus, attempts: this.attempts, updatedOn: this.at };
  }
}

/** Loads a message under its row lock for an update at `at`; undefined when it does not exist. */
export async function lockMessage(executor: Executor, dialect: DialectName, accountId: string, id: string, at: string): Promise<MessageUpdate | undefined> {
  const row = await messagesRepo(executor, dialect).findForUpdate(accountId, id);
  return row ? new MessageUpdate(toMessage(row), at) : undefined;
}
