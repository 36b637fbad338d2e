/**
 * What the two Meta channels (WhatsApp Cloud API, Messenger Send API) share: the Graph API's
 * URL, error format and classification, and the X-Hub-Signature-256 webhook signature.
 */
import { z } from 'zod';
import type { ProviderConfig, SendResult } from '../../../ports/message-channels.js';
import { byStatus, failed, rejected, type ProviderAnswer } from './provider-http.js';
import { headerOf, hmac, sameSignature } from './signatures.js';

/** Where the Graph API lives when the provider's `baseUrl` is empty. */
export const GRAPH_URL = 'https://graph.facebook.com';

/** The Graph API version used when the provider's `settings.apiVersion` does not name one. */
export const DEFAULT_GRAPH_VERSION = 'v23.0';

export const graphVersion = (provider: ProviderConfig): string => {
  const version = provider.settings.apiVersion;
  return typeof version === 'string' && version.trim() !== '' ? version.trim() : DEFAULT_GRAPH_VERSION;
};

/**
 * The Graph API URL with Meta's `appsecret_proof` (the access token's HMAC-SHA256 under the app
 * secret, hex) when the provider has `credentials.appSecret`: apps set to "Require App Secret"
 * refuse calls without it.
 */
export function withAppSecretProof(url: string, provider: ProviderConfig, accessToken: string): string {
  const appSecret = provider.credentials.appSecret;
  if (appSecret === undefined || appSecret.trim() === '') return url;
  return `${url}${url.includes('?') ? '&' : '?'}appsecret_proof=${hmac('sha256', appSecret, accessToken, 'hex')}`;
}

/**
 * Codes that say the platform is busy or briefly broken (rate limits, throughput, "try again"):
 * the provider's trouble, not this message's.
 */
const TRANSIENT_CODES = new Set([
  1, 2, 4, 17, 32, 341, 613, // Graph: unknown/service errors, app, user, page and call rate limits
  1200, // Messenger: temporary send failure
  80007, 130429, 131048, // WhatsApp: account rate limit, throughput, spam rate limit
  131000, 131016, 133004, // WhatsApp: something went wrong, service unavailable, server temporarily unavailable
]);

/**
 * Codes about this business–customer pair only (WhatsApp's pair rate limit, whatever the HTTP
 * status): the message moves on, and the provider stays healthy for every other customer.
 */
const PER_RECIPIENT_CODES = new Set([131056]);

/**
 * Codes that break every message of the provider, not this one: an invalid or expired token, a
 * locked or blocked account, an unregistered sender number. The provider counts as failing, so
 * the channel's next provider is tried and the circuit breaker sees it.
 */
const PROVIDER_WIDE_CODES = new Set([
  102, 190, // session / access token invalid or expired
  368, // temporarily blocked for policy violations
  131031, 131042, 133010, // WhatsApp: account locked, payment eligibility, phone number not registered
]);

const graphErrorSchema = z.object({
  error: z.object({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.number().optional(),
    error_subcode: z.number().optional(),
    is_transient: z.boolean().optional(),
    error_data: z.object({ details: z.string().optional() }).optional(),
    fbtrace_id: z.string().optional(),
  }),
});

/** Classifies a Graph API answer that is not a success. */
export function classifyGraphError(answer: ProviderAnswer, body: unknown): SendResult {
  const parsed = graphErrorSchema.safeParse(body);
  if (!parsed.success || parsed.data.error.code === undefined) {
    return byStatus(answer, `HTTP ${answer.status} without a Graph error: ${answer.body.slice(0, 200)}`);
  }
  const { code, error_subcode: subcode, message, error_data: data, fbtrace_id: trace, is_transient: transient } = parsed.data.error;
  const reason = [
    `Graph error ${code}${subcode === undefined ? '' : `/${subcode}`}: ${message ?? 'no message'}`,
    data?.details,
    trace === undefined ? undefined : `fbtrace_id ${trace}`,
  ]
    .filter((part) => part !== undefined)
    .join('; ');
  if (PER_RECIPIENT_CODES.has(code)) return rejected(String(code), reason);
  if (answer.status === 429 || answer.status >= 500 || transient === true || TRANSIENT_CODES.has(code)) return failed(String(code), reason);
  if (PROVIDER_WIDE_CODES.has(code)) return failed(String(code), reason);
  return rejected(String(code), reason);
}

/** Meta's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`. */
export function verifyHubSignature(request: { rawBody: string; headers: Record<string, string | undefined> }, provider: ProviderConfig): boolean {
  const secret = provider.credentials.appSecret;
  const header = headerOf(request.headers, 'x-hub-signature-256');
  if (secret === undefined || secret === '' || header?.startsWith('sha256=') !== true) return false;
  return sameSignature(header.slice('sha256='.length).toLowerCase(), hmac('sha256', secret, request.rawBody, 'hex'));
}

/**
 * Meta's subscription handshake (`GET <callback>?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`):
 * the challenge to echo when the token is the provider's `credentials.verifyToken`, else undefined (→ 403).
 */
export function metaSubscriptionChallenge(query: Record<string, unknown>, provider: ProviderConfig): string | undefined {
  const token = provider.credentials.verifyToken;
  const { 'hub.mode': mode, 'hub.verify_token': given, 'hub.challenge': challenge } = query;
  if (token === undefined || token === '' || mode !== 'subscribe' || typeof given !== 'string' || typeof challenge !== 'string') return undefined;
  return sameSignature(given, token) ? challenge : undefined;
}

/** Unix seconds or milliseconds (as Meta sends them) to ISO-8601; undefined when not a time. */
export function isoFromEpoch(value: unknown, unit: 's' | 'ms'): string | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) return undefined;
  const date = new Date(unit === 's' ? number * 1000 : number);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
