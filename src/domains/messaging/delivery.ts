import type { Transaction } from 'kysely';
import type { Clock } from '../../kernel/clock.js';
import type { EventPublisher } from '../../ports/events.js';
import type { Job, JobQueue } from '../../ports/jobs.js';
import type { ChannelId, OutboundMessage } from '../../ports/message-channels.js';
import type { Database, Storage } from '../../ports/storage.js';
import type { AccountChannels, ChannelConfigService, UsableProvider } from './channel-config.service.js';
import { reached } from './message-status.js';
import { lockMessage, MessageUpdate } from './message-update.js';
import type { ChannelAdapters, Message, Rule } from './messaging.model.js';
import { messagesRepo, toMessage } from './messaging.repo.js';
import type { PendingReceipts } from './pending-receipts.js';
import type { ProfilesService } from './profiles.service.js';
import { applyReceipt, escalationKey } from './receipt-apply.js';
import { APP_PROVIDER, sendThroughProviders, type ChannelOutcome, type ProviderAttemptsDependencies } from './provider-attempts.js';
import { nextChannel, type ProfileFacts } from './routing.js';

export interface DeliveryDependencies extends ProviderAttemptsDependencies {
  storage: Storage;
  clock: Clock;
  jobs: JobQueue<Job>;
  events: EventPublisher;
  adapters: ChannelAdapters;
  channels: ChannelConfigService;
  profiles: ProfilesService;
  /** Receipts that came before the send recorded its provider id, claimed as it does. */
  pending: PendingReceipts;
}

/** The channel to offer the message to next, decided (and marked `processing`) under the row lock. */
interface SendStep {
  message: Message;
  index: number;
  rule: Rule;
  address: string;
  providers: readonly UsableProvider[];
}

/** What a run reads once: the account's channels and the profile's facts. */
interface RunFacts {
  channels: AccountChannels;
  profile: ProfileFacts | undefined;
}

/** A decision on a message, taken in the transaction that writes it. */
type Decide<T> = (trx: Transaction<Database>, update: MessageUpdate) => Promise<T>;

/** Thrown to undo a transaction whose conditional write found the message changed by someone else. */
class ChangedMeanwhile extends Error {}

/** A change committed: what it decided, and the message as written. */
interface Changed<T> {
  result: T;
  message: Message;
}

export { escalationKey };

/**
 * Sends a message through its rules, channel after channel, inside its durable `message.send`
 * job. A channel's outcome and the choice of the next channel are one short transaction (no lock
 * is held while a provider is called), so a rejection moves on to the next channel at once, and a
 * run that dies mid-way resumes from the rule it was on (that channel is offered the message
 * again: sends are at least once). The account's channels are read once per run.
 */
export class MessageDelivery {
  constructor(private readonly deps: DeliveryDependencies) {}

  /** Runs the send until a channel takes the message, none is left, or it expires. */
  async deliver(accountId: string, messageId: string, signal: AbortSignal): Promise<void> {
    const row = await messagesRepo(this.deps.storage.db, this.deps.storage.dialect).find(accountId, messageId);
    if (!row) return;
    const seen = toMessage(row);
    const run: RunFacts = {
      channels: await this.deps.channels.ofAccount(accountId),
      profile: seen.profileId === null ? undefined : await this.deps.profiles.facts(accountId, seen.profileId),
    };
    let next = await this.change(seen, (update) => (update.routing === 'active' ? this.nextStep(update, run) : undefined));
    while (next?.result) {
      const step = next.result;
      const outcome = await this.offer(step, signal);
      next =
        outcome.kind === 'accepted'
          ? await this.changeWithin(next.message, async (trx, update) => ((await this.recordAcceptance(trx, update, step, outcome)) ? this.nextStep(update, run) : undefined))
          : await this.change(next.message, (update) => (this.recordRefusal(update, step, outcome) ? this.nextStep(update, run) : undefined));
    }
  }

  /**
   * The `until` receipt of rule `index` did not come in time: on to the next channel, unless it
   * came meanwhile. The send goes on in a `message.send` job started by the same commit, which
   * retries and gives up like any send.
   */
  async escalate(accountId: string, messageId: string, index: number): Promise<void> {
    await this.transaction(async (trx) => {
      const update = await this.lock(trx, accountId, messageId);
      if (!update || update.routing !== 'waiting' || update.waitingRule !== index) return;
      const rule = ruleAt(update.message, index);
      update.waitingRule = null;
      const until = rule.until;
      // The receipt came, on the rule's channel or late on one tried before it.
      if (!until || Object.values(update.channelStatus).some((state) => reached(state.status, until))) {
        update.routing = 'done';
      } else if (this.expired(update.message)) {
        update.routing = 'done';
        update.attempt({ channel: rule.channel, provider: null, outcome: 'timed_out', details: `no ${until} receipt within ${rule.within_s ?? 0} s; the message expired, so no other channel is tried` });
      } else {
        update.routing = 'active';
        update.attempt({ channel: rule.channel, provider: null, outcome: 'timed_out', details: `no ${until} receipt within ${rule.within_s ?? 0} s; trying the next channel` });
        await this.deps.jobs.enqueue(trx, { type: 'message.send', payload: { message_id: messageId }, accountId, here: true });
      }
      await this.commit(trx, update);
    });
  }

