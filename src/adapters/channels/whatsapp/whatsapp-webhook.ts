import { z } from 'zod';
import type { ChannelWebhook, InboundMessage, InboundReceipt } from '../../../ports/message-channels.js';
import { isoFromEpoch, metaSubscriptionChallenge, verifyHubSignature } from '../shared/graph.js';

const valueSchema = z.object({
  metadata: z.object({ phone_number_id: z.union([z.string(), z.number()]).optional() }).optional(),
  statuses: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
});

const bodySchema = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.object({ changes: z.array(z.object({ value: valueSchema.optional() })).optional() })),
});

/** A customer's message (`value.messages[]`): whatever its type, it opens the 24-hour window. */
const messageSchema = z.object({ from: z.string().min(1), timestamp: z.union([z.string(), z.number()]) });

function valuesOf(body: unknown): z.infer<typeof valueSchema>[] {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) return [];
  return parsed.data.entry.flatMap((entry) => (entry.changes ?? []).flatMap((change) => (change.value === undefined ? [] : [change.value])));
}

function inboundOf(raw: unknown, phoneNumberId: string | undefined): InboundMessage | undefined {
  const parsed = messageSchema.safeParse(raw);
  const at = parsed.success ? isoFromEpoch(parsed.data.timestamp, 's') : undefined;
  if (!parsed.success || at === undefined) return undefined;
  const message: InboundMessage = { channel: 'whatsApp', from: parsed.data.from, at };
  return phoneNumberId === undefined ? message : { ...message, to: { setting: 'phoneNumberId', value: phoneNumberId } };
}

const statusSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  timestamp: z.union([z.string(), z.number()]),
  errors: z
    .array(z.object({ code: z.number().optional(), title: z.string().optional(), message: z.string().optional(), error_data: z.object({ details: z.string().optional() }).optional() }))
    .optional(),
});

const STATUSES = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' } as const satisfies Record<string, InboundReceipt['status']>;

const isKnownStatus = (status: string): status is keyof typeof STATUSES => Object.hasOwn(STATUSES, status);

function receiptOf(raw: unknown): InboundReceipt | undefined {
  const parsed = statusSchema.safeParse(raw);
  if (!parsed.success || !isKnownStatus(parsed.data.status)) return undefined; // e.g. `deleted`, `warning`
  const at = isoFromEpoch(parsed.data.timestamp, 's');
  if (at === undefined) return undefined;
  const receipt: InboundReceipt = { channel: 'whatsApp', providerMessageId: parsed.data.id, status: STATUSES[parsed.data.status], at };
  const error = parsed.data.errors?.[0];
  if (error === undefined) return receipt;
  const details = [error.code === undefined ? undefined : `error ${error.code}`, error.title ?? error.message, error.error_data?.details].filter((part) => part !== undefined);
  return { ...receipt, details: details.join(': ') };
}

/**
 * Webhooks of the WhatsApp Cloud API (field `messages`): status notifications become receipts;
 * customers' messages become inbound messages (sender, time, and the business phone number id
 * they were written to); other fields are ignored.
 */
export const whatsAppWebhook: ChannelWebhook = {
  channel: 'whatsApp',
  verify: (request, provider) => verifyHubSignature(request, provider),
  receipts(body) {
    return valuesOf(body)
      .flatMap((value) => value.statuses ?? [])
      .map(receiptOf)
      .filter((receipt) => receipt !== undefined);
  },
  inbound(body) {
    return valuesOf(body).flatMap((value) => {
      const phoneNumberId = value.metadata?.phone_number_id === undefined ? undefined : String(value.metadata.phone_number_id);
      return (value.messages ?? []).map((raw) => inboundOf(raw, phoneNumberId)).filter((message) => message !== undefined);
    });
  },
  subscriptionChallenge: metaSubscriptionChallenge,
};
