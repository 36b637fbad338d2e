import type { InboundReceipt } from '../../ports/message-channels.js';
import { heldElsewhere, reached } from './message-status.js';
import type { MessageUpdate } from './message-update.js';
import { ruleOf } from './messaging.model.js';

/**
 * The dedupe key of the `message.escalate` timer of a message's rule: one per rule, since the
 * timer of one rule runs the send that starts the next rule's.
 */
export const escalationKey = (messageId: string, rule: number) => `message.escalate:${messageId}:${rule}`;

/** What applying a receipt asks of the caller's transaction besides committing the update. */
export interface ReceiptEffect {
  /** The rule whose `until` wait ended (satisfied, or nothing left to wait for): cancel its escalation timer. */
  cancelEscalation: number | null;
  /** The channel that held the message lost it: the send goes on with the next rules. */
  resume: boolean;
}

/**
 * Applies one receipt to a message locked for update: undefined when it changes nothing (a channel
 * never offered the message, a status already passed). A receipt never lowers a status and never
 * sends anything itself; it ends the wait of an `until` rule it satisfies, and a failure of the
 * only channel holding the message asks for the send to go on (unless the message expired).
 */
export function applyReceipt(update: MessageUpdate, receipt: Pick<InboundReceipt, 'channel' | 'status' | 'at' | 'details'>, now: Date): ReceiptEffect | undefined {
  const { channel } = receipt;
  // Only a channel that was offered the message can report on it.
  if (update.channelStatus[channel] === undefined) return undefined;
  const details = [`${receipt.status} (reported ${receipt.at})`, receipt.details].filter(Boolean).join(': ');
  const before = update.status;
  if (!update.setChannel(channel, { status: receipt.status, details })) return undefined;
  // The channel that reached the customer is the message's channel (`?channel=`), also when its receipt comes late.
  if ((receipt.status === 'delivered' || receipt.status === 'read') && update.status !== before) update.channel = channel;
  // A provider that took the message and lost it later is an attempt that failed.
  if (receipt.status === 'failed') update.attempt({ channel, provider: update.channelStatus[channel]?.provider ?? null, outcome: 'failed', details });

  const waiting = update.routing === 'waiting' ? update.waitingRule : null;
  const effect: ReceiptEffect = { cancelEscalation: null, resume: false };
  const waitedOn = waiting === null ? undefined : update.message.rules[waiting];
  const waited = waitedOn === undefined ? undefined : ruleOf(waitedOn);
  // The customer got the message as far as the rule waits for, on its channel or a late one before it: no other channel is tried.
  if (waited?.until && reached(update.channelStatus[channel]?.status, waited.until)) {
    update.routing = 'done';
    update.waitingRule = null;
    effect.cancelEscalation = waiting;
  }
  const expired = update.message.expiresOn !== null && Date.parse(update.message.expiresOn) <= now.getTime();
  if (receipt.status === 'failed' && update.routing !== 'active' && !heldElsewhere(update.channelStatus, channel) && update.nextRule < update.message.rules.length && !expired) {
    // The channel that had the message lost it: the send goes on with the channels after it.
    update.routing = 'active';
    update.waitingRule = null;
    effect.cancelEscalation = waiting;
    effect.resume = true;
  } else if (receipt.status === 'failed' && update.routing === 'waiting' && !heldElsewhere(update.channelStatus, channel)) {
    update.routing = 'done';
    update.waitingRule = null;
  }
  return effect;
}
