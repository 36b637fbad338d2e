import { z } from 'zod';
import type { ChannelWebhook, InboundReceipt } from '../../../ports/message-channels.js';
import { isoFromEpoch, metaSubscriptionChallenge, verifyHubSignature } from '../shared/graph.js';

const eventSchema = z.object({
  sender: z.object({ id: z.string() }).optional(),
  recipient: z.object({ id: z.string() }).optional(),
  delivery: z.object({ mids: z.array(z.string()).optional(), watermark: z.union([z.number(), z.string()]) }).optional(),
  read: z.object({ watermark: z.union([z.number(), z.string()]) }).optional(),
});

const bodySchema = z.object({
  object: z.literal('page'),
  entry: z.array(z.object({ messaging: z.array(z.unknown()).optional() })),
});

function eventsOf(body: unknown): z.infer<typeof eventSchema>[] {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) return [];
  return parsed.data.entry.flatMap((entry) => entry.messaging ?? []).flatMap((raw) => {
    const event = eventSchema.safeParse(raw);
    return event.success ? [event.data] : [];
  });
}

/**
 * "Everything sent to this person before `upTo` was delivered/read": what a read receipt (and a
 * delivery receipt without `mids`) says. It names no message, so `receipts` cannot carry it; a
 * caller that wants it matches it against the messages it sent to `psid` from `pageId` until `upTo`.
 */
export interface MessengerWatermark {
  status: 'delivered' | 'read';
  /** The person (the event's sender). */
  psid: string;
  /** The page (the event's recipient), when given. */
  pageId: string | undefined;
  upTo: string;
}

export function messengerWatermarks(body: unknown): MessengerWatermark[] {
  return eventsOf(body).flatMap((event): MessengerWatermark[] => {
    const psid = event.sender?.id;
    if (psid === undefined) return [];
    const marks: MessengerWatermark[] = [];
    const deliveredUpTo = event.delivery !== undefined && (event.delivery.mids ?? []).length === 0 ? isoFromEpoch(event.delivery.watermark, 'ms') : undefined;
    if (deliveredUpTo !== undefined) marks.push({ status: 'delivered', psid, pageId: event.recipient?.id, upTo: deliveredUpTo });
    const readUpTo = event.read === undefined ? undefined : isoFromEpoch(event.read.watermark, 'ms');
    if (readUpTo !== undefined) marks.push({ status: 'read', psid, pageId: event.recipient?.id, upTo: readUpTo });
    return marks;
  });
}

/**
 * Delivery receipts of the Messenger Platform (`message_deliveries`), one receipt per mid, at the
 * watermark. Read receipts (`message_reads`) only carry a watermark and are left to
 * `messengerWatermarks`; messages, postbacks and other events are ignored.
 */
export const fbMessengerWebhook: ChannelWebhook = {
  channel: 'fbMessenger',
  verify: (request, provider) => verifyHubSignature(request, provider),
  receipts(body) {
    return eventsOf(body).flatMap((event): InboundReceipt[] => {
      if (event.delivery === undefined) return [];
      const at = isoFromEpoch(event.delivery.watermark, 'ms');
      if (at === undefined) return [];
      return (event.delivery.mids ?? []).map((mid) => ({ channel: 'fbMessenger', providerMessageId: mid, status: 'delivered', at }));
    });
  },
  subscriptionChallenge: metaSubscriptionChallenge,
};
