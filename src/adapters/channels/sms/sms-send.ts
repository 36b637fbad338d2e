import { z } from 'zod';
import type { ChannelAdapter, OutboundMessage, ProviderConfig, SendResult } from '../../../ports/message-channels.js';
import {
  type AdapterOptions,
  type Attempt,
  byStatus,
  channelAdapter,
  failed,
  jsonOf,
  misconfigured,
  postToProvider,
  type ProviderAnswer,
  providerUrl,
  rejected,
  textOf,
  tooLong,
} from '../shared/provider-http.js';

/** Where the Messages API lives when the provider's `baseUrl` is empty. */
const TWILIO_URL = 'https://api.twilio.com';

const successSchema = z.object({ sid: z.string().min(1), status: z.string().optional() });
const errorSchema = z.object({ code: z.number(), message: z.string().optional(), more_info: z.string().optional() });
const optionsSchema = z.object({ from: z.string().min(1).optional() });

/** Twilio error codes that mean "busy or broken, try again later". */
const TRANSIENT_CODES = new Set([20429, 20500, 20503]);
/** Codes that break every message of the provider: authentication, inactive or unknown account. */
const PROVIDER_WIDE_CODES = new Set([20003, 20005, 20404]);

function classifyError(answer: ProviderAnswer): SendResult {
  const parsed = errorSchema.safeParse(jsonOf(answer));
  if (!parsed.success) return byStatus(answer, `HTTP ${answer.status} without a Twilio error: ${answer.body.slice(0, 200)}`);
  const { code, message, more_info: moreInfo } = parsed.data;
  const reason = `Twilio error ${code}: ${message ?? 'no message'}${moreInfo === undefined ? '' : ` (${moreInfo})`}`;
  if (TRANSIENT_CODES.has(code) || PROVIDER_WIDE_CODES.has(code)) return failed(String(code), reason);
  return byStatus(answer, reason, String(code));
}

/** `From` (the caller's `options.from`, else `settings.from`) and/or the account's Messaging Service. */
function senderOf(message: OutboundMessage, provider: ProviderConfig): { fields: Record<string, string> } | SendResult {
  const options = optionsSchema.safeParse(message.options);
  if (!options.success) return rejected('invalid_options', `channelOptions.sms is not {from?}: ${options.error.message}`);
  const from = options.data.from ?? textOf(provider.settings.from);
  const service = textOf(provider.settings.messagingServiceSid);
  if (from === undefined && service === undefined) return misconfigured(provider, 'neither settings.from nor settings.messagingServiceSid is set');
  return { fields: { ...(from === undefined ? {} : { From: from }), ...(service === undefined ? {} : { MessagingServiceSid: service }) } };
}

/** Twilio's Messages API takes a Body of at most 1,600 characters. */
const MAX_BODY_CHARACTERS = 1600;

async function send(message: OutboundMessage, provider: ProviderConfig, signal: AbortSignal, { timeoutMs, egress }: Attempt): Promise<SendResult> {
  const accountSid = textOf(provider.credentials.accountSid);
  // An API key (Twilio's recommended credential) signs in when given; else the account's auth token.
  const apiKeySid = textOf(provider.credentials.apiKeySid);
  const apiKeySecret = textOf(provider.credentials.apiKeySecret);
  const authToken = textOf(provider.credentials.authToken);
  const login = apiKeySid !== undefined && apiKeySecret !== undefined ? `${apiKeySid}:${apiKeySecret}` : authToken === undefined ? undefined : `${accountSid ?? ''}:${authToken}`;
  if (accountSid === undefined || login === undefined) {
    return misconfigured(provider, 'credentials.accountSid and either credentials.apiKeySid with credentials.apiKeySecret, or credentials.authToken, are required');
  }
  const url = providerUrl(provider.baseUrl, TWILIO_URL, `2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`);
  if (url === undefined) return misconfigured(provider, `baseUrl ${JSON.stringify(provider.baseUrl)} is not an http(s) URL`);
  const sender = senderOf(message, provider);
  if ('kind' in sender) return sender;
  const long = tooLong(message.body, MAX_BODY_CHARACTERS, 'SMS');
  if (long) return long;
  const statusCallback = textOf(provider.settings.statusCallbackUrl);

  const form = new URLSearchParams({ To: message.to, ...sender.fields, Body: message.body, ...(statusCallback === undefined ? {} : { StatusCallback: statusCallback }) });
  const exchange = await postToProvider(
    url,
    {
      headers: {
        authorization: `Basic ${Buffer.from(login, 'utf8').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
    },
    signal,
    { timeoutMs, egress },
  );
  if (!exchange.answered) return exchange.result;
  const { answer } = exchange;
  if (answer.status < 200 || answer.status > 299) return classifyError(answer);
  const success = successSchema.safeParse(jsonOf(answer));
  if (!success.success) return failed('unexpected_response', `HTTP ${answer.status} without sid: ${answer.body.slice(0, 200)}`);
  return { kind: 'accepted', providerMessageId: success.data.sid, ...(success.data.status === undefined ? {} : { details: `status ${success.data.status}` }) };
}

/** A Twilio-compatible Programmable Messaging API (`POST {baseUrl}/2010-04-01/Accounts/{accountSid}/Messages.json`). */
export function createSmsAdapter(options: AdapterOptions = {}): ChannelAdapter {
  return channelAdapter('sms', options, send);
}
