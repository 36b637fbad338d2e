import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.js';
import { runCli } from '../../src/cli/cli.js';
import type { Config } from '../../src/config/config.js';
import { createLogger } from '../../src/kernel/logger.js';
import { ADMIN_TOKEN, DATABASES, TestApp, testConfig } from '../support/harness.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Spawns the CLI exactly as bin/switchboard.js does, with only the environment given. */
function switchboard(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

async function inProcess(args: string[], env: Record<string, string>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) }, env);
  return { code, stdout, stderr };
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'switchboard-cli-'));

describe('cli', () => {
  it('migrates a fresh SQLite database once, then reports it up to date', async () => {
    const dir = tempDir();
    const env = { DATABASE_URL: `sqlite:${join(dir, 'fresh.db')}`, SWITCHBOARD_DATA_DIR: dir };
    const first = await switchboard(['migrate'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^Applied \d+ migrations? to sqlite:/);
    expect(first.stdout).toContain('0001_initial');
    const again = await switchboard(['migrate'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('up to date');
  });

  it('says so when a command creates the database it was pointed at (another DATABASE_URL than the server\'s, most likely)', async () => {
    const dir = tempDir();
    const env = { DATABASE_URL: `sqlite:${join(dir, 'typo.db')}`, SWITCHBOARD_DATA_DIR: dir };
    const created = await inProcess(['accounts', 'create', '--name', 'Acme'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain(`note: ${join(dir, 'typo.db')} did not exist; this command created a new, empty database there.`);
    const again = await inProcess(['accounts', 'create', '--name', 'Acme 2'], env);
    expect(again.stderr).not.toContain('did not exist');
  });

  it('answers --help with 0, and usage or configuration errors with 2 before touching the database', async () => {
    const env = { SWITCHBOARD_DATA_DIR: tempDir(), DATABASE_URL: 'sqlite::memory:' };
    // The exit status of the real process, once; the other cases run in-process to keep the suite quick.
    const spawned = await switchboard(['accounts', 'create', '--name', 'Acme', '--colour', 'blue'], env);
    expect(spawned.code).toBe(2);
    expect(spawned.stderr).toContain("'--colour'");
    expect(spawned.stdout).toBe('');

    const [help, none, missing, unknownScope, badConfig] = await Promise.all([
      inProcess(['clients', 'create', '--help'], env),
      inProcess([], env),
      inProcess(['clients', 'create', '--name', 'automation', '--scopes', 'all'], env),
      inProcess(['clients', 'create', '--account', 'any', '--name', 'automation', '--scopes', 'calls:read calls:delete'], env),
      inProcess(['migrate'], { ...env, DATABASE_URL: 'mysql://nope' }),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: switchboard clients create');
    expect(help.stdout).toContain('calls:read');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: switchboard <command>');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--account is required');
    expect(unknownScope.code).toBe(2);
    expect(unknownScope.stderr).toContain('unknown scope: calls:delete');
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain('DATABASE_URL');
  });
});

describe.each(DATABASES)('cli against a running server (%s)', (db) => {
  let config: Config;
  let t: TestApp;
  let baseUrl: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    config = testConfig(db);
    t = new TestApp(await createApp(config, { logger: createLogger('silent') }));
    await t.app.server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.server.address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
    // The CLI shares the server's database (on SQLite, the same WAL file the server holds open).
    env = { DATABASE_URL: config.DATABASE_URL, SWITCHBOARD_DATA_DIR: tempDir(), HOST: '127.0.0.1', PORT: String(port) };
  });
  afterAll(() => t.close());

  it('creates an account and a client whose printed credentials obtain a working token', async () => {
    const created = await switchboard(['accounts', 'create', '--name', 'Acme', '--timezone', 'Europe/Lisbon', '--default-country', 'PT'], env);
    expect(created.code, created.stderr).toBe(0);
    const account = JSON.parse(created.stdout) as { id: string; name: string; timezone: string; default_country: string };
    expect(account).toMatchObject({ name: 'Acme', timezone: 'Europe/Lisbon', default_country: 'PT' });
    const seen = await t.get(`/admin/accounts/${account.id}`, ADMIN_TOKEN);
    expect(seen.status).toBe(200);
    expect(seen.body.name).toBe('Acme');

    const client = await switchboard(['clients', 'create', '--account', account.id, '--name', 'automation', '--scopes', 'directory:read directory:write'], env);
    expect(client.code, client.stderr).toBe(0);
    const clientId = /^client_id: +(\S+)$/m.exec(client.stdout)?.[1];
    const secret = /^client_secret: +(\S+)$/m.exec(client.stdout)?.[1];
    const curl = /^curl -s -u '([^']+)' -d grant_type=client_credentials '([^']+)'$/m.exec(client.stdout);
    expect(clientId && secret && curl, client.stdout).toBeTruthy();
    expect(curl?.[1]).toBe(`${clientId}:${secret}`);
    expect(curl?.[2]).toBe(`${baseUrl}/oauth/token`);

    // Exactly the request the printed curl sends.
    const response = await fetch(curl?.[2] ?? '', {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(curl?.[1] ?? '').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const token = (await response.json()) as { access_token: string; scope: string };
    expect(response.status, JSON.stringify(token)).toBe(200);
    expect(token.scope).toBe('directory:read directory:write');

    const number = await t.post('/numbers', { number: '+351213000000', name: 'Lisbon' }, token.access_token);
    expect(number.status, number.text).toBe(201);
  });

  it('creates a service token that authenticates, and revokes it', async () => {
    const account = await t.post('/admin/accounts', { name: 'Forms' }, ADMIN_TOKEN);
    const [created, unknownAccount] = await Promise.all([
      switchboard(['service-tokens', 'create', '--account', account.body.id, '--name', 'web-form', '--scopes', 'directory:read', '--json'], env),
      switchboard(['service-tokens', 'create', '--account', 'no-such-account', '--name', 'web-form', '--scopes', 'all'], env),
    ]);
    expect(created.code, created.stderr).toBe(0);
    const serviceToken = JSON.parse(created.stdout) as { id: string; token: string; scopes: string[] };
    expect(serviceToken.scopes).toEqual(['directory:read']);
    expect((await t.get('/numbers', serviceToken.token)).status).toBe(200);
    expect(unknownAccount.code).toBe(1);
    expect(unknownAccount.stderr).toContain('no account with id no-such-account');
    expect(unknownAccount.stdout).toBe('');

    const revoked = await switchboard(['service-tokens', 'revoke', '--account', account.body.id, '--id', serviceToken.id], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await t.get('/numbers', serviceToken.token)).status).toBe(401);
  });
});
