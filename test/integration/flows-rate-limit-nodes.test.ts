import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/harness.js';
import { IsolatedSchema } from '../support/isolated-schema.js';
import { ServerProcess } from '../support/server-process.js';

const postgresUrl = inject('postgresUrl');
const DEFINITION = { start: 'end', components: [{ id: 'end', type: 'end_flow' }] };
/** How long both nodes are hammered; the limit allows 2 starts in any one second. */
const RUN_MS = 3000;

describe.skipIf(!postgresUrl)('flow starts are limited per account across server processes (PostgreSQL only: set TEST_DATABASE_URL)', () => {
  let schema: IsolatedSchema;
  let a: ServerProcess;
  let b: ServerProcess;
  beforeAll(async () => {
    schema = await IsolatedSchema.create();
    [a, b] = await Promise.all([ServerProcess.start(schema.url), ServerProcess.start(schema.url)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  async function accountWithFlow(name: string): Promise<{ token: string; flowId: string }> {
    const account = await a.call('POST', '/admin/accounts', ADMIN_TOKEN, { name });
    const client = await a.call('POST', `/admin/accounts/${account.body.id}/clients`, ADMIN_TOKEN, { name: 'tests', scopes: ['flow-definitions:write', 'flows-interactions:start'] });
    const token = (await a.call('POST', '/oauth/token', undefined, { grant_type: 'client_credentials', client_id: client.body.client_id, client_secret: client.body.client_secret })).body.access_token as string;
    const flow = await a.call('POST', '/flows', token, { name: 'Nothing', definition: DEFINITION });
    expect((await a.call('POST', `/flows/${flow.body.id}/publish`, token)).status).toBe(201);
    return { token, flowId: flow.body.id as string };
  }

  it('admits 2 starts per second on both nodes together, answers the rest 429 with Retry-After, and leaves another account alone', async () => {
    const busy = await accountWithFlow('Busy');
    const quiet = await accountWithFlow('Quiet');
    const admitted: string[] = [];
    const refused: { node: string; retryAfter: string | null }[] = [];
    const started = Date.now();
    // Eight requests in flight at all times, four per node, for three seconds.
    await Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        const [node, name] = lane % 2 === 0 ? [a, 'a'] : [b, 'b'];
        while (Date.now() - started < RUN_MS) {
          const response = await fetch(`${node.baseUrl}/flows/${busy.flowId}/interactions`, {
            method: 'POST', headers: { authorization: `Bearer ${busy.token}`, 'content-type': 'application/json' }, body: '{}',
          });
          await response.arrayBuffer();
          if (response.status === 202) admitted.push(name);
          else {
            expect(response.status).toBe(429);
            refused.push({ node: name, retryAfter: response.headers.get('retry-after') });
          }
        }
      }),
    );
    // Any one second holds at most 2 admissions, so a 3-second run admits at most 2 × 3, plus 2
    // for a window the run straddles at its start.
    expect(admitted.length).toBeLessThanOrEqual(8);
    expect(admitted.length).toBeGreaterThanOrEqual(4);
    expect(refused.length).toBeGreaterThan(admitted.length);
    expect(new Set(refused.map((r) => r.node))).toEqual(new Set(['a', 'b']));
    for (const r of refused) expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    // (The limiter's own one-second windows are checked to the millisecond in rate-limits.test.ts.)

    const other = await fetch(`${b.baseUrl}/flows/${quiet.flowId}/interactions`, { method: 'POST', headers: { authorization: `Bearer ${quiet.token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(other.status).toBe(202);
  }, 60_000);
});
