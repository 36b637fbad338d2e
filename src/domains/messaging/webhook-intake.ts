import { DomainError } from '../../kernel/errors.js';
import type { ChannelId, InboundMessage, InboundReceipt, InboundWatermark, WebhookRequest } from '../../ports/message-channels.js';
import type { Storage } from '../../ports/storage.js';
import type { ChannelConfigService } from './channel-config.service.js';
import type { ChannelWebhooks } from './messaging.model.js';
import { messagesRepo, toMessage, type DeliveredMessage, type DeliveryRow } from './messaging.repo.js';
import type { PendingReceipts } from './pending-receipts.js';
import type { ProfilesService } from './profiles.service.js';
import type { MessageReceipt, Receipts } from './receipts.js';
import { RequestVerifier } from './webhook-verification.js';

export interface WebhookIntakeDependencies {
  storage: Storage;
  channels: ChannelConfigService;
  receipts: Receipts;
  pending: PendingReceipts;
  profiles: ProfilesService;
  webhooks: ChannelWebhooks;
}

/**
 * What a provider's webhook did. `verified` false: refused (401), nothing changed. `unknown`:
 * receipts naming no recorded send; `pending`: of those, the ones kept for their send. `inbound`:
 * profiles whose WhatsApp window a customer's message opened or extended.
 */
export interface IntakeResult {
  verified: boolean;
  received: number;
  applied: number;
  unknown: number;
  pending: number;
  inbound: number;
}

/** How far back a watermark looks for the sends it covers, and how many it takes at most (the newest). */
const WATERMARK_LOOKBACK_MS = 7 * 24 * 60 * 60 * 1000;
const WATERMARK_SENDS = 100;
/** Receipts, watermarks and customers' messages one provider request may carry: Meta and Twilio send a few at a time. */
const MAX_ITEMS_PER_REQUEST = 1000;

const REFUSED: IntakeResult = { verified: false, received: 0, applied: 0, unknown: 0, pending: 0, inbound: 0 };

/**
 * Provider webhooks (`POST /webhooks/{channel}[/{account_id}]`) and their subscription handshake.
 *
 * A request is checked against what it names: each receipt against the provider its message went
 * out through (in that message's account), each inbound customer message against the providers of
 * the accounts holding a profile of its sender, serving the business address it was written to. A
 * request that verifies for none of the things it names is refused whole. On the account-scoped URL
 * it must first verify with one of that account's providers, and it reaches that account only.
 * Receipts naming no recorded send are held for it (`PendingReceipts`).
 */
export class WebhookIntake {
  constructor(private readonly deps: WebhookIntakeDependencies) {}

