import { expectStatus, request } from './lib/http.js';
import type { Load } from './lib/measure.js';
import type { ServerProcess } from './lib/processes.js';
import { ADMIN_TOKEN } from './continuity.js';
import { summarise, type Summary } from './callbacks-dispatch.js';
import type { ProviderRecords, RecipientRecord } from './messaging-providers.js';

/**
 * The messaging benchmark's account, load and read-back: every message goes to a customer who
 * has no Messenger id (skipped), whose WhatsApp provider rejects it, whose SMS provider accepts
 * it and reports it `delivered`, with email as the fourth channel.
 */
export const RULES = ['fbMessenger', 'whatsApp', 'sms', 'email'] as const;
export const EXPECTED_TRAIL = 'fbMessenger:skipped whatsApp:rejected sms:accepted';

const TWILIO = { accountSid: 'ACbench0000000000000000000000000000', authToken: 'bench-twilio-auth-token-0123456789' };
const META = { accessToken: 'bench-meta-access-token', appSecret: 'bench-meta-app-secret-0123456789' };
/** Outside the 24-hour window WhatsApp takes only templates: with one, WhatsApp is tried (and rejects). */
const TEMPLATE = { name: 'order_update', language: { code: 'en_US' } };

export interface MessagingFixture {
  token: string;
}

/** An account, a client with messages:* scopes, and the four channels pointed at the stand-ins, all through the API. */
export async function prepareMessaging(base: string, providers: ServerProcess): Promise<MessagingFixture> {
  const account = await expectStatus<{ id: string }>(201, base, 'POST', '/admin/accounts', { token: ADMIN_TOKEN, body: { name: 'Messaging benchmark' } });
  const client = await expectStatus<{ client_id: string; client_secret: string }>(201, base, 'POST', `/admin/accounts/${account.body.id}/clients`, {
    token: ADMIN_TOKEN,
    body: { name: 'bench-messaging', scopes: ['messages:read', 'messages:write'] },
  });
  const issued = await expectStatus<{ access_token: string }>(200, base, 'POST', '/oauth/token', {
    body: { grant_type: 'client_credentials', client_id: client.body.client_id, client_secret: client.body.client_secret },
  });
  const token = issued.body.access_token;
  await configureChannels(base, { token }, providers, base);
  return { token };
}

/** The four channels pointed at the stand-ins; the SMS stand-in posts its status callbacks to `callbackBase`. */
export async function configureChannels(base: string, fixture: MessagingFixture, providers: ServerProcess, callbackBase: string): Promise<void> {
  const { token } = fixture;
  const { smtpPort } = await records(providers);
  const channels = {
    fbMessenger: { name: 'messenger', base_url: `${providers.url}/messenger`, credentials: META, settings: {} },
    whatsApp: { name: 'whatsapp-cloud', base_url: `${providers.url}/graph`, credentials: META, settings: { phoneNumberId: '106540352242922' } },
    sms: { name: 'twilio', base_url: `${providers.url}/twilio`, credentials: TWILIO, settings: { from: '+14155550199', statusCallbackUrl: `${callbackBase}/webhooks/sms` } },
    email: { name: 'smtp', base_url: `smtp://127.0.0.1:${smtpPort}`, credentials: {}, settings: { from: 'Acme Support <support@acme.example>' } },
  };
  for (const [channel, provider] of Object.entries(channels)) {
    await expectStatus(200, base, 'PUT', `/channels/${channel}`, { token, body: { providers: [provider] } });
  }
}

/**
 * The recipient's number: `1 <200 + the phase prefix's character code> <thread> <counter, six
 * digits>`, unique per request and phase; `+` and it for SMS, the digits for WhatsApp.
 */
const numberOf = (prefix: string, thread: number, counter: number) => `1${200 + prefix.charCodeAt(0)}${thread}${String(counter).padStart(6, '0')}`;

/** The phase prefix a recipient's number was built with. */
export const prefixOf = (number: string): string => String.fromCharCode(Number(number.replace(/\D/g, '').slice(1, 4)) - 200);

