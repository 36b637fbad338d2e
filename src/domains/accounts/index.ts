export { AccountsService } from './accounts.service.js';
export type { ClientCredentials } from './accounts.service.js';
export { OAuthError } from './accounts.errors.js';
export { RateLimiter, rateLimited, type Admission } from './rate-limiter.js';
export type { Account, AccountLimits, Principal, IssuedToken } from './accounts.model.js';
export { SCOPES, isScope, type Scope } from './scopes.js';
export * from './accounts.schema.js';
export { hashSecret, SecretVerifier } from './secrets.js';
