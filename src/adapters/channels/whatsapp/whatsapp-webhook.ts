import { z } from 'zod';
import type { ChannelWebhook, InboundReceipt } from '../../../ports/message-channels.js';
import { isoFromEpoch, verifyHubSignature } from '../shared/graph.js';

const bodySchema = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.object({ changes: z.array(z.object({ value: z.object({ statuses: z.array(z.unknown()).optional() }).optional() })).optional() })),
});

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

/** Status notifications of the WhatsApp Cloud API; messages and other fields are ignored. */
export const whatsAppWebhook: ChannelWebhook = {
  channel: 'whatsApp',
  verify: (request, provider) => verifyHubSignature(request, provider),
  receipts(body) {
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) return [];
    const statuses = parsed.data.entry.flatMap((entry) => (entry.changes ?? []).flatMap((change) => change.value?.statuses ?? []));
    return statuses.map(receiptOf).filter((receipt) => receipt !== undefined);
  },
};