const NUMBER = '{{number}}';
const BODY = JSON.stringify({
  body: 'Your order has shipped and arrives tomorrow between 9:00 and 13:00.',
  to: { phoneNumber: `+${NUMBER}`, whatsAppId: NUMBER, email: 'customer@example.com' },
  rules: RULES,
  channelOptions: { whatsApp: { template: TEMPLATE } },
});
const [HEAD = '', MIDDLE = '', TAIL = ''] = BODY.split(NUMBER);

export function messagingLoad(fixture: MessagingFixture): Load {
  const lua = (text: string) => JSON.stringify(text);
  return {
    path: '/messages',
    headers: { authorization: `Bearer ${fixture.token}` },
    body: (prefix, i) => {
      const number = numberOf(prefix, 1, i + 1);
      return `${HEAD}${number}${MIDDLE}${number}${TAIL}`;
    },
    wrk: {
      lua: {
        prelude: [
          `local head, middle, tail = ${lua(HEAD)}, ${lua(MIDDLE)}, ${lua(TAIL)}`,
          'local function message(prefix, thread_id, counter)',
          "  local number = string.format('1%03d%d%06d', 200 + string.byte(prefix), thread_id, counter)",
          '  return head .. number .. middle .. number .. tail',
          'end',
        ].join('\n'),
        body: 'message(prefix, thread_id, counter)',
      },
    },
  };
}

export async function records(providers: ServerProcess): Promise<ProviderRecords> {
  return (await expectStatus<ProviderRecords>(200, providers.url, 'GET', '/records')).body;
}

interface Attempt {
  channel: string;
  outcome: string;
  at: string;
}

export interface MessageView {
  messageId: string;
  status: string;
  to: { phoneNumber?: string };
  createdOn: string;
  statusDetails: { channelStatus: Record<string, { status: string; updatedOn: string } | undefined> };
  attempts: Attempt[];
}

const total = async (base: string, fixture: MessagingFixture, query = ''): Promise<number> =>
  (await expectStatus<{ total: number }>(200, base, 'GET', `/messages?per_page=1${query}`, { token: fixture.token })).body.total;

/**
 * How many messages the account holds once the count stops moving: the sends of an attempt just
 * measured (wrk stops with requests still in flight) land before it is read.
 */
export async function storedMessages(base: string, fixture: MessagingFixture): Promise<number> {
  let last = await total(base, fixture);
  for (;;) {
    await new Promise((r) => setTimeout(r, 300));
    const now = await total(base, fixture);
    if (now === last) return now;
    last = now;
  }
}

