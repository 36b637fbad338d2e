import { z } from 'zod';
import { isStorageUnavailable, type Db, type Storage } from '../../ports/storage.js';
import type { Clock } from '../../kernel/clock.js';
import { invalid, notFound } from '../../kernel/errors.js';
import { newId, newSecret } from '../../kernel/ids.js';
import { parseJson } from '../../kernel/json.js';
import { decodeCursor, pageOf, type Page } from '../../kernel/page.js';
import { DEFAULT_LIMITS, type Account, type AccountLimits, type ClientView, type IssuedToken, type Principal, type ServiceTokenView } from './accounts.model.js';
import { accountsRepo } from './accounts.repo.js';
import { OAuthError } from './accounts.errors.js';
import { hashSecret, SecretVerifier } from './secrets.js';
import { AccessTokens } from './tokens.js';
import { RevokedClients } from './revoked-clients.js';
import { isScope, type Scope } from './scopes.js';

const SERVICE_TOKEN_PREFIX = 'sbt_';
/** Bound on the service tokens one node remembers for an outage (far more than an account has). */
const REMEMBERED_SERVICE_TOKENS = 10_000;

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export class AccountsService {
  private readonly tokens: AccessTokens;
  /** Client secrets and service tokens checked against their stored hashes (remembered, guesses throttled). */
  private readonly secrets: SecretVerifier;
  /** Accounts an access token was seen to name and that exist (accounts are never deleted). */
  private readonly existingAccounts = new Set<string>();
  private readonly revokedClients: RevokedClients;
  /** Service tokens this node verified, with what they grant: what it answers them with while the database is unreachable. */
  private readonly verifiedServiceTokens = new Map<string, { principal: Principal; expiresAt: string | null }>();
  private readonly db: Db;

  constructor(
    storage: Storage,
    private readonly clock: Clock,
    options: { signingSecret: string; tokenTtlSeconds: number },
  ) {
    this.db = storage.db;
    this.tokens = new AccessTokens(options.signingSecret, options.tokenTtlSeconds, () => clock.now());
    this.secrets = new SecretVerifier(() => clock.now().getTime());
    this.revokedClients = new RevokedClients(storage);
  }

  /** Follows revocations made on any node; a process that authenticates requests starts this first. */
  start(): Promise<void> {
    return this.revokedClients.start();
  }

  stop(): Promise<void> {
    return this.revokedClients.stop();
  }

  async createAccount(input: { name: string; timezone: string; default_country: string }): Promise<Account> {
    const account: Account = { id: newId(), ...input, limits: { ...DEFAULT_LIMITS }, created_at: this.clock.now().toISOString() };
    await accountsRepo(this.db).insertAccount(account);
    return account;
  }

  async getAccount(id: string): Promise<Account> {
    const account = await accountsRepo(this.db).findAccount(id);
    if (!account) throw notFound('account');
    return account;
  }

  async getLimits(id: string): Promise<AccountLimits> {
    return (await this.getAccount(id)).limits;
  }

  async updateLimits(id: string, patch: Partial<AccountLimits>): Promise<AccountLimits> {
    const account = await this.getAccount(id);
    const limits = { ...account.limits, ...patch };
    await accountsRepo(this.db).updateLimits(id, limits);
    return limits;
  }

  async createClient(accountId: string, input: { name: string; scopes: Scope[] }) {
    await this.getAccount(accountId);
    const clientId = newId();
    const clientSecret = newSecret();
    await accountsRepo(this.db).insertClient({
      account_id: accountId,
      id: clientId,
      name: input.name,
      secret_hash: await hashSecret(clientSecret),
      scopes: input.scopes,
      created_at: this.clock.now().toISOString(),
    });
    return { client_id: clientId, client_secret: clientSecret, scopes: input.scopes };
  }

  async listClients(accountId: string, cursor: string | undefined, perPage: number): Promise<Page<ClientView>> {
    await this.getAccount(accountId);
    const repo = accountsRepo(this.db);
    const [rows, total] = await Promise.all([repo.listClients(accountId, decodeCursor(cursor, z.string()), perPage + 1), repo.countClients(accountId)]);
    const page = pageOf(rows, perPage, total, (row) => row.id);
    return { ...page, items: page.items.map(({ id, scopes, ...row }) => ({ client_id: id, ...row, scopes: parseJson<Scope[]>(scopes) })) };
  }

  /**
   * Gives the client a new secret; the old one stops working at once. Access tokens already
   * issued stay valid until they expire: revoking the client is what ends them too.
   */
  async rotateClientSecret(accountId: string, clientId: string) {
    const clientSecret = newSecret();
    const client = await accountsRepo(this.db).replaceClientSecret(accountId, clientId, await hashSecret(clientSecret));
    if (!client) throw notFound('client');
    return { client_id: client.id, client_secret: clientSecret, scopes: parseJson<Scope[]>(client.scopes) };
  }

  /** Revokes the client: its secret and every access token issued to it stop working on every node. */
  async revokeClient(accountId: string, clientId: string): Promise<void> {
    if (!(await this.revokedClients.revoke(accountId, clientId, this.clock.now().toISOString()))) throw notFound('client');
  }

  async listServiceTokens(accountId: string, cursor: string | undefined, perPage: number): Promise<Page<ServiceTokenView>> {
    await this.getAccount(accountId);
    const repo = accountsRepo(this.db);
    const [rows, total] = await Promise.all([repo.listServiceTokens(accountId, decodeCursor(cursor, z.string()), perPage + 1), repo.countServiceTokens(accountId)]);
    const page = pageOf(rows, perPage, total, (row) => row.id);
    return { ...page, items: page.items.map((row) => ({ ...row, scopes: parseJson<Scope[]>(row.scopes) })) };
  }

  /** OAuth 2.0 client credentials grant (RFC 6749 §4.4). */
  async issueToken(grantType: string | undefined, credentials: ClientCredentials | undefined, scope: string | undefined): Promise<IssuedToken> {
    if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
    if (grantType !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'only client_credentials is supported');
    if (!credentials) throw new OAuthError('invalid_client', 'client authentication is required');
    const client = await accountsRepo(this.db).findClient(credentials.clientId);
    // The client's id is not a secret: say when its guard against guessed secrets held this one back unchecked, so nobody rotates a right one.
    const lockedMs = client && !client.revoked_at ? this.secrets.lockedFor(client.secret_hash) : undefined;
    if (!client || client.revoked_at || !(await this.secrets.verify(credentials.clientSecret, client.secret_hash))) {
      if (lockedMs !== undefined) {
        const seconds = Math.ceil(lockedMs / 1000);
        throw new OAuthError('invalid_client', `too many wrong secrets for this client in the last minute: secrets it has not seen before are checked again in ${seconds} s`, seconds);
      }
      throw new OAuthError('invalid_client', 'unknown client or wrong secret');
    }
    const granted = parseJson<Scope[]>(client.scopes);
    // A blank scope is treated as omitted: every scope granted to the client.
    const words = (scope ?? '').split(' ').filter((s) => s !== '');
    const requested = [...new Set(words.length === 0 ? granted : words)];
    const refused = requested.filter((s) => !isScope(s) || !granted.includes(s));
    if (refused.length > 0) throw new OAuthError('invalid_scope', `not granted to this client: ${refused.join(' ')}`);
    const scopes = requested as Scope[];
    const accessToken = await this.tokens.sign({ accountId: client.account_id, actor: client.id, scopes });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.tokens.expiresIn, scope: scopes.join(' ') };
  }

  async createServiceToken(accountId: string, input: { name: string; scopes: Scope[]; expires_at: string | null }) {
    // A token dead on arrival is a typo (the wrong year), not a credential anyone wants.
    if (input.expires_at !== null && Date.parse(input.expires_at) <= this.clock.now().getTime()) throw invalid([{ name: 'expires_at', description: 'must be in the future' }]);
    await this.getAccount(accountId);
    const id = newId();
    const token = `${SERVICE_TOKEN_PREFIX}${id}.${newSecret()}`;
    await accountsRepo(this.db).insertServiceToken({
      account_id: accountId,
      id,
      name: input.name,
      token_hash: await hashSecret(token),
      scopes: input.scopes,
      expires_at: input.expires_at,
      created_at: this.clock.now().toISOString(),
    });
    return { id, token, scopes: input.scopes, name: input.name, expires_at: input.expires_at };
  }

  async revokeServiceToken(accountId: string, id: string): Promise<void> {
    const revoked = await accountsRepo(this.db).revokeServiceToken(accountId, id, this.clock.now().toISOString());
    if (!revoked) throw notFound('service token');
  }

  /** Resolves a bearer token (JWT access token or service token) to its principal. */
  async authenticate(bearer: string): Promise<Principal | undefined> {
    if (bearer.startsWith(SERVICE_TOKEN_PREFIX)) return this.authenticateServiceToken(bearer);
    const principal = await this.tokens.verify(bearer);
    if (!principal || this.revokedClients.has(principal.actor)) return undefined;
    return (await this.accountExists(principal.accountId)) ? principal : undefined;
  }

  /**
   * A signature proves who issued a token, not that its account is in this database (a wiped
   * data directory that kept its signing secret, two deployments sharing one): such a token is
   * refused as invalid rather than failing on every write.
   */
  private async accountExists(accountId: string): Promise<boolean> {
    if (this.existingAccounts.has(accountId)) return true;
    let account: Account | undefined;
    try {
      account = await accountsRepo(this.db).findAccount(accountId);
    } catch (error) {
      // While the database is unreachable the signature is taken at its word (not remembered),
      // so routing, which answers from memory, keeps answering for every account.
      if (isStorageUnavailable(error)) return true;
      throw error;
    }
    if (!account) return false;
    if (this.existingAccounts.size >= 100_000) this.existingAccounts.clear();
    this.existingAccounts.add(accountId);
    return true;
  }

  /**
   * Service tokens are looked up on every use, so revocation takes effect at once on every node.
   * While the database is unreachable (when nothing can be revoked either), a token this node
   * verified before is still taken, until it expires: systems that route calls with one keep
   * routing through an outage.
   */
  private async authenticateServiceToken(token: string): Promise<Principal | undefined> {
    const id = token.slice(SERVICE_TOKEN_PREFIX.length).split('.')[0] ?? '';
    let row;
    try {
      row = await accountsRepo(this.db).findServiceToken(id);
    } catch (error) {
      const known = this.verifiedServiceTokens.get(token);
      if (known && isStorageUnavailable(error) && !this.expired(known.expiresAt)) return known.principal;
      throw error;
    }
    if (!row || row.revoked_at || this.expired(row.expires_at)) {
      this.verifiedServiceTokens.delete(token);
      return undefined;
    }
    if (!(await this.secrets.verify(token, row.token_hash))) return undefined;
    const principal: Principal = { accountId: row.account_id, actor: `service-token:${row.id}`, scopes: new Set(parseJson<string[]>(row.scopes).filter(isScope)) };
    if (this.verifiedServiceTokens.size >= REMEMBERED_SERVICE_TOKENS) this.verifiedServiceTokens.clear();
    this.verifiedServiceTokens.set(token, { principal, expiresAt: row.expires_at });
    return principal;
  }

  private expired(expiresAt: string | null): boolean {
    return expiresAt !== null && expiresAt <= this.clock.now().toISOString();
  }
}
