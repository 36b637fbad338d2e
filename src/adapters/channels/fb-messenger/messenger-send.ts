import { z } from 'zod';
import type { ChannelAdapter, OutboundMessage, ProviderConfig, SendResult } from '../../../ports/message-channels.js';
import { GRAPH_URL, classifyGraphError, graphVersion, withAppSecretProof } from '../shared/graph.js';
import {
  type AdapterOptions,
  type Attempt,
  channelAdapter,
  failed,
  jsonOf,
  misconfigured,
  postToProvider,
  providerUrl,
  rejected,
  textOf,
  tooLong,
} from '../shared/provider-http.js';

/** `channelOptions.fbMessenger`, spelled as the Send API spells it. */
const optionsSchema = z.object({
  tag: z.string().min(1).optional(),
  messaging_type: z.enum(['RESPONSE', 'UPDATE', 'MESSAGE_TAG']).optional(),
});

const successSchema = z.object({ message_id: z.string().min(1), recipient_id: z.string().optional() });

type Messaging = { messaging_type: 'RESPONSE' | 'UPDATE' } | { messaging_type: 'MESSAGE_TAG'; tag: string };

/**
 * A tag (`options.tag`) makes it a MESSAGE_TAG send, the only kind allowed outside the 24-hour
 * window; without one the default is UPDATE (a business-initiated message inside the window).
 */
function messagingOf(options: Record<string, unknown>): Messaging | SendResult {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) return rejected('invalid_options', `channelOptions.fbMessenger is not {tag?, messaging_type?}: ${parsed.error.message}`);
  const { tag, messaging_type: type } = parsed.data;
  if (tag !== undefined) {
    if (type !== undefined && type !== 'MESSAGE_TAG') return rejected('invalid_options', `a tag needs messaging_type MESSAGE_TAG, not ${type}`);
    return { messaging_type: 'MESSAGE_TAG', tag };
  }
  if (type === 'MESSAGE_TAG') return rejected('invalid_options', 'messaging_type MESSAGE_TAG needs a tag');
  return { messaging_type: type ?? 'UPDATE' };
}

/** The Send API takes text of "less than 2000 characters". */
const MAX_TEXT_CHARACTERS = 1999;

async function send(message: OutboundMessage, provider: ProviderConfig, signal: AbortSignal, { timeoutMs, egress }: Attempt): Promise<SendResult> {
  const accessToken = textOf(provider.credentials.accessToken);
  if (accessToken === undefined) return misconfigured(provider, 'credentials.accessToken (the page access token) is missing');
  const url = providerUrl(provider.baseUrl, GRAPH_URL, `${graphVersion(provider)}/me/messages`);
  if (url === undefined) return misconfigured(provider, `baseUrl ${JSON.stringify(provider.baseUrl)} is not an http(s) URL`);
  const messaging = messagingOf(message.options);
  if ('kind' in messaging) return messaging;
  const long = tooLong(message.body, MAX_TEXT_CHARACTERS, 'Messenger');
  if (long) return long;

  // The token travels in a header, not in `?access_token=`, so it stays out of URLs and their logs.
  const exchange = await postToProvider(
    withAppSecretProof(url, provider, accessToken),
    {
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ recipient: { id: message.to }, ...messaging, message: { text: message.body } }),
    },
    signal,
    { timeoutMs, egress },
  );
  if (!exchange.answered) return exchange.result;
  const { answer } = exchange;
  const body = jsonOf(answer);
  if (answer.status < 200 || answer.status > 299) return classifyGraphError(answer, body);
  const success = successSchema.safeParse(body);
  if (!success.success) return failed('unexpected_response', `HTTP ${answer.status} without message_id: ${answer.body.slice(0, 200)}`);
  return { kind: 'accepted', providerMessageId: success.data.message_id };
}

/** The Messenger Send API (`POST {baseUrl}/{apiVersion}/me/messages`). */
export function createFbMessengerAdapter(options: AdapterOptions = {}): ChannelAdapter {
  return channelAdapter('fbMessenger', options, send);
}
