import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createStorage, migrateStorage } from '../../src/adapters/storage/storage.js';
import { AccountsService, RateLimiter, rateLimited, type Admission } from '../../src/domains/accounts/index.js';
import { errorHandler } from '../../src/http/errors.js';
import { ManualClock, systemClock } from '../../src/kernel/clock.js';
import { DomainError } from '../../src/kernel/errors.js';
import { ADMIN_TOKEN, DATABASES, SIGNING_SECRET, TestApp } from '../support/harness.js';

const postgresUrl = inject('postgresUrl');
const HAMMER = fileURLToPath(new URL('../fixtures/rate-limit-hammer.ts', import.meta.url));
const LIMIT = 'flows_interactions_per_second';
const refusedFor = (retryAfterS: number): Admission => ({ admitted: false, retryAfterS });
const ADMITTED: Admission = { admitted: true };

describe.each(DATABASES)('account limits: the admin API (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db);
  });
  afterAll(() => t.close());

  const limitsOf = (accountId: string) => `/admin/accounts/${accountId}/limits`;

  it('reads the default of 2 per second and changes it, field by field', async () => {
    const account = await t.newAccount();
    expect(await t.get(limitsOf(account.id), ADMIN_TOKEN)).toMatchObject({ status: 200, body: { [LIMIT]: 2 } });

    const changed = await t.patch(limitsOf(account.id), { [LIMIT]: 7 }, ADMIN_TOKEN);
    expect(changed).toMatchObject({ status: 200, body: { [LIMIT]: 7 } });
    expect((await t.get(limitsOf(account.id), ADMIN_TOKEN)).body).toEqual({ [LIMIT]: 7 });
    expect((await t.get(`/admin/accounts/${account.id}`, ADMIN_TOKEN)).body.limits).toEqual({ [LIMIT]: 7 });
    // An omitted field keeps its value.
    expect((await t.patch(limitsOf(account.id), {}, ADMIN_TOKEN)).body).toEqual({ [LIMIT]: 7 });
    expect((await t.patch(limitsOf(account.id), { [LIMIT]: 1000 }, ADMIN_TOKEN)).body).toEqual({ [LIMIT]: 1000 });
    expect((await t.patch(limitsOf(account.id), { [LIMIT]: 1 }, ADMIN_TOKEN)).body).toEqual({ [LIMIT]: 1 });
  });

  it('rejects values outside 1..1000 whole requests and unknown fields, naming the field', async () => {
    const account = await t.newAccount();
    for (const value of [0, -1, 1001, 2.5, '3', null]) {
      const response = await t.patch(limitsOf(account.id), { [LIMIT]: value }, ADMIN_TOKEN);
      expect(response.status, JSON.stringify(value)).toBe(400);
      expect(response.body.code).toBe('validation_failed');
      expect(response.body.fields.map((f: { name: string }) => f.name)).toEqual([LIMIT]);
    }
    const unknown = await t.patch(limitsOf(account.id), { [LIMIT]: 3, calls_per_second: 9 }, ADMIN_TOKEN);
    expect(unknown.status).toBe(400);
    expect(unknown.body.fields).toEqual([{ name: 'calls_per_second', description: 'is not a known field' }]);
    expect((await t.get(limitsOf(account.id), ADMIN_TOKEN)).body).toEqual({ [LIMIT]: 2 });
  });

  it('answers 404 for an unknown account', async () => {
    expect((await t.get(limitsOf('no-such-account'), ADMIN_TOKEN)).status).toBe(404);
    const patched = await t.patch(limitsOf('no-such-account'), { [LIMIT]: 3 }, ADMIN_TOKEN);
    expect(patched.status).toBe(404);
    expect(patched.body.code).toBe('not_found');
  });

  it('needs the operator token: an account token or none is 401, and nothing changes', async () => {
    const account = await t.newAccount();
    for (const token of [undefined, 'wrong-token-wrong-token', account.token]) {
      const read = await t.get(limitsOf(account.id), token);
      expect(read.status).toBe(401);
      expect(read.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await t.patch(limitsOf(account.id), { [LIMIT]: 50 }, token)).status).toBe(401);
    }
    expect((await t.get(limitsOf(account.id), ADMIN_TOKEN)).body).toEqual({ [LIMIT]: 2 });
  });

  it('answers 404 when no operator token is configured', async () => {
    const closed = await TestApp.start(db, {}, { SWITCHBOARD_ADMIN_TOKEN: '' });
    try {
      const account = await closed.services.accounts.createAccount({ name: 'Closed', timezone: 'UTC', default_country: 'US' });
      expect((await closed.get(limitsOf(account.id), ADMIN_TOKEN)).status).toBe(404);
      expect((await closed.patch(limitsOf(account.id), { [LIMIT]: 5 }, ADMIN_TOKEN)).status).toBe(404);
    } finally {
      await closed.close();
    }
  });
});

