import type { Clock } from '../../../kernel/clock.js';
import { systemClock } from '../../../kernel/clock.js';
import type { ChannelWebhook, InboundReceipt, ProviderConfig } from '../../../ports/message-channels.js';
import { textOf } from '../shared/provider-http.js';
import { headerOf, hmac, sameSignature } from '../shared/signatures.js';

/**
 * Twilio's request signature: base64 HMAC-SHA1, keyed with the auth token, of the full URL
 * followed by every POST parameter sorted by name, each as name + value (a repeated name once per
 * distinct value, values sorted), exactly as Twilio's own validators compute it.
 */
export function twilioSignature(authToken: string, url: string, params: URLSearchParams): string {
  let data = url;
  for (const name of [...new Set(params.keys())].sort()) {
    for (const value of [...new Set(params.getAll(name))].sort()) data += name + value;
  }
  return hmac('sha1', authToken, data, 'base64');
}

/**
 * Twilio signs the URL as it was configured, and is known to differ on whether a default port is
 * part of it, so (like its validators) both spellings are accepted.
 */
function urlSpellings(url: string): string[] {
  if (!URL.canParse(url)) return [];
  const parsed = new URL(url);
  const withoutPort = new URL(url);
  withoutPort.port = '';
  if (parsed.port !== '') return [parsed.toString(), withoutPort.toString()];
  const userinfo = parsed.username === '' ? '' : `${parsed.username}${parsed.password === '' ? '' : `:${parsed.password}`}@`;
  const standardPort = parsed.protocol === 'https:' ? 443 : 80;
  return [`${parsed.protocol}//${userinfo}${parsed.host}:${standardPort}${parsed.pathname}${parsed.search}${parsed.hash}`, parsed.toString()];
}

function verify(request: { rawBody: string; headers: Record<string, string | undefined>; url: string }, provider: ProviderConfig): boolean {
  const authToken = textOf(provider.credentials.authToken);
  const signature = headerOf(request.headers, 'x-twilio-signature');
  if (authToken === undefined || signature === undefined || signature === '') return false;
  const params = new URLSearchParams(request.rawBody);
  // The URL this request came to, or the StatusCallback the adapter gave Twilio (which is what
  // Twilio signs, and survives a proxy that rewrites the host or scheme on the way in).
  const urls = [request.url, textOf(provider.settings.statusCallbackUrl)].filter((url) => url !== undefined).flatMap(urlSpellings);
  return urls.some((url) => sameSignature(signature, twilioSignature(authToken, url, params)));
}

const STATUSES = { sent: 'sent', delivered: 'delivered', read: 'read', undelivered: 'failed', failed: 'failed' } as const satisfies Record<string, InboundReceipt['status']>;

const isKnownStatus = (status: string): status is keyof typeof STATUSES => Object.hasOwn(STATUSES, status);

/** A form field as a parser may hand it over: a string, or the first of repeated values. */
function fieldOf(body: Record<string, unknown>, name: string): string | undefined {
  const value = Array.isArray(body[name]) ? (body[name] as unknown[])[0] : body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `RawDlrDoneDate` (`YYMMDDhhmm`, UTC), the carrier's time of a delivery report, when present. */
function dlrTime(raw: string | undefined): string | undefined {
  const match = raw === undefined ? null : /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(raw);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute] = match;
  const date = new Date(`20${year}-${month}-${day}T${hour}:${minute}:00.000Z`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * Twilio status callbacks (`StatusCallback`): `receipts` gets the parsed form. Twilio sends no
 * event time, so a receipt is dated by the carrier's `RawDlrDoneDate` when given, else by `clock`.
 */
export function createSmsWebhook(clock: Clock = systemClock): ChannelWebhook {
  return {
    channel: 'sms',
    verify,
    receipts(body) {
      if (typeof body !== 'object' || body === null) return [];
      const form = body as Record<string, unknown>;
      const sid = fieldOf(form, 'MessageSid');
      const status = fieldOf(form, 'MessageStatus');
      if (sid === undefined || status === undefined || !isKnownStatus(status)) return []; // queued, sending, accepted...
      const receipt: InboundReceipt = { channel: 'sms', providerMessageId: sid, status: STATUSES[status], at: dlrTime(fieldOf(form, 'RawDlrDoneDate')) ?? clock.now().toISOString() };
      const errorCode = fieldOf(form, 'ErrorCode');
      return [errorCode === undefined ? receipt : { ...receipt, details: `${status}: error ${errorCode}` }];
    },
  };
}
