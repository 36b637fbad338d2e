import { z } from 'zod';
import { ATTEMPT_OUTCOMES, CHANNEL_IDS, CHANNEL_STATUSES, MESSAGE_STATUSES, RECEIPT_GOALS } from './messaging.model.js';
import { emailAddress } from '../../kernel/email.js';

/** Client-chosen profile ids: the customer's id in the caller's own systems. */
export const profileIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,199}$/, 'must be 1 to 200 letters, digits or ._:@+- (starting with a letter or digit)');

export const channelIdSchema = z.enum(CHANNEL_IDS);
/** The most a waiting rule may wait for its receipt: a week. */
const MAX_WITHIN_S = 7 * 24 * 3600;
const MAX_BODY = 100_000;
const MAX_METADATA_BYTES = 16 * 1024;

const ruleObject = z
  .strictObject({
    channel: channelIdSchema,
    until: z.enum(RECEIPT_GOALS).optional(),
    within_s: z.number().int().min(1).max(MAX_WITHIN_S).optional(),
  })
  .refine((rule) => (rule.until === undefined) === (rule.within_s === undefined), { message: 'until and within_s go together', path: ['within_s'] });

export const ruleSchema = z.union([channelIdSchema, ruleObject], {
  error: `must be a channel id (${CHANNEL_IDS.join(', ')}) or an object {channel, until: delivered|read, within_s}`,
});

const rulesSchema = z
  .array(ruleSchema)
  .min(1, 'must list at least one channel')
  .max(CHANNEL_IDS.length)
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((rule, index) => {
      const channel = typeof rule === 'string' ? rule : rule.channel;
      if (seen.has(channel)) ctx.addIssue({ code: 'custom', path: [index], message: `lists ${channel} more than once` });
      seen.add(channel);
    });
  });

export const recipientSchema = z
  .strictObject({
    profileId: profileIdSchema.optional(),
    phoneNumber: z.string().min(1).max(32).optional(),
    email: emailAddress().max(320).optional(),
    fbMessengerId: z.string().min(1).max(256).optional(),
    whatsAppId: z.string().min(1).max(64).optional(),
  })
  .refine((to) => Object.values(to).some((value) => value !== undefined), { message: 'must name a profileId or at least one address' });

const options = z.record(z.string(), z.unknown());
const channelOptionsSchema = z.strictObject({
  appMessaging: options.optional(),
  fbMessenger: options.optional(),
  // A template (required outside the 24-hour window) is passed to the WhatsApp adapter as given.
  whatsApp: z.looseObject({ template: z.looseObject({ name: z.string().min(1).max(512) }).optional() }).optional(),
  sms: options.optional(),
  email: options.optional(),
});
const text = z.string().min(1).max(MAX_BODY);
const customBodySchema = z.strictObject({ appMessaging: text.optional(), fbMessenger: text.optional(), whatsApp: text.optional(), sms: text.optional(), email: text.optional() });

export const sendMessageBody = z.strictObject({
  body: text,
  title: z.string().max(1000).nullish(),
  to: recipientSchema,
  rules: rulesSchema,
  channelOptions: channelOptionsSchema.optional(),
  customBody: customBodySchema.optional(),
  metadata: z.record(z.string(), z.unknown()).refine((value) => JSON.stringify(value).length <= MAX_METADATA_BYTES, { message: `must be at most ${MAX_METADATA_BYTES} bytes of JSON` }).optional(),
  expiresOn: z.iso.datetime({ offset: true }).optional(),
});

export const sendMessageResult = z.object({ messageId: z.string(), status: z.enum(MESSAGE_STATUSES) });

const channelStateSchema = z.object({ status: z.enum(CHANNEL_STATUSES), details: z.string(), updatedOn: z.string(), provider: z.string().nullable().optional() });

export const messageSchema = z.object({
  messageId: z.string(),
  status: z.enum(MESSAGE_STATUSES),
  body: z.string(),
  title: z.string().nullable(),
  to: z.object({ profileId: z.string().optional(), phoneNumber: z.string().optional(), email: z.string().optional(), fbMessengerId: z.string().optional(), whatsAppId: z.string().optional() }),
  rules: z.array(ruleSchema),
  channelOptions: z.record(z.string(), z.unknown()),
  customBody: z.record(z.string(), z.string()),
  metadata: z.record(z.string(), z.unknown()),
  expiresOn: z.string().nullable(),
  createdOn: z.string(),
  updatedOn: z.string(),
  statusDetails: z.object({ channelStatus: z.partialRecord(channelIdSchema, channelStateSchema) }),
  attempts: z.array(z.object({ channel: channelIdSchema, provider: z.string().nullable(), outcome: z.enum(ATTEMPT_OUTCOMES), details: z.string(), at: z.string() })),
});

