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
} from '../shared/provider-http.js';

/** `channelOptions.whatsApp.template`: a pre-approved template, required outside the 24-hour window. */
const templateSchema = z.object({
  name: z.string().min(1),
  language: z.looseObject({ code: z.string().min(1) }),
  components: z.array(z.unknown()).optional(),
});

const successSchema = z.object({ messages: z.array(z.object({ id: z.string().min(1), message_status: z.string().optional() })).min(1) });

type Content = { type: 'text'; text: { body: string } } | { type: 'template'; template: z.infer<typeof templateSchema> };

function contentOf(message: OutboundMessage): Content | SendResult {
  if (message.options.template === undefined) return { type: 'text', text: { body: message.body } };
  const template = templateSchema.safeParse(message.options.template);
  if (!template.success) return rejected('invalid_options', `channelOptions.whatsApp.template is not {name, language: {code}, components?}: ${template.error.message}`);
  return { type: 'template', template: template.data };
}

async function send(message: OutboundMessage, provider: ProviderConfig, signal: AbortSignal, { timeoutMs, egress }: Attempt): Promise<SendResult> {
  const accessToken = textOf(provider.credentials.accessToken);
  const phoneNumberId = textOf(provider.settings.phoneNumberId);
  if (accessToken === undefined) return misconfigured(provider, 'credentials.accessToken is missing');
  if (phoneNumberId === undefined) return misconfigured(provider, 'settings.phoneNumberId is missing');
  const url = providerUrl(provider.baseUrl, GRAPH_URL, `${graphVersion(provider)}/${encodeURIComponent(phoneNumberId)}/messages`);
  if (url === undefined) return misconfigured(provider, `baseUrl ${JSON.stringify(provider.baseUrl)} is not an http(s) URL`);
  const content = contentOf(message);
  if ('kind' in content) return content;

  const exchange = await postToProvider(
    withAppSecretProof(url, provider, accessToken),
    {
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to: message.to, ...content }),
    },
    signal,
    { timeoutMs, egress },
  );
  if (!exchange.answered) return exchange.result;
  const { answer } = exchange;
  const body = jsonOf(answer);
  if (answer.status < 200 || answer.status > 299) return classifyGraphError(answer, body);
  const success = successSchema.safeParse(body);
  const sent = success.success ? success.data.messages[0] : undefined;
  if (sent === undefined) return failed('unexpected_response', `HTTP ${answer.status} without messages[0].id: ${answer.body.slice(0, 200)}`);
  return { kind: 'accepted', providerMessageId: sent.id, ...(sent.message_status === undefined ? {} : { details: `message_status ${sent.message_status}` }) };
}

/** The WhatsApp Cloud API (`POST {baseUrl}/{apiVersion}/{phoneNumberId}/messages`). */
export function createWhatsAppAdapter(options: AdapterOptions = {}): ChannelAdapter {
  return channelAdapter('whatsApp', options, send);
}
