import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a receiver endpoint answers: an HTTP status (with headers), or `hang` (never answers; the sender must time out). */
export type ReceiverAnswer = number | { status: number; headers: Record<string, string> } | 'hang';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as signed. */
  raw: string;
  body: { id: string; type: string; created_at: string; data: Record<string, any> };
}

/**
 * A local receiver of webhooks on a random port. Each endpoint is a path of its own, answering
 * the scripted statuses in order (the last one repeats; 204 when unscripted).
 */
export class WebhookReceiver {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
    readonly received: ReceivedWebhook[],
    private readonly scripts: Map<string, ReceiverAnswer[]>,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const received: ReceivedWebhook[] = [];
    const scripts = new Map<string, ReceiverAnswer[]>();
    const server = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      request.on('end', () => {
        const path = request.url ?? '/';
        received.push({ path, headers: request.headers, raw, body: JSON.parse(raw) as ReceivedWebhook['body'] });
        const script = scripts.get(path) ?? [];
        const answer = (script.length > 1 ? script.shift() : script[0]) ?? 204;
        if (answer === 'hang') return;
        const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
        response.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(`answer ${status}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, scripts);
  }

  /** A new endpoint URL answering `answers` in order. */
  endpoint(...answers: ReceiverAnswer[]): string {
    const path = `/hooks/${randomUUID()}`;
    this.scripts.set(path, answers);
    return `${this.origin}${path}`;
  }

  at(url: string): ReceivedWebhook[] {
    const path = new URL(url).pathname;
    return this.received.filter((request) => request.path === path);
  }

  /**
   * The events an endpoint received, in the order they were published (event ids are time-ordered):
   * deliveries run concurrently, so they may arrive in another order.
   */
  eventsAt(url: string): ReceivedWebhook['body'][] {
    return this.at(url).map((request) => request.body).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Verifies a delivery the way a receiver following Standard Webhooks would, written here from the
 * spec rather than reusing the server's code: HMAC-SHA256 keyed by the base64-decoded secret after
 * `whsec_` (a plain secret: its UTF-8 bytes), over `<webhook-id>.<webhook-timestamp>.<raw body>`,
 * compared with each `v1,` entry.
 */
export function verifyStandardWebhook(secret: string, request: ReceivedWebhook): boolean {
  const id = request.headers['webhook-id'];
  const timestamp = request.headers['webhook-timestamp'];
  const signatures = request.headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${request.raw}`).digest('base64');
  return signatures.split(' ').some((entry) => entry === `v1,${expected}`);
}