  /** `expiresOn` has come: a message no channel has taken expires; one waiting to escalate stops there. */
  async expire(accountId: string, messageId: string): Promise<void> {
    await this.transaction(async (trx) => {
      const update = await this.lock(trx, accountId, messageId);
      if (!update || update.routing === 'done') return;
      // A provider is being offered it right now: the send loop expires it after that attempt if it is not taken.
      if (Object.values(update.channelStatus).some((state) => state.status === 'processing')) return;
      if (update.message.status === 'processing') update.expire();
      else update.routing = 'done';
      if (update.waitingRule !== null) await this.deps.jobs.cancel(trx, accountId, escalationKey(messageId, update.waitingRule));
      update.waitingRule = null;
      await this.commit(trx, update);
    });
  }

  /** The send job used up its attempts (the database kept failing): the message fails rather than stay processing. */
  async giveUp(accountId: string, messageId: string, reason: string): Promise<void> {
    await this.transaction(async (trx) => {
      const update = await this.lock(trx, accountId, messageId);
      if (!update || update.routing !== 'active') return;
      for (const [channel, state] of Object.entries(update.channelStatus)) {
        if (state.status === 'processing') update.setChannel(channel as ChannelId, { status: 'failed', details: `the send gave up: ${reason}` });
      }
      update.routing = 'done';
      await this.commit(trx, update);
    });
  }

  /** Chooses the next channel from the update's rule on, recording the ones skipped; undefined when the send stops here. */
  private nextStep(update: MessageUpdate, { channels, profile }: RunFacts): SendStep | undefined {
    const { message } = update;
    if (this.expired(message)) {
      if (update.status === 'processing') update.expire();
      else update.routing = 'done';
      return undefined;
    }
    const configured = new Set(channels.keys());
    const { skipped, next } = nextChannel(message.rules, update.nextRule, { to: message.to, profile, configured, options: message.channelOptions, now: this.deps.clock.now() });
    for (const skip of skipped) {
      update.setChannel(skip.channel, { status: 'skipped', details: skip.reason, provider: null });
      update.attempt({ channel: skip.channel, provider: null, outcome: 'skipped', details: skip.reason });
    }
    if (!next) {
      update.nextRule = message.rules.length;
      update.routing = 'done';
      return undefined;
    }
    update.nextRule = next.index;
    update.setChannel(next.rule.channel, { status: 'processing', details: 'offering the message to the channel', provider: null });
    const providers = next.rule.channel === 'appMessaging' ? [{ name: APP_PROVIDER.name, config: APP_PROVIDER }] : (channels.get(next.rule.channel) ?? []);
    return { message, index: next.index, rule: next.rule, address: next.address, providers };
  }

  private async offer({ message, rule, address, providers }: SendStep, signal: AbortSignal): Promise<ChannelOutcome> {
    const { channel } = rule;
    const outbound: OutboundMessage = {
      accountId: message.accountId,
      messageId: message.id,
      to: address,
      title: message.title,
      body: message.customBody[channel] ?? message.body,
      options: message.channelOptions[channel] ?? {},
      metadata: message.metadata,
    };
    const expiresAt = message.expiresOn === null ? null : Date.parse(message.expiresOn);
    return sendThroughProviders(this.deps, this.deps.adapters[channel], providers, outbound, channel, signal, expiresAt);
  }

  /** Records that the channel rejected or failed the message; true when the send goes on to the next channel. */
  private recordRefusal(update: MessageUpdate, { index, rule }: SendStep, outcome: ChannelOutcome & { kind: 'rejected' | 'failed' }): boolean {
    for (const attempt of outcome.attempts) update.attempt(attempt);
    update.nextRule = index + 1;
    update.setChannel(rule.channel, { status: outcome.kind, details: outcome.details, provider: outcome.provider });
    return update.routing === 'active';
  }

