import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChannelAdapter, ChannelId, ChannelWebhook, InboundReceipt, SendResult } from '../../src/ports/message-channels.js';

/** A JSON body parsed, a form as an object, anything else as text. */
function parse(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (contentType?.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** What a stand-in provider answers: a status and JSON body, or `drop` (the connection is destroyed). */
export type ProviderAnswer = { status: number; json?: unknown } | 'drop';

export interface ProviderRequest {
  endpoint: string;
  body: any;
  authorization: string | undefined;
  at: number;
}

/**
 * A local HTTP server standing in for channel providers. Each endpoint is a base URL of its own
 * (`http://127.0.0.1:<port>/<name>`) with its scripted answer and the requests it received.
 */
export class FakeProvider {
  readonly requests: ProviderRequest[] = [];
  private readonly answers = new Map<string, (body: any) => ProviderAnswer | Promise<ProviderAnswer>>();

  private constructor(private readonly server: Server, readonly origin: string) {}

  static async start(): Promise<FakeProvider> {
    let provider: FakeProvider | undefined = undefined;
    const server = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      request.on('end', () => {
        const endpoint = (request.url ?? '/').split('/')[1] ?? '';
        const body = parse(raw, request.headers['content-type']);
        provider?.requests.push({ endpoint, body, authorization: request.headers.authorization, at: Date.now() });
        const reply = (answer: ProviderAnswer) => {
          if (answer === 'drop') {
            request.socket.destroy();
            return;
          }
          response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.json ?? {}));
        };
        const answer = provider?.answers.get(endpoint)?.(body) ?? { status: 200, json: { id: `pm-${randomUUID()}` } };
        // An answer may wait for something first (a provider posting its status webhook before it answers the send).
        if (answer instanceof Promise) answer.then(reply, () => reply({ status: 500, json: { error: 'the scripted answer failed' } }));
        else reply(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    provider = new FakeProvider(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return provider;
  }

  /** A new endpoint answering with `answer` (default: 200 and a fresh provider message id); resolves to its base URL. */
  endpoint(answer?: (body: any) => ProviderAnswer | Promise<ProviderAnswer>): string {
    const name = `p${randomUUID().replaceAll('-', '')}`;
    if (answer) this.answers.set(name, answer);
    return `${this.origin}/${name}`;
  }

  script(baseUrl: string, answer: (body: any) => ProviderAnswer | Promise<ProviderAnswer>): void {
    this.answers.set(baseUrl.split('/').at(-1) ?? '', answer);
  }

  received(baseUrl: string): ProviderRequest[] {
    const name = baseUrl.split('/').at(-1);
    return this.requests.filter((request) => request.endpoint === name);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A generic HTTP adapter for tests: POSTs the message as JSON to `<baseUrl>/messages` with
 * `Authorization: Bearer <credentials.token>`; 2xx accepts (the answer's `id`), 4xx rejects, 5xx
 * or no answer fails.
 */
export function httpTestAdapter(channel: ChannelId): ChannelAdapter {
  return {
    channel,
    async send(message, provider, signal): Promise<SendResult> {
      try {
        const response = await fetch(`${provider.baseUrl}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${provider.credentials.token ?? ''}` },
          body: JSON.stringify({ ...message, provider: provider.name, settings: provider.settings }),
          signal,
        });
        const json = (await response.json().catch(() => ({}))) as { id?: string; error?: string };
        if (response.ok) return { kind: 'accepted', providerMessageId: json.id ?? 'none' };
        if (response.status >= 400 && response.status < 500 && response.status !== 429) return { kind: 'rejected', reason: json.error ?? `HTTP ${response.status}` };
        return { kind: 'failed', reason: json.error ?? `HTTP ${response.status}` };
      } catch (error) {
        return { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

/** Signs a test webhook body as `testWebhook` verifies it: hex HMAC-SHA256 under the provider's `appSecret`. */
export const signBody = (secret: string, body: string): string => createHmac('sha256', secret).update(body).digest('hex');

/** A status webhook for tests: `{"statuses": [{"id", "status", "at"}]}`, signed in `x-test-signature`. */
export function testWebhook(channel: ChannelId): ChannelWebhook {
  return {
    channel,
    verify({ rawBody, headers }, provider) {
      const secret = provider.credentials.appSecret;
      const given = headers['x-test-signature'];
      if (!secret || !given) return false;
      const expected = Buffer.from(signBody(secret, rawBody));
      const actual = Buffer.from(given);
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
    receipts(body): InboundReceipt[] {
      const statuses = (body as { statuses?: { id: string; status: InboundReceipt['status']; at: string }[] }).statuses ?? [];
      return statuses.map((status) => ({ channel, providerMessageId: status.id, status: status.status, at: status.at }));
    },
  };
}

/** Test adapters for every provider channel. */
export const TEST_ADAPTERS = { fbMessenger: httpTestAdapter('fbMessenger'), whatsApp: httpTestAdapter('whatsApp'), sms: httpTestAdapter('sms'), email: httpTestAdapter('email') };
export const TEST_WEBHOOKS = { fbMessenger: testWebhook('fbMessenger'), whatsApp: testWebhook('whatsApp'), sms: testWebhook('sms'), email: testWebhook('email') };
