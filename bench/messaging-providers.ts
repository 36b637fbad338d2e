/**
 * Stand-in providers for the messaging benchmark, a child process of its own (`startServer`,
 * PORT given), so their work is neither the server's nor the load generator's:
 *
 * - `POST /graph/{version}/{phoneNumberId}/messages` (WhatsApp Cloud API): refuses every message
 *   with Graph error 131026 "Message undeliverable" on a 400, as Meta does for a number that
 *   cannot receive it. The adapter classifies it `rejected` (the message's fault, not the
 *   provider's), so the circuit breaker stays closed and every message reaches the provider.
 * - `POST /twilio/2010-04-01/Accounts/{sid}/Messages.json` (Twilio Messages API): answers 201 with
 *   a new `sid`, then after BENCH_RECEIPT_DELAY_MS posts the status callback `delivered` to the
 *   message's `StatusCallback`, signed `X-Twilio-Signature` with the auth token of the request's
 *   Basic authorisation, as Twilio does.
 * - `POST /messenger/...` (Messenger Send API) and an SMTP server (email): configured so the rule's
 *   channels are all real, never expected to be used (counted when they are).
 * - `GET /pending`: status callbacks scheduled or on the way.
 * - `GET /records`: per recipient (the digits of the message's phone number), when WhatsApp's
 *   rejection was answered, when the SMS request arrived, and how its status callback went.
 *
 * Times are `performance.timeOrigin + performance.now()`: epoch milliseconds with a fraction,
 * comparable with the server's timestamps on the same machine.
 */
import { randomBytes } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { twilioSignature } from '../src/adapters/channels/sms/index.js';

export interface RecipientRecord {
  /** WhatsApp's rejection written. */
  rejectedAt?: number;
  /** The SMS provider's request arrived. */
  smsAt?: number;
  /** The status callback was sent, answered, and what the server said. */
  callbackAt?: number;
  callbackAnsweredAt?: number;
  callbackStatus?: number;
  callbackApplied?: number;
  /** Receipts naming no recorded send (`unknown`), and of those the ones the server held for it (`pending`). */
  callbackPending?: number;
  callbackUnknown?: number;
}

export interface ProviderRecords {
  recipients: Record<string, RecipientRecord>;
  /** Callbacks scheduled or on the way. */
  pendingCallbacks: number;
  /** Requests nothing should have made: Messenger sends, emails, unknown paths, callbacks that failed. */
  unexpected: { messenger: number; email: number; other: number; callbackErrors: number };
  smtpPort: number;
}

const now = () => performance.timeOrigin + performance.now();
const port = Number(process.env.PORT ?? '0');
const receiptDelayMs = Number(process.env.BENCH_RECEIPT_DELAY_MS ?? '50');

const records = new Map<string, RecipientRecord>();
const unexpected = { messenger: 0, email: 0, other: 0, callbackErrors: 0 };
let pendingCallbacks = 0;
const record = (to: string): RecipientRecord => {
  const key = to.replace(/\D/g, '');
  let entry = records.get(key);
  if (!entry) {
    entry = {};
    records.set(key, entry);
  }
  return entry;
};

const GRAPH_REJECTION = JSON.stringify({
  error: {
    message: '(#131026) Message undeliverable',
    type: 'OAuthException',
    code: 131026,
    error_data: { messaging_product: 'whatsapp', details: 'Message undeliverable: the recipient cannot receive this message' },
    fbtrace_id: 'AbenchTraceId',
  },
});

function answer(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

const callbackAgent = new Agent({ keepAlive: true, maxSockets: 64 });

/** Twilio's status callback: the form it posts, signed with the account's auth token over the callback URL. */
function statusCallback(url: string, authToken: string, params: URLSearchParams, entry: RecipientRecord): void {
  const body = params.toString();
  const target = new URL(url);
  entry.callbackAt = now();
  const request = httpRequest(
    {
      agent: callbackAgent,
      method: 'POST',
      hostname: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
        'x-twilio-signature': twilioSignature(authToken, url, params),
      },
    },
    (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        pendingCallbacks -= 1;
        entry.callbackAnsweredAt = now();
        entry.callbackStatus = response.statusCode ?? 0;
        try {
          const result = JSON.parse(text) as { applied?: number; pending?: number; unknown?: number };
          entry.callbackApplied = result.applied ?? 0;
          entry.callbackPending = result.pending ?? 0;
          entry.callbackUnknown = result.unknown ?? 0;
        } catch {
          unexpected.callbackErrors += 1;
        }
      });
    },
  );
  request.on('error', () => {
    pendingCallbacks -= 1;
    unexpected.callbackErrors += 1;
  });
  request.end(body);
}

function twilio(request: IncomingMessage, raw: string, response: ServerResponse): void {
  const arrived = now();
  const form = new URLSearchParams(raw);
  const to = form.get('To') ?? '';
  const entry = record(to);
  entry.smsAt = arrived;
  const [accountSid = '', authToken = ''] = Buffer.from((request.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8').split(':');
  const sid = `SM${randomBytes(16).toString('hex')}`;
  answer(response, 201, JSON.stringify({ sid, account_sid: accountSid, to, from: form.get('From'), status: 'queued', body: form.get('Body') }));
  const callback = form.get('StatusCallback');
  if (!callback) return;
  pendingCallbacks += 1;
  const params = new URLSearchParams({ AccountSid: accountSid, MessageSid: sid, SmsSid: sid, MessageStatus: 'delivered', To: to, From: form.get('From') ?? '' });
  setTimeout(() => statusCallback(callback, authToken, params, entry), receiptDelayMs);
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    // The path alone: Graph calls carry query parameters (appsecret_proof), which the real API takes too.
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method === 'GET' && path === '/health') return answer(response, 200, '{"status":"ok"}');
    if (request.method === 'GET' && path === '/pending') return answer(response, 200, JSON.stringify({ pendingCallbacks }));
    if (request.method === 'GET' && path === '/records') {
      const body: ProviderRecords = { recipients: Object.fromEntries(records), pendingCallbacks, unexpected, smtpPort };
      return answer(response, 200, JSON.stringify(body));
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    if (request.method === 'POST' && /^\/graph\/[^/]+\/[^/]+\/messages$/.test(path)) {
      const { to } = JSON.parse(raw) as { to: string };
      answer(response, 400, GRAPH_REJECTION);
      record(to).rejectedAt = now();
      return;
    }
    if (request.method === 'POST' && /^\/twilio\/2010-04-01\/Accounts\/[^/]+\/Messages\.json$/.test(path)) return twilio(request, raw, response);
    if (path.startsWith('/messenger/')) unexpected.messenger += 1;
    else unexpected.other += 1;
    answer(response, 500, '{"error":{"message":"not expected in this benchmark","code":2}}');
  });
});

const smtp = new SMTPServer({
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, _session, callback) {
    stream.resume();
    stream.on('end', () => {
      unexpected.email += 1;
      callback();
    });
  },
});
await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
const smtpPort = (smtp.server.address() as AddressInfo).port;

const stop = () => {
  server.close();
  smtp.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1');
