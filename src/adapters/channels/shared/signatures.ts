import { createHmac, timingSafeEqual } from 'node:crypto';

/** A header by name, whatever case the request spelled it in. */
export function headerOf(headers: Record<string, string | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** Constant-time comparison of two signatures (their lengths are not secret). */
export function sameSignature(received: string, expected: string): boolean {
  const left = Buffer.from(received, 'utf8');
  const right = Buffer.from(expected, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

export const hmac = (algorithm: 'sha1' | 'sha256', secret: string, data: string, encoding: 'hex' | 'base64'): string =>
  createHmac(algorithm, secret).update(data, 'utf8').digest(encoding);
