import { z } from 'zod';
import type { ChannelWebhook, InboundReceipt, InboundWatermark } from '../../../ports/message-channels.js';
import { isoFromEpoch, metaSubscriptionChallenge, verifyHubSignature } from '../shared/graph.js';

const eventSchema = z.object({
  sender: z.object({ id: z.string() }).optional(),
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
 * Delivery receipts of the Messenger Platform (`message_deliveries`): one receipt per mid, at the
 * watermark. A delivery without mids (older Messenger clients) and a read receipt
 * (`message_reads`) carry only a watermark: "everything sent to this person until then was
 * delivered / read". Messages, postbacks and other events are ignored.
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
  watermarks(body) {
    return eventsOf(body).flatMap((event): InboundWatermark[] => {
      const address = event.sender?.id;
      if (address === undefined) return [];
      const marks: InboundWatermark[] = [];
      const deliveredUpTo = event.delivery !== undefined && (event.delivery.mids ?? []).length === 0 ? isoFromEpoch(event.delivery.watermark, 'ms') : undefined;
      if (deliveredUpTo !== undefined) marks.push({ channel: 'fbMessenger', status: 'delivered', address, upTo: deliveredUpTo });
      const readUpTo = event.read === undefined ? undefined : isoFromEpoch(event.read.watermark, 'ms');
      if (readUpTo !== undefined) marks.push({ channel: 'fbMessenger', status: 'read', address, upTo: readUpTo });
      return marks;
    });
  },
  subscriptionChallenge: metaSubscriptionChallenge,
};
