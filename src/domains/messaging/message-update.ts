import type { EventPublisher, EventType } from '../../ports/events.js';
import type { ChannelId } from '../../ports/message-channels.js';
import type { DialectName, Executor } from '../../ports/storage.js';
import { mergeChannel, overallStatus, statusesPassed, type ChannelUpdate } from './message-status.js';
import type { Attempt, ChannelStates, Message, MessageStatus, Routing } from './messaging.model.js';
import { messagesRepo, toMessage } from './messaging.repo.js';

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
 * A change to one message, read under its row lock in the transaction that writes it: channel
 * statuses merge by the status rules, attempts are appended, and `commit` derives the message's
 * status and publishes one event per status it passed, in that same transaction.
 */
export class MessageUpdate {
  readonly channelStatus: ChannelStates;
  readonly attempts: Attempt[];
  routing: Routing;
  nextRule: number;
  waitingRule: number | null;
  channel: ChannelId | null;
  private expired = false;

  constructor(readonly message: Message, readonly at: string) {
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
    if (merged) this.channelStatus[channel] = merged;
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

  async commit(executor: Executor, dialect: DialectName, events: EventPublisher): Promise<Message> {
    const { message } = this;
    const status = this.status;
    await messagesRepo(executor, dialect).update(message.accountId, message.id, {
      status,
      routing: this.routing,
      next_rule: this.nextRule,
      waiting_rule: this.waitingRule,
      channel: this.channel,
      channel_status: JSON.stringify(this.channelStatus),
      attempts: JSON.stringify(this.attempts),
      updated_at: this.at,
    });
    for (const passed of statusesPassed(message.status, status)) {
      const type = EVENT_OF[passed];
      if (type) await events.publish(executor, message.accountId, type, { messageId: message.id, status: passed, channel: this.channel, metadata: message.metadata, occurredOn: this.at });
    }
    return { ...message, status, routing: this.routing, nextRule: this.nextRule, waitingRule: this.waitingRule, channel: this.channel, channelStatus: this.channelStatus, attempts: this.attempts, updatedOn: this.at };
  }
}

/** Loads a message under its row lock for an update at `at`; undefined when it does not exist. */
export async function lockMessage(executor: Executor, dialect: DialectName, accountId: string, id: string, at: string): Promise<MessageUpdate | undefined> {
  const row = await messagesRepo(executor, dialect).findForUpdate(accountId, id);
  return row ? new MessageUpdate(toMessage(row), at) : undefined;
}