  /** Records that the channel took the message, with its provider id, in the update's transaction; true when the send goes on after all. */
  private async recordAcceptance(trx: Transaction<Database>, update: MessageUpdate, step: SendStep, outcome: ChannelOutcome & { kind: 'accepted' }): Promise<boolean> {
    const { message, index, rule, address } = step;
    for (const attempt of outcome.attempts) update.attempt(attempt);
    update.nextRule = index + 1;
    update.setChannel(rule.channel, { status: 'sent', details: outcome.details, provider: outcome.provider });
    update.channel = rule.channel;
    const sent = { accountId: message.accountId, channel: rule.channel, provider: outcome.provider, providerMessageId: outcome.providerMessageId };
    const delivery = {
      account_id: message.accountId, message_id: message.id, channel: rule.channel, provider: outcome.provider,
      provider_message_id: outcome.providerMessageId, address, created_at: update.at,
    };
    if (rule.channel === 'appMessaging') await messagesRepo(trx, this.deps.storage.dialect).insertDelivery(delivery);
    else await this.deps.pending.record(trx, delivery);
    // A receipt may have overtaken this record (an app answers at once): then there is nothing to wait for.
    if (rule.until && rule.within_s && !reached(update.channelStatus[rule.channel]?.status, rule.until)) {
      update.routing = 'waiting';
      update.waitingRule = index;
      const runAt = new Date(this.deps.clock.now().getTime() + rule.within_s * 1000);
      await this.deps.jobs.enqueue(trx, { type: 'message.escalate', payload: { message_id: message.id, rule: index }, accountId: message.accountId, runAt, dedupeKey: escalationKey(message.id, index) });
    } else {
      update.routing = 'done';
    }
    // A provider's webhook may have overtaken it too: receipts held for this id apply now, as if they came next.
    const held = rule.channel === 'appMessaging' ? [] : await this.deps.pending.claim(trx, sent, step.providers);
    let resume = false;
    for (const receipt of held) {
      const effect = applyReceipt(update, receipt, this.deps.clock.now());
      if (effect && effect.cancelEscalation !== null) await this.deps.jobs.cancel(trx, message.accountId, escalationKey(message.id, effect.cancelEscalation));
      resume ||= effect?.resume === true;
    }
    // A held failure took the message back from this channel: the send goes on in this run.
    return resume;
  }

  private expired(message: Message): boolean {
    return message.expiresOn !== null && Date.parse(message.expiresOn) <= this.deps.clock.now().getTime();
  }

  private lock(trx: Transaction<Database>, accountId: string, messageId: string): Promise<MessageUpdate | undefined> {
    return lockMessage(trx, this.deps.storage.dialect, accountId, messageId, this.deps.clock.now().toISOString());
  }

  private async commit(trx: Transaction<Database>, update: MessageUpdate): Promise<void> {
    await update.commit(trx, this.deps.storage.dialect, this.deps.events);
  }

  /**
   * Applies `decide` to the message as this run last saw it, written by one statement if no one
   * changed the message since and the change publishes no event; otherwise `decide` runs again on
   * the message read under its row lock, in a transaction that also publishes.
   */
  private async change<T>(seen: Message, decide: (update: MessageUpdate) => T): Promise<Changed<T> | undefined> {
    const update = new MessageUpdate(seen, this.deps.clock.now().toISOString());
    const result = decide(update);
    if (!update.publishes) {
      const message = await update.commitIfUnchanged(this.deps.storage.db, this.deps.storage.dialect);
      if (message) return this.changed(update, message, result);
    }
    return this.changeLocked(seen.accountId, seen.id, (_trx, locked) => Promise.resolve(decide(locked)));
  }

  /**
   * Applies `decide`, which writes in the transaction too, to the message as this run last saw it,
   * and writes the message last, by a conditional update that also publishes: no locked read
   * first. When another change came first, the transaction is undone and `decide` runs again on
   * the message read under its row lock.
   */
  private async changeWithin<T>(seen: Message, decide: Decide<T>): Promise<Changed<T> | undefined> {
    const done = await this.transaction(async (trx) => {
      const update = new MessageUpdate(seen, this.deps.clock.now().toISOString());
      const result = await decide(trx, update);
      const message = await update.commitIfUnchangedIn(trx, this.deps.storage.dialect, this.deps.events);
      if (!message) throw new ChangedMeanwhile();
      return { update, result, message };
    }).catch((error: unknown) => {
      if (error instanceof ChangedMeanwhile) return undefined;
      throw error;
    });
    return done ? this.changed(done.update, done.message, done.result) : this.changeLocked(seen.accountId, seen.id, decide);
  }

  /** Applies `decide` to the message under its row lock and commits it in that transaction; undefined when the message is gone. */
  private async changeLocked<T>(accountId: string, messageId: string, decide: Decide<T>): Promise<Changed<T> | undefined> {
    const done = await this.transaction(async (trx) => {
      const update = await this.lock(trx, accountId, messageId);
      if (!update) return undefined;
      const result = await decide(trx, update);
      return { update, result, message: await update.commit(trx, this.deps.storage.dialect, this.deps.events) };
    });
    return done && this.changed(done.update, done.message, done.result);
  }

  /** A committed change: counts the channels it skipped (once, whatever was tried before it committed). */
  private changed<T>(update: MessageUpdate, message: Message, result: T): Changed<T> {
    for (const attempt of update.attempts.slice(update.message.attempts.length)) {
      if (attempt.outcome === 'skipped' && attempt.provider === null) this.deps.stats.countAttempt(attempt.channel, 'skipped');
    }
    return { result, message };
  }

  private transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.deps.jobs.transaction(work);
  }
}

function ruleAt(message: Message, index: number): Rule {
  const input = message.rules[index];
  if (input === undefined) throw new Error(`message ${message.id} has no rule ${index}`);
  return typeof input === 'string' ? { channel: input } : input;
}
