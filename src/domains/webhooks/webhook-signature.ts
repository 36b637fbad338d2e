import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks (https://www.standardwebhooks.com): generated secrets are `whsec_` + base64
 * of 32 random bytes, and such a secret keys the signature by its decoded bytes. A secret the
 * client chooses in another form (`my-shared-secret`) keys it by its UTF-8 bytes, as most
 * receivers' HMAC code reads a plain secret.
 */
export const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;
/** The Standard Webhooks specification's bounds for a secret's key. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
const MAX_PLAIN_SECRET_LENGTH = 512;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** Why `secret` cannot sign deliveries, or undefined when it can. */
export function secretProblem(secret: string): string | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) {
    if (secret.length === 0 || secret.length > MAX_PLAIN_SECRET_LENGTH) return `must be 1 to ${MAX_PLAIN_SECRET_LENGTH} characters`;
    return [...secret].some((c) => c < ' ' || c === '\u007f') ? 'must not contain control characters' : undefined;
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (encoded.length === 0 || encoded.length % 4 !== 0 || !BASE64.test(encoded)) return `must be "${SECRET_PREFIX}" followed by base64, or a secret without that prefix`;
  const bytes = Buffer.from(encoded, 'base64').length;
  if (bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) return `must encode ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes after "${SECRET_PREFIX}"`;
  return undefined;
}

/** The bytes a secret signs with: a `whsec_` secret's decoded base64, any other's UTF-8. */
const keyOf = (secret: string): Buffer =>
  secret.startsWith(SECRET_PREFIX) ? Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64') : Buffer.from(secret, 'utf8');

/** The `webhook-signature` header: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`. */
export function signature(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * The three Standard Webhooks headers for one attempt made at `at`, signed with each secret (the
 * current one, and the one it replaced while that is still honoured), space-separated.
 */
export function signedHeaders(secrets: readonly string[], id: string, at: Date, body: string): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': secrets.map((secret) => signature(secret, id, timestamp, body)).join(' ') };
}
