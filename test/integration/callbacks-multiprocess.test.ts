import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/harness.js';
import { eventually } from '../support/eventually.js';
import { IsolatedSchema } from '../support/isolated-schema.js';
import { ServerProcess } from '../support/server-process.js';

const postgresUrl = inject('postgresUrl');
const CALLBACKS = 500;
const AGENTS = 50;
const SKILL = 'Online Requests';

// Two nodes dispatching one skill only exists on PostgreSQL (SQLite has one process).
describe.skipIf(!postgresUrl)('callbacks across two server processes (PostgreSQL only: set TEST_DATABASE_URL)', () => {
  // The nodes run every job type on the system clock: on the run's shared schema they would also
  // pick up other test files' callback jobs.
  let schema: IsolatedSchema;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    schema = await IsolatedSchema.create();
    [a, b] = await Promise.all([ServerProcess.start(schema.url, { SWITCHBOARD_WORKER: 'true' }), ServerProcess.start(schema.url, { SWITCHBOARD_WORKER: 'true' })]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it(`dials each of ${CALLBACKS} customers once and never reserves one agent twice, both nodes sharing the work`, async () => {
    const account = await a.call('POST', '/admin/accounts', ADMIN_TOKEN, { name: 'Two nodes' });
    const client = await a.call('POST', `/admin/accounts/${account.body.id}/clients`, ADMIN_TOKEN, { name: 'tests', scopes: ['directory:write', 'directory:read', 'callback:write', 'callbacks:read', 'calls:read', 'telephony:route'] });
    const issued = await a.call('POST', '/oauth/token', undefined, { grant_type: 'client_credentials', client_id: client.body.client_id, client_secret: client.body.client_secret });
    expect(issued.status, JSON.stringify([account.body, client.body, issued.body])).toBe(200);
    const token = issued.body.access_token as string;

    // A one-word greeting, instant phones and one second of talk keep each callback about two
    // seconds of real time, long enough that an agent reserved twice would show overlapping calls.
    const skill = await a.call('POST', '/skills', token, { name: SKILL, announcements: { 'en-US': { greeting: 'Hello.', prompt: 'Press 1.' } } });
    expect(skill.status).toBe(201);
    const customers = Array.from({ length: CALLBACKS }, (_, i) => `+1385555${String(i).padStart(4, '0')}`);
    const agentPhones = Array.from({ length: AGENTS }, (_, i) => `+1415555${String(i).padStart(4, '0')}`);
    for (const number of [...customers, ...agentPhones]) {
      expect((await a.call('PUT', `/sim/phones/${number}`, token, { behavior: 'answer', answer_after_s: 0, talk_s: 1 })).status).toBe(200);
    }
    // Requests alternate between the nodes, and so do the agents coming online.
    await Promise.all(customers.map(async (number, i) => expect((await (i % 2 === 0 ? a : b).call('POST', '/rest/api/v1/callback', token, { skill: SKILL, callbackNumber: number })).status).toBe(204)));
    for (const [i, phone] of agentPhones.entries()) {
      expect((await (i % 2 === 0 ? b : a).call('POST', '/agents', token, { name: `Agent ${i}`, skills: [SKILL], status: 'available', phone })).status).toBe(201);
    }

    await eventually(async () => {
      const completed = await a.call('GET', '/callbacks?state=completed&per_page=1', token);
      expect(completed.body.total).toBe(CALLBACKS);
    }, 150_000, 500);

    const all = async <T>(path: string, plural: string): Promise<T[]> => {
      const items: T[] = [];
      for (let next: string | undefined = path; next; ) {
        const page: { _embedded: Record<string, T[]>; _links: { next?: { href: string } } } = (await a.call('GET', next, token)).body;
        items.push(...(page._embedded[plural] ?? []));
        next = page._links.next?.href;
      }
      return items;
    };
    const callbacks = await all<{ callback_number: string; attempts: { outcome: string }[] }>('/callbacks?per_page=500', 'callbacks');
    expect(callbacks).toHaveLength(CALLBACKS);
    for (const callback of callbacks) expect(callback.attempts.map((x) => x.outcome)).toEqual(['answered']);

    const legs = await all<{ kind: string | null; to: string; started_at: string; ended_at: string }>('/calls?per_page=500', 'calls');
    const dialled = legs.filter((call) => call.kind === 'callback_leg');
    // Every customer dialled exactly once.
    const perCustomer = new Map<string, number>();
    for (const leg of dialled) if (customers.includes(leg.to)) perCustomer.set(leg.to, (perCustomer.get(leg.to) ?? 0) + 1);
    expect(perCustomer.size).toBe(CALLBACKS);
    expect([...perCustomer.values()].every((n) => n === 1)).toBe(true);
    // An agent's calls never overlap: nobody was reserved for two callbacks at once.
    for (const phone of agentPhones) {
      const calls = dialled.filter((leg) => leg.to === phone).sort((x, y) => x.started_at.localeCompare(y.started_at));
      for (let i = 1; i < calls.length; i += 1) expect((calls[i]?.started_at ?? '') >= (calls[i - 1]?.ended_at ?? '')).toBe(true);
    }
    expect(dialled.filter((leg) => agentPhones.includes(leg.to))).toHaveLength(CALLBACKS);
    // Both nodes took their share: each ran a good part of the ~1,000 dispatch and dial jobs.
    for (const node of [a, b]) expect(await node.metric('switchboard_jobs_succeeded_total')).toBeGreaterThan(CALLBACKS / 5);
  }, 240_000);
});
