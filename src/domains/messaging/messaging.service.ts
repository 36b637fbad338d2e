import type { Clock } from '../../kernel/clock.js';
import { newId } from '../../kernel/ids.js';
import { pageOf, type Page } from '../../kernel/page.js';
import type { Job, JobQueue } from '../../ports/jobs.js';
import type { Storage, WithResult } from '../../ports/storage.js';
import { expiresInThePast, messageNotFound, undialablePhone } from './messaging.errors.js';
import type { AppMessageEvent, Message, MessageFilters, MessageStatus, Recipient, SendInput } from './messaging.model.js';
import { messagesRepo, toMessage, type MessageRow } from './messaging.repo.js';
import { normalisePhone } from './profiles.service.js';

/** What `POST /messages` answers: the message is stored, and sending has begun. */
export type SentMessage = Pick<MessageView, 'messageId' | 'status'>;

/** `GET /messages/{messageId}`: camelCase, as the vendor API this resource follows. */
export interface MessageView {
  messageId: string;
  status: MessageStatus;
  body: string;
  title: string | null;
  to: Recipient;
  rules: Message['rules'];
  channelOptions: Message['channelOptions'];
  customBody: Message['customBody'];
  metadata: Record<string, unknown>;
  expiresOn: string | null;
  createdOn: string;
  updatedOn: string;
  statusDetails: { channelStatus: Message['channelStatus'] };
  attempts: Message['attempts'];
}

export const toView = (message: Message): MessageView => ({
  messageId: message.id,
  status: message.status,
  body: message.body,
  title: message.title,
  to: message.to,
  rules: message.rules,
  channelOptions: message.channelOptions,
  customBody: message.customBody,
  metadata: message.metadata,
  expiresOn: message.expiresOn,
  createdOn: message.createdOn,
  updatedOn: message.updatedOn,
  statusDetails: { channelStatus: message.channelStatus },
  attempts: message.attempts,
});

const APP_BACKLOG_MS = 7 * 24 * 3600 * 1000;
const APP_BACKLOG_LIMIT = 500;

const appEventOf = (message: Message, sentOn: string): AppMessageEvent => ({
  messageId: message.id,
  title: message.title,
  body: message.customBody.appMessaging ?? message.body,
  metadata: message.metadata,
  sentOn,
});

/** `POST /messages` and reading messages back; sending is `MessageDelivery`, in the job this enqueues. */
export class MessagingService {
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly jobs: JobQueue<Job>,
    private readonly countryOf: (accountId: string) => Promise<string>,
  ) {}

  /**
   * Stores the message and, in the same transaction, its `message.send` job (started on this node
   * as soon as it commits) and, with `expiresOn`, its `message.expire` job. Resolves once both are
   * committed: an accepted message is never lost, whatever happens to this node next.
   */
  async send(accountId: string, input: SendInput, withResult?: WithResult<SentMessage>): Promise<SentMessage> {
    const now = this.clock.now();
    const to = await this.recipient(accountId, input.to);
    const expiresOn = input.expiresOn === undefined ? null : new Date(input.expiresOn).toISOString();
    if (expiresOn !== null && Date.parse(expiresOn) <= now.getTime()) throw expiresInThePast();
    const at = now.toISOString();
    const row: MessageRow = {
      account_id: accountId, id: newId(now.getTime()), status: 'processing', profile_id: to.profileId ?? null, recipient: JSON.stringify(to),
      body: input.body, title: input.title ?? null, custom_body: JSON.stringify(input.customBody ?? {}), channel_options: JSON.stringify(input.channelOptions ?? {}),
      metadata: JSON.stringify(input.metadata ?? {}), rules: JSON.stringify(input.rules), expires_on: expiresOn, routing: 'active', next_rule: 0,
      waiting_rule: null, channel: null, channel_status: '{}', attempts: '[]', created_at: at, updated_at: at,
    };
    const sent: SentMessage = { messageId: row.id, status: 'processing' };
    await this.jobs.transaction(async (trx) => {
      await messagesRepo(trx, this.storage.dialect).insert(row);
      await this.jobs.enqueue(trx, { type: 'message.send', payload: { message_id: row.id }, accountId, here: true });
      if (expiresOn !== null) {
        await this.jobs.enqueue(trx, { type: 'message.expire', payload: { message_id: row.id }, accountId, runAt: new Date(expiresOn), dedupeKey: `message.expire:${row.id}` });
      }
      await withResult?.(trx, sent);
    }, { shared: true });
    return sent;
  }

  async get(accountId: string, messageId: string): Promise<MessageView> {
    const row = await messagesRepo(this.storage.db, this.storage.dialect).find(accountId, messageId);
    if (!row) throw messageNotFound();
    return toView(toMessage(row));
  }

  async list(accountId: string, filters: MessageFilters, after: [string, string] | undefined, perPage: number): Promise<Page<MessageView>> {
    const repo = messagesRepo(this.storage.db, this.storage.dialect);
    const [rows, total] = await Promise.all([repo.list(accountId, filters, after, perPage + 1), repo.count(accountId, filters)]);
    const page = pageOf(rows, perPage, total, (row) => [row.created_at, row.id]);
    return { ...page, items: page.items.map((row) => toView(toMessage(row))) };
  }

  /** The app event for a message sent to `appMessaging` (read by the node holding the app's stream). */
  async appEvent(accountId: string, messageId: string): Promise<AppMessageEvent | undefined> {
    const row = await messagesRepo(this.storage.db, this.storage.dialect).find(accountId, messageId);
    return row ? appEventOf(toMessage(row), row.updated_at) : undefined;
  }

  /**
   * What an app that connects is still owed: the profile's messages of the last week that its app
   * accepted without a delivery receipt (the stream they were pushed on dropped), oldest first.
   */
  async appBacklog(accountId: string, profileId: string): Promise<AppMessageEvent[]> {
    const since = new Date(this.clock.now().getTime() - APP_BACKLOG_MS).toISOString();
    const rows = await messagesRepo(this.storage.db, this.storage.dialect).recentOfProfile(accountId, profileId, since, APP_BACKLOG_LIMIT);
    return rows
      .map(toMessage)
      .filter((message) => message.channelStatus.appMessaging?.status === 'sent' && message.status !== 'expired' && message.status !== 'failed')
      .map((message) => appEventOf(message, message.channelStatus.appMessaging?.updatedOn ?? message.updatedOn));
  }

  private async recipient(accountId: string, to: Recipient): Promise<Recipient> {
    if (to.phoneNumber === undefined) return to;
    const phoneNumber = normalisePhone(to.phoneNumber, await this.countryOf(accountId));
    if (phoneNumber === null) throw undialablePhone('to.phoneNumber');
    return { ...to, phoneNumber };
  }
}
