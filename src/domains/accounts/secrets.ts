import { createHash, scrypt, randomBytes, timingSafeEqual } from 'node:crypto';

const N = 16384;
const KEY_LENGTH = 32;

function derive(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, { N, r: 8, p: 1 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** `scrypt$<salt>$<key>`: only this is stored; the secret itself is shown once. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt);
  return `scrypt$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(secret, Buffer.from(salt, 'base64url'));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Entries each memory of a `SecretVerifier` keeps at most (the oldest go first). */
const REMEMBERED = 10_000;
/** Wrong secrets for one stored hash within this window past which it is not hashed against again until the window ends. */
const FAILURE_WINDOW_MS = 60_000;
const MAX_FAILURES = 5;

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (!map.has(key) && map.size >= REMEMBERED) map.delete(map.keys().next().value ?? '');
  map.set(key, value);
}

/**
 * `verifySecret` with two guards for secrets checked on every request (client secrets, service
 * and app tokens). A secret that matched a stored hash is remembered (by its SHA-256), so its
 * owner pays scrypt once per process; a stored hash that met `MAX_FAILURES` wrong secrets within a
 * minute is refused at once for the rest of it, so guesses cannot keep the thread pool scrypt
 * shares with file reads and DNS busy. The price: a secret not yet remembered here is refused while
 * its hash is under attack, for at most a minute.
 */
export class SecretVerifier {
  private readonly verified = new Map<string, string>();
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(private readonly now: () => number) {}

  async verify(secret: string, stored: string): Promise<boolean> {
    const digest = createHash('sha256').update(secret).digest('base64url');
    if (this.verified.get(stored) === digest) return true;
    const at = this.now();
    const recent = this.failures.get(stored);
    const counting = recent !== undefined && at - recent.since < FAILURE_WINDOW_MS ? recent : undefined;
    if (counting && counting.count >= MAX_FAILURES) return false;
    if (await verifySecret(secret, stored)) {
      this.failures.delete(stored);
      remember(this.verified, stored, digest);
      return true;
    }
    remember(this.failures, stored, { count: (counting?.count ?? 0) + 1, since: counting?.since ?? at });
    return false;
  }

  /** Milliseconds until a secret is hashed against `stored` again, while too many wrong ones came for it; undefined otherwise. */
  lockedFor(stored: string): number | undefined {
    const recent = this.failures.get(stored);
    const left = recent === undefined ? 0 : recent.since + FAILURE_WINDOW_MS - this.now();
    return recent !== undefined && recent.count >= MAX_FAILURES && left > 0 ? left : undefined;
  }
}