describe.each(DATABASES)('the rate limiter (%s)', (db) => {
  let t: TestApp;
  const clock = new ManualClock();
  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
  });
  afterAll(() => t.close());

  const limiter = () => t.services.rateLimiter;
  const newAccountId = async () => (await t.newAccount()).id;
  const admitMany = (accountId: string, times: number, perSecond = 2, bucket = 'test') =>
    Promise.all(Array.from({ length: times }, () => limiter().admit(accountId, bucket, perSecond)));

  it('admits 2 in a second, refuses the 3rd with Retry-After 1, and admits again once the second is over', async () => {
    const id = await newAccountId();
    expect(await limiter().admit(id, 'test', 2)).toEqual(ADMITTED);
    expect(await limiter().admit(id, 'test', 2)).toEqual(ADMITTED);
    expect(await limiter().admit(id, 'test', 2)).toEqual(refusedFor(1));
    clock.advance(999);
    expect(await limiter().admit(id, 'test', 2)).toEqual(refusedFor(1));
    clock.advance(1);
    expect(await limiter().admit(id, 'test', 2)).toEqual(ADMITTED);
    expect(await limiter().admit(id, 'test', 2)).toEqual(ADMITTED);
    expect(await limiter().admit(id, 'test', 2)).toEqual(refusedFor(1));
  });

  it('counts over a sliding second, not calendar seconds', async () => {
    const id = await newAccountId();
    expect(await limiter().admit(id, 'test', 2)).toEqual(ADMITTED); // t = 0
    clock.advance(600);
    expect(await limiter().admit(id, 'test', 2)).toEqual(ADMITTED); // t = 600
    clock.advance(300);
    expect(await limiter().admit(id, 'test', 2)).toEqual(refusedFor(1)); // t = 900: two within the second
    clock.advance(100);
    expect(await limiter().admit(id, 'test', 2)).toEqual(ADMITTED); // t = 1000: the first has left
    clock.advance(100);
    expect(await limiter().admit(id, 'test', 2)).toEqual(refusedFor(1)); // t = 1100: 600 and 1000 remain
    clock.advance(500);
    expect(await limiter().admit(id, 'test', 2)).toEqual(ADMITTED); // t = 1600
  });

  it('judges each request by the limit it comes with when the limit is lowered or raised', async () => {
    const id = await newAccountId();
    for (let i = 0; i < 5; i++) {
      expect(await limiter().admit(id, 'test', 5)).toEqual(ADMITTED); // t = 0, 100, 200, 300, 400
      clock.advance(100);
    }
    expect(await limiter().admit(id, 'test', 2)).toEqual(refusedFor(1)); // t = 500: 300 and 400 are within the second
    clock.advance(801);
    expect(await limiter().admit(id, 'test', 2)).toEqual(ADMITTED); // t = 1301: only 400 is
    clock.advance(1);
    expect(await limiter().admit(id, 'test', 2)).toEqual(refusedFor(1)); // t = 1302: 400 and 1301
    expect(await limiter().admit(id, 'test', 3)).toEqual(ADMITTED); // raised: a third place
    expect(await limiter().admit(id, 'test', 3)).toEqual(refusedFor(1));
  });

  it('counts a request stamped earlier than the last admission (another node, a slow connection) in its place', async () => {
    const id = await newAccountId();
    const behind = new ManualClock(clock.now().getTime() - 500);
    const otherNode = new RateLimiter(t.services.storage, behind);
    expect(await limiter().admit(id, 'test', 2)).toEqual(ADMITTED); // t = 0
    expect(await otherNode.admit(id, 'test', 2)).toEqual(ADMITTED); // stamped t = -500
    clock.advance(400);
    expect(await limiter().admit(id, 'test', 2)).toEqual(refusedFor(1)); // t = 400: -500 and 0 are within the second
    clock.advance(100);
    expect(await limiter().admit(id, 'test', 2)).toEqual(ADMITTED); // t = 500: -500 has left the second
    behind.advance(-600);
    expect(await otherNode.admit(id, 'test', 2)).toMatchObject({ admitted: false }); // stamped t = -1100: over a second before the newest
    expect(await limiter().admit(id, 'test', 2)).toEqual(refusedFor(1)); // t = 500: 0 and 500, the stale request not counted
  });

  it('admits exactly the limit from many concurrent requests at one instant', async () => {
    const id = await newAccountId();
    const results = await admitMany(id, 20, 3);
    expect(results.filter((r) => r.admitted)).toHaveLength(3);
    expect(results.filter((r) => !r.admitted)).toEqual(Array.from({ length: 17 }, () => refusedFor(1)));
  });

  it('leaves other accounts and other buckets unaffected', async () => {
    const busy = await newAccountId();
    const quiet = await newAccountId();
    expect((await admitMany(busy, 5)).filter((r) => r.admitted)).toHaveLength(2);
    expect(await admitMany(quiet, 2)).toEqual([ADMITTED, ADMITTED]);
    expect(await limiter().admit(busy, 'another-bucket', 2)).toEqual(ADMITTED);
    expect(await limiter().admit(busy, 'test', 2)).toEqual(refusedFor(1));
  });

  it("enforces the account's own setting, and a change takes effect at once", async () => {
    const id = await newAccountId();
    const enforce = () => limiter().enforceAccountLimit(id, LIMIT).then(() => 'admitted', (error: unknown) => error);
    expect(await enforce()).toBe('admitted');
    expect(await enforce()).toBe('admitted');
    const refused = await enforce();
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'rate_limited', headers: { 'retry-after': '1' } });

    expect((await t.patch(`/admin/accounts/${id}/limits`, { [LIMIT]: 4 }, ADMIN_TOKEN)).status).toBe(200);
    expect(await enforce()).toBe('admitted');
    expect(await enforce()).toBe('admitted');
    expect(await enforce()).toMatchObject({ code: 'rate_limited' });

    // Lowered to 1: the four admissions of this second keep it closed until they all leave it.
    expect((await t.patch(`/admin/accounts/${id}/limits`, { [LIMIT]: 1 }, ADMIN_TOKEN)).status).toBe(200);
    expect(await enforce()).toMatchObject({ code: 'rate_limited' });
    clock.advance(1000);
    expect(await enforce()).toBe('admitted');
    expect(await enforce()).toMatchObject({ code: 'rate_limited' });
    await expect(limiter().enforceAccountLimit('no-such-account', LIMIT)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('rejects a limit that is not a positive whole number', async () => {
    const id = await newAccountId();
    for (const perSecond of [0, -2, 1.5, Number.NaN]) await expect(limiter().admit(id, 'test', perSecond)).rejects.toThrow(RangeError);
  });
});