/** One message through the whole path before anything is measured: the stand-ins and the rule work as intended. */
export async function checkOneMessage(base: string, fixture: MessagingFixture, load: Load): Promise<void> {
  const sent = await request<{ messageId: string }>(base, 'POST', '/messages', { token: fixture.token, body: JSON.parse(load.body('0', 0)) as unknown });
  if (sent.status !== 201) throw new Error(`POST /messages answered ${sent.status}: ${sent.text}`);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const view = (await expectStatus<MessageView>(200, base, 'GET', `/messages/${sent.body.messageId}`, { token: fixture.token })).body;
    if (view.status === 'delivered' && trail(view) === EXPECTED_TRAIL) return;
    if (Date.now() > deadline) throw new Error(`the sample message is ${view.status} after 10 s: ${JSON.stringify(view)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until no message is processing and the SMS stand-in has no status callback left to post:
 * the work the load left behind is done. Resolves to how long that took.
 */
export async function drain(base: string, fixture: MessagingFixture, providers: ServerProcess, timeoutMs = 300_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const processing = await total(base, fixture, '&status=processing');
    const pending = processing === 0 ? (await expectStatus<{ pendingCallbacks: number }>(200, providers.url, 'GET', '/pending')).body.pendingCallbacks : -1;
    if (processing === 0 && pending === 0) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`after ${timeoutMs / 1000} s, ${processing} messages are still processing and ${pending} status callbacks pending`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every message of the account through `GET /messages`, newest first, 500 a page. */
export async function allMessages(base: string, fixture: MessagingFixture): Promise<MessageView[]> {
  type Page = { _embedded: { messages: MessageView[] }; _links: { next?: { href: string } } };
  const all: MessageView[] = [];
  let path: string | undefined = '/messages?per_page=500';
  while (path !== undefined) {
    const page: Page = (await expectStatus<Page>(200, base, 'GET', path, { token: fixture.token })).body;
    all.push(...page._embedded.messages);
    const next = page._links.next === undefined ? undefined : new URL(page._links.next.href, base);
    path = next === undefined ? undefined : `${next.pathname}${next.search}`;
  }
  return all;
}

export const trail = (view: { attempts: Attempt[] }) => view.attempts.map((a) => `${a.channel}:${a.outcome}`).join(' ');

export interface DeliveryStats {
  messages: number;
  delivered: number;
  /** Messages whose attempts were exactly EXPECTED_TRAIL. */
  expected: number;
  /** Other outcomes, with how many messages ended so (at most five kinds). */
  others: string[];
  /** WhatsApp's rejection recorded → the SMS attempt recorded, from the message's attempts (server clock). */
  fallback: Summary;
  /** WhatsApp's stand-in wrote the rejection → the SMS stand-in received the send. */
  fallbackAtProviders: Summary;
  /** createdOn → the SMS provider's acceptance recorded. */
  toSent: Summary;
  /** createdOn → the `delivered` receipt applied. */
  toDelivered: Summary;
  /** Status callbacks that came before the server had recorded the SMS send (`unknown`): held for it (`pending`), or ignored. */
  receiptsEarly: { held: number; ignored: number };
  /** Status callbacks answered other than 200. */
  receiptsRefused: number;
}

const at = (iso: string | undefined) => (iso === undefined ? NaN : Date.parse(iso));

/** The delivery figures of the messages sent with `prefix`, read back through the API and joined with the stand-ins' records. */
export function deliveryStats(messages: MessageView[], prefix: string, providers: ProviderRecords): DeliveryStats {
  const mine = messages.filter((m) => m.to.phoneNumber !== undefined && prefixOf(m.to.phoneNumber) === prefix);
  const fallback: number[] = [];
  const atProviders: number[] = [];
  const toSent: number[] = [];
  const toDelivered: number[] = [];
  const otherTrails = new Map<string, number>();
  let delivered = 0;
  let expected = 0;
  const receiptsEarly = { held: 0, ignored: 0 };
  let receiptsRefused = 0;
  for (const m of mine) {
    const path = trail(m);
    if (path === EXPECTED_TRAIL) expected += 1;
    else otherTrails.set(`${m.status}: ${path}`, (otherTrails.get(`${m.status}: ${path}`) ?? 0) + 1);
    const rejected = m.attempts.find((a) => a.channel === 'whatsApp' && a.outcome === 'rejected');
    const accepted = m.attempts.find((a) => a.channel === 'sms' && a.outcome === 'accepted');
    const created = at(m.createdOn);
    if (rejected && accepted) fallback.push(at(accepted.at) - at(rejected.at));
    if (accepted) toSent.push(at(accepted.at) - created);
    const sms = m.statusDetails.channelStatus.sms;
    if (m.status === 'delivered' && sms?.status === 'delivered') {
      delivered += 1;
      toDelivered.push(at(sms.updatedOn) - created);
    }
    const record: RecipientRecord | undefined = providers.recipients[(m.to.phoneNumber ?? '').replace(/\D/g, '')];
    if (record?.rejectedAt !== undefined && record.smsAt !== undefined) atProviders.push(record.smsAt - record.rejectedAt);
    // `pending` counts the `unknown` receipts the server kept for their send.
    const early = record?.callbackUnknown ?? 0;
    const held = Math.min(early, record?.callbackPending ?? 0);
    receiptsEarly.held += held;
    receiptsEarly.ignored += early - held;
    if (record?.callbackStatus !== undefined && record.callbackStatus !== 200) receiptsRefused += 1;
  }
  const others = [...otherTrails].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([what, n]) => `${n} × ${what}`);
  return {
    messages: mine.length,
    delivered,
    expected,
    others,
    fallback: summarise(fallback),
    fallbackAtProviders: summarise(atProviders),
    toSent: summarise(toSent),
    toDelivered: summarise(toDelivered),
    receiptsEarly,
    receiptsRefused,
  };
}