  async receive(channel: ChannelId, request: WebhookRequest, body: unknown, accountId?: string): Promise<IntakeResult> {
    const { channels, receipts, pending, profiles } = this.deps;
    const webhook = this.deps.webhooks[channel];
    if (!webhook) return REFUSED;
    const verifier = new RequestVerifier(channels, channel, (provider) => webhook.verify(request, provider));
    if (accountId !== undefined && !(await verifier.byAccount(accountId))) return REFUSED;
    const found = webhook.receipts(body).filter((receipt) => receipt.channel === channel);
    const marks = (webhook.watermarks?.(body) ?? []).filter((mark) => mark.channel === channel);
    // Only WhatsApp's customer-service window is tracked on profiles.
    const messages = (webhook.inbound?.(body) ?? []).filter((message) => message.channel === channel && channel === 'whatsApp');
    // Refused before anything is looked up: no anonymous request holds the server on thousands of lookups.
    if (found.length + marks.length + messages.length > MAX_ITEMS_PER_REQUEST) {
      throw new DomainError('payload_too_large', `a webhook request may carry at most ${MAX_ITEMS_PER_REQUEST} receipts`);
    }

    let verified = 0;
    let refused = 0;
    const known: MessageReceipt[] = [];
    const unmatched: InboundReceipt[] = [];
    for (const receipt of found) {
      const deliveries = await this.deliveriesOf(receipt, accountId);
      if (deliveries.length === 0) unmatched.push(receipt);
      for (const { delivery, message } of deliveries) {
        if (await verifier.byProvider(delivery.account_id, delivery.provider)) {
          verified += 1;
          known.push({ ...tiedTo(delivery, receipt), seen: toMessage(message) });
        } else refused += 1;
      }
    }
    // Watermarks and customers' messages name a person, which anyone can: one that verifies for
    // no account is answered as one that matches nothing, so the answer never tells whether some
    // tenant knows that person (a receipt's provider id cannot be guessed, and is refused as before).
    let uncovered = 0;
    for (const mark of marks) {
      let covered = 0;
      for (const { delivery, message } of await this.deliveriesCovered(mark, accountId)) {
        if (!(await verifier.byProvider(delivery.account_id, delivery.provider))) continue;
        covered += 1;
        known.push({ accountId: delivery.account_id, messageId: delivery.message_id, channel, status: mark.status, at: mark.upTo, seen: toMessage(message) });
      }
      verified += covered;
      if (covered === 0) uncovered += 1;
    }
    const windows: { accountId: string; message: InboundMessage }[] = [];
    for (const message of messages) {
      const accounts = accountId !== undefined ? [accountId] : await profiles.accountsByWhatsAppId(message.from);
      for (const account of accounts) {
        if ((await verifier.forInbound(account, message)) !== 'verified') continue;
        verified += 1;
        windows.push({ accountId: account, message });
      }
    }
    if (refused > 0 && verified === 0) return REFUSED;

    const result: IntakeResult = { verified: true, received: found.length + marks.length, applied: 0, unknown: uncovered, pending: 0, inbound: 0 };
    for (const receipt of known) if (await receipts.apply(receipt)) result.applied += 1;
    for (const receipt of unmatched) {
      const held = await pending.hold(receipt, request, accountId);
      if (held.kind === 'recorded') {
        // The send recorded its id meanwhile: an ordinary receipt after all.
        for (const delivery of held.deliveries) {
          if ((await verifier.byProvider(delivery.account_id, delivery.provider)) && (await receipts.apply(tiedTo(delivery, receipt)))) result.applied += 1;
        }
        continue;
      }
      result.unknown += 1;
      if (held.kind === 'held') result.pending += 1;
    }
    for (const { accountId: account, message } of windows) result.inbound += await profiles.recordInboundWhatsApp(account, message.from, message.at);
    return result;
  }

  /** The answer to a subscription handshake (`GET /webhooks/{channel}/{account_id}`) when one of the account's providers accepts it. */
  async challenge(channel: ChannelId, accountId: string, query: Record<string, unknown>): Promise<string | undefined> {
    const webhook = this.deps.webhooks[channel];
    if (!webhook?.subscriptionChallenge) return undefined;
    for (const provider of await this.deps.channels.providers(accountId, channel)) {
      const answer = provider.config === undefined ? undefined : webhook.subscriptionChallenge(query, provider.config);
      if (answer !== undefined) return answer;
    }
    return undefined;
  }

  /** The sends a receipt names, each with its message as it is now (read without a lock). */
  private async deliveriesOf(receipt: InboundReceipt, accountId: string | undefined): Promise<DeliveredMessage[]> {
    const deliveries = await messagesRepo(this.deps.storage.db, this.deps.storage.dialect).deliveredByProviderId(receipt.channel, receipt.providerMessageId);
    return accountId === undefined ? deliveries : deliveries.filter(({ delivery }) => delivery.account_id === accountId);
  }

  /** The sends to the watermark's person up to its time (the newest, within a week before it), each with its message as it is now. */
  private async deliveriesCovered(mark: InboundWatermark, accountId: string | undefined): Promise<DeliveredMessage[]> {
    const since = new Date(Date.parse(mark.upTo) - WATERMARK_LOOKBACK_MS).toISOString();
    const deliveries = await messagesRepo(this.deps.storage.db, this.deps.storage.dialect).deliveredTo(mark.channel, mark.address, since, mark.upTo, WATERMARK_SENDS);
    return accountId === undefined ? deliveries : deliveries.filter(({ delivery }) => delivery.account_id === accountId);
  }
}

function tiedTo(delivery: DeliveryRow, receipt: InboundReceipt): MessageReceipt {
  return { accountId: delivery.account_id, messageId: delivery.message_id, channel: receipt.channel, status: receipt.status, at: receipt.at, details: receipt.details };
}