describe('rate_limited over HTTP', () => {
  it('is 429 problem+json with Retry-After in seconds', async () => {
    const app = Fastify();
    app.setErrorHandler(errorHandler);
    app.get('/limited', () => {
      throw rateLimited(3);
    });
    const response = await app.inject({ method: 'GET', url: '/limited' });
    await app.close();
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('3');
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 429, code: 'rate_limited', type: '/problems/rate_limited' });
  });
});

interface NodeResult {
  admitted: number[];
  refused: number[];
  retry_after_s: number[];
}

/** Runs the hammer fixture as its own process, on its own connection pool, as one server node would. */
function hammerNode(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', HAMMER, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let partial = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const seen: string[] = [];
  const lines: ((line: string) => void)[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    const complete = (partial + chunk.toString()).split('\n');
    partial = complete.pop() ?? '';
    seen.push(...complete);
    for (const line of complete) for (const listener of lines) listener(line);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const listener = (line: string) => {
        if (line.startsWith(prefix)) resolve(line.slice(prefix.length));
      };
      seen.forEach(listener);
      lines.push(listener);
      void exited.then((code) => reject(new Error(`hammer exited (${code}) before printing ${prefix}: ${stderr}`)));
    });
  const ready = waitFor('ready');
  const result = waitFor('result ').then((json) => JSON.parse(json) as NodeResult);
  return { child, ready, result, go: (startMs: number) => child.stdin.write(`go ${startMs}\n`) };
}

