import { SignJWT, jwtVerify } from 'jose';
import type { Principal } from './accounts.model.js';
import { isScope, type Scope } from './scopes.js';

const ISSUER = 'switchboard';
const CACHE_LIMIT = 10_000;

/**
 * Signs and verifies access tokens (HS256 JWTs). Verification is stateless, so requests keep
 * being authenticated while the database is unreachable; verified tokens are cached until expiry.
 */
export class AccessTokens {
  private readonly key: Uint8Array;
  private readonly verified = new Map<string, { principal: Principal; expiresAtMs: number }>();

  constructor(secret: string, private readonly ttlSeconds: number, private readonly now: () => Date) {
    this.key = new TextEncoder().encode(secret);
  }

  get expiresIn(): number {
    return this.ttlSeconds;
  }

  async sign(principal: { accountId: string; actor: string; scopes: readonly Scope[] }): Promise<string> {
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    return new SignJWT({ acc: principal.accountId, scope: principal.scopes.join(' ') })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(principal.actor)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .sign(this.key);
  }

  /** The principal for a valid, unexpired token; undefined otherwise. */
  async verify(token: string): Promise<Principal | undefined> {
    const nowMs = this.now().getTime();
    const cached = this.verified.get(token);
    if (cached) {
      if (cached.expiresAtMs > nowMs) return cached.principal;
      this.verified.delete(token);
      return undefined;
    }
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        algorithms: ['HS256'],
        currentDate: new Date(nowMs),
      });
      if (typeof payload.acc !== 'string' || typeof payload.sub !== 'string' || typeof payload.scope !== 'string' || !payload.exp) {
        return undefined;
      }
      const principal: Principal = {
        accountId: payload.acc,
        actor: payload.sub,
        scopes: new Set(payload.scope.split(' ').filter(isScope)),
      };
      if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
      this.verified.set(token, { principal, expiresAtMs: payload.exp * 1000 });
      return principal;
    } catch {
      return undefined;
    }
  }
}