export const messagesQuery = z.strictObject({
  status: z.enum(MESSAGE_STATUSES).optional(),
  channel: channelIdSchema.optional().describe('The channel that (last) accepted the message'),
  profileId: profileIdSchema.optional(),
  created_from: z.iso.datetime({ offset: true }).optional(),
  created_to: z.iso.datetime({ offset: true }).optional(),
});

const phoneNumber = z.string().min(1).max(32).nullish();
const fbMessengerId = z.string().min(1).max(256).nullish();
const whatsAppId = z.string().min(1).max(64).nullish();
/** The addresses' names in a send's `to` (camelCase, the vendor's), accepted beside the snake_case ones. */
const TO_NAMES = { phoneNumber: 'phone_number', fbMessengerId: 'fb_messenger_id', whatsAppId: 'whatsapp_id' } as const;

export const profileBody = z
  .strictObject({
    phone_number: phoneNumber,
    email: emailAddress().max(320).nullish(),
    fb_messenger_id: fbMessengerId,
    whatsapp_id: whatsAppId,
    opt_outs: z.array(channelIdSchema).max(CHANNEL_IDS.length).optional().describe('Channels the customer does not want to be messaged on'),
    last_inbound_whatsapp_at: z.iso.datetime({ offset: true }).nullish().describe("The customer's last WhatsApp message: the 24-hour window runs from it"),
    phoneNumber: phoneNumber.describe('phone_number, as `to` names it'),
    fbMessengerId: fbMessengerId.describe('fb_messenger_id, as `to` names it'),
    whatsAppId: whatsAppId.describe('whatsapp_id, as `to` names it'),
  })
  .superRefine((body, ctx) => {
    for (const alias of Object.keys(TO_NAMES) as (keyof typeof TO_NAMES)[]) {
      const name = TO_NAMES[alias];
      if (body[alias] !== undefined && body[name] !== undefined) ctx.addIssue({ code: 'custom', path: [alias], message: `names the same address as ${name}: give one of them` });
    }
  })
  .transform(({ phoneNumber: phone, fbMessengerId: messenger, whatsAppId: whatsApp, ...body }) => ({
    ...body,
    phone_number: body.phone_number === undefined ? phone : body.phone_number,
    fb_messenger_id: body.fb_messenger_id === undefined ? messenger : body.fb_messenger_id,
    whatsapp_id: body.whatsapp_id === undefined ? whatsApp : body.whatsapp_id,
  }));

export const profileSchema = z.object({
  profile_id: z.string(),
  phone_number: z.string().nullable(),
  email: z.string().nullable(),
  fb_messenger_id: z.string().nullable(),
  whatsapp_id: z.string().nullable(),
  opt_outs: z.array(channelIdSchema),
  last_inbound_whatsapp_at: z.string().nullable(),
  app: z.object({ token_issued_at: z.string().nullable() }),
  created_at: z.string(),
  updated_at: z.string(),
});

export const appTokenSchema = z.object({ profile_id: z.string(), token: z.string().describe('Shown once; only its hash is stored'), issued_at: z.string() });

const providerName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'must be 1 to 64 letters, digits, spaces or ._- (starting with a letter or digit)');
const providerSchema = z.strictObject({
  name: providerName,
  base_url: z.string().max(2000).refine((value) => URL.canParse(value), { message: 'must be an absolute URL' }).optional(),
  credentials: z.record(z.string().min(1).max(100), z.string().max(10_000)).default({}),
  settings: z.record(z.string().min(1).max(100), z.union([z.string().max(2000), z.number(), z.boolean()])).default({}),
});

export const channelConfigBody = z.strictObject({
  providers: z
    .array(providerSchema)
    .min(1, 'must list at least one provider')
    .max(10)
    .superRefine((providers, ctx) => {
      const seen = new Set<string>();
      providers.forEach((provider, index) => {
        if (seen.has(provider.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `names ${provider.name} more than once` });
        seen.add(provider.name);
      });
    }),
});

export const channelConfigSchema = z.object({
  channel: channelIdSchema,
  providers: z.array(z.object({ name: z.string(), base_url: z.string(), settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])), credential_names: z.array(z.string()) })),
  updated_at: z.string().nullable(),
});