// Two nodes sharing one count only exists on PostgreSQL (SQLite has one process).
describe.skipIf(!postgresUrl)('the rate limiter across two processes (PostgreSQL only: set TEST_DATABASE_URL)', () => {
  const PER_SECOND = 2;
  const DURATION_MS = 3000;

  it('admits at most 2 in any one second from both together, and refuses only when the second is full', async () => {
    const storage = createStorage(postgresUrl ?? '');
    let accountId: string;
    try {
      await migrateStorage(storage);
      const accounts = new AccountsService(storage, systemClock, { signingSecret: SIGNING_SECRET, tokenTtlSeconds: 60 });
      accountId = (await accounts.createAccount({ name: 'Two nodes', timezone: 'UTC', default_country: 'US' })).id;
    } finally {
      await storage.close();
    }
    const args = [postgresUrl ?? '', accountId, LIMIT, String(PER_SECOND), String(DURATION_MS), '6'];
    const nodes = [hammerNode(args), hammerNode(args)];
    try {
      await Promise.all(nodes.map((node) => node.ready));
      const startMs = Date.now() + 200;
      for (const node of nodes) node.go(startMs);
      const results = await Promise.all(nodes.map((node) => node.result));

      // Both nodes really competed: each made many attempts throughout.
      for (const result of results) expect(result.admitted.length + result.refused.length).toBeGreaterThan(100);
      const admitted = results.flatMap((r) => r.admitted).sort((a, b) => a - b);
      const refused = results.flatMap((r) => r.refused);
      // Safety: no 3 admissions within one second, i.e. any 3 consecutive ones span a full second.
      for (let i = 0; i + PER_SECOND < admitted.length; i += 1) {
        expect((admitted[i + PER_SECOND] ?? 0) - (admitted[i] ?? 0), `admissions ${JSON.stringify(admitted)}`).toBeGreaterThanOrEqual(1000);
      }
      // So three seconds hold at most 6...
      expect(admitted.length).toBeLessThanOrEqual(PER_SECOND * (DURATION_MS / 1000));
      // ...and no refusal was spurious: each came when 2 admissions lay within the second before it
      // (an admission stamped later but reaching the database first counts too, as the limiter saw
      // it), or when it was stamped over a second before an admission that reached it first.
      for (const at of refused) {
        const justified = admitted.filter((a) => a > at - 1000).length >= PER_SECOND || admitted.some((a) => a > at + 1000);
        expect(justified, `refusal at ${at}, admissions ${JSON.stringify(admitted)}`).toBe(true);
      }
      // The window reopens one second after it filled, so both ends of the run admitted.
      expect(admitted[0]).toBeLessThan(startMs + 500);
      expect(admitted.at(-1)).toBeGreaterThanOrEqual(startMs + 2000);
      for (const retryAfterS of results.flatMap((r) => r.retry_after_s)) expect([1, 2]).toContain(retryAfterS);
    } finally {
      for (const { child } of nodes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
