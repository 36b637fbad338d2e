import { inject } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv, type Config } from '../../src/config/config.js';
import { createApp, type AppOverrides, type Switchboard } from '../../src/app.js';
import { createLogger } from '../../src/kernel/logger.js';
import type { Scope } from '../../src/domains/accounts/index.js';
import { SCOPES } from '../../src/domains/accounts/index.js';
import { IsolatedSchema } from './isolated-schema.js';

export const ADMIN_TOKEN = 'test-operator-token-0123456789';
export const SIGNING_SECRET = 'test-signing-secret-0123456789-0123456789';

export type DatabaseKind = 'sqlite' | 'postgres';

/** SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (as .ci/run does). */
export const DATABASES: DatabaseKind[] = inject('postgresUrl') ? ['sqlite', 'postgres'] : ['sqlite'];

export function databaseUrl(kind: DatabaseKind): string {
  if (kind === 'postgres') {
    const url = inject('postgresUrl');
    if (!url) throw new Error('TEST_DATABASE_URL is not set');
    return url;
  }
  return `sqlite:${join(mkdtempSync(join(tmpdir(), 'switchboard-test-')), 'test.db')}`;
}

export function testConfig(kind: DatabaseKind, env: Record<string, string> = {}): Config {
  const parsed = parseEnv({
    DATABASE_URL: databaseUrl(kind),
    SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'silent',
    SWITCHBOARD_WORKER: 'false',
    // The stand-in providers and receivers of the tests listen on this host.
    SWITCHBOARD_EGRESS_ALLOW: '127.0.0.0/8,::1',
    ...env,
  });
  return { ...parsed, signingSecret: SIGNING_SECRET };
}

export interface Response<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
  text: string;
}

/** A running app plus helpers to call it the way a client would (real HTTP semantics via inject). */
export class TestApp {
  constructor(readonly app: Switchboard) {}

  /**
   * On PostgreSQL every app gets a schema of its own (unless the test names a database), so its
   * job worker never claims, nor races for, another test's jobs: tests stay independent of each
   * other and of the date their manual clocks are set to.
   */
  static async start(kind: DatabaseKind, overrides: AppOverrides = {}, env: Record<string, string> = {}): Promise<TestApp> {
    const schema = kind === 'postgres' && !env.DATABASE_URL && !overrides.storage ? await IsolatedSchema.create() : undefined;
    const config = testConfig(kind, schema ? { ...env, DATABASE_URL: schema.url } : env);
    return new TestApp(await createApp(config, { logger: createLogger('silent'), ...overrides }));
  }

  get services() {
    return this.app.services;
  }

  async request<T = any>(method: string, url: string, options: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string | Buffer } = {}): Promise<Response<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | Buffer | undefined;
    if (options.raw !== undefined) payload = options.raw;
    else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await this.app.server.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
    let body: unknown = undefined;
    try {
      body = response.body ? JSON.parse(response.body) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.statusCode, body: body as T, headers: response.headers, text: response.body };
  }

  get = <T = any>(url: string, token?: string) => this.request<T>('GET', url, { token });
  post = <T = any>(url: string, body: unknown, token?: string, headers?: Record<string, string>) => this.request<T>('POST', url, { token, body, headers });
  put = <T = any>(url: string, body: unknown, token?: string) => this.request<T>('PUT', url, { token, body });
  patch = <T = any>(url: string, body: unknown, token?: string) => this.request<T>('PATCH', url, { token, body });
  delete = <T = any>(url: string, token?: string) => this.request<T>('DELETE', url, { token });

  /** A new account with a client holding `scopes` (all by default), and a token for it. */
  async newAccount(scopes: readonly Scope[] = SCOPES, account: Record<string, string> = {}): Promise<TestAccount> {
    const created = await this.post('/admin/accounts', { name: `Test ${Math.random().toString(36).slice(2)}`, ...account }, ADMIN_TOKEN);
    if (created.status !== 201) throw new Error(`account creation failed: ${created.text}`);
    const client = await this.post(`/admin/accounts/${created.body.id}/clients`, { name: 'tests', scopes }, ADMIN_TOKEN);
    if (client.status !== 201) throw new Error(`client creation failed: ${client.text}`);
    const token = await this.post('/oauth/token', { grant_type: 'client_credentials', client_id: client.body.client_id, client_secret: client.body.client_secret });
    if (token.status !== 200) throw new Error(`token failed: ${token.text}`);
    return { id: created.body.id, clientId: client.body.client_id, clientSecret: client.body.client_secret, token: token.body.access_token };
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}

export interface TestAccount {
  id: string;
  clientId: string;
  clientSecret: string;
  token: string;
}
