import type { Scope } from './scopes.js';

export interface AccountLimits {
  flows_interactions_per_second: number;
}

export const DEFAULT_LIMITS: AccountLimits = { flows_interactions_per_second: 2 };

export interface Account {
  id: string;
  name: string;
  timezone: string;
  default_country: string;
  limits: AccountLimits;
  created_at: string;
}

/** Who is calling: resolved once per request from the bearer token. */
export interface Principal {
  accountId: string;
  /** The OAuth client id, or `service-token:<id>` for a service user. */
  actor: string;
  scopes: ReadonlySet<Scope>;
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** An OAuth client as the admin API shows it: never its secret. */
export interface ClientView {
  client_id: string;
  name: string;
  scopes: Scope[];
  created_at: string;
  revoked_at: string | null;
}

/** A service token as the admin API shows it: never the token. */
export interface ServiceTokenView {
  id: string;
  name: string;
  scopes: Scope[];
  expires_at: string | null;
  created_at: string;
  revoked_at: string | null;
}
