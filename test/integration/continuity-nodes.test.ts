import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/harness.js';
import { ServerProcess } from '../support/server-process.js';

const MAIN = '+14155550100';
const postgresUrl = inject('postgresUrl');

/** Two server processes on one PostgreSQL database, as a multi-node deployment runs them. */
describe.skipIf(!postgresUrl)('routing snapshots across nodes (postgres)', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let token: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([ServerProcess.start(postgresUrl ?? ''), ServerProcess.start(postgresUrl ?? '')]);
    const account = await a.call('POST', '/admin/accounts', ADMIN_TOKEN, { name: 'Two nodes' });
    const client = await a.call('POST', `/admin/accounts/${account.body.id}/clients`, ADMIN_TOKEN, {
      name: 'ops',
      scopes: ['directory:write', 'continuity-settings:write', 'continuity-settings-activation:write', 'telephony:route', 'flow-definitions:write'],
    });
    const issued = await fetch(`${a.baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.body.client_id, client_secret: client.body.client_secret }),
    });
    token = ((await issued.json()) as { access_token: string }).access_token;
    expect((await a.call('POST', '/numbers', token, { number: MAIN, name: 'Main' })).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  let seq = 0;
  const decisionOn = async (node: ServerProcess) => {
    const response = await node.call('POST', '/telephony/inbound-calls', token, { call_id: `node-call-${++seq}`, from: '+15105550123', to: MAIN });
    expect(response.status).toBe(200);
    return response.body.decision as { action: string; forward_to: string | null; flow_id: string | null };
  };

  /** Polls node `b` until `accept` holds, failing if that takes longer than one second. */
  async function reachesWithinOneSecond(accept: (decision: Awaited<ReturnType<typeof decisionOn>>) => boolean) {
    const started = Date.now();
    for (;;) {
      const decision = await decisionOn(b);
      if (accept(decision)) return Date.now() - started;
      if (Date.now() - started > 1000) throw new Error(`node b still decides ${JSON.stringify(decision)} after 1 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('a change made through one node reaches the other within a second', async () => {
    expect((await decisionOn(b)).action).toBe('queue');
    expect((await a.call('PUT', '/fallback-experience/settings', token, { forward: { [MAIN]: '+14155559999' } })).status).toBe(200);
    expect((await a.call('PUT', '/fallback-experience/activation', token, { enabled: true })).status).toBe(200);
    await reachesWithinOneSecond((d) => d.action === 'forward' && d.forward_to === '+14155559999');

    expect((await a.call('PUT', '/fallback-experience/settings', token, { forward: { default: '+18005550000' } })).status).toBe(200);
    await reachesWithinOneSecond((d) => d.forward_to === '+18005550000');

    const flow = await a.call('POST', '/flows', token, { name: 'Main', definition: { trigger: { type: 'api', arguments: [] }, start: 'end', components: [{ id: 'end', type: 'end_flow' }] } });
    expect((await a.call('POST', `/flows/${flow.body.id}/publish`, token, {})).status).toBe(201);
    expect((await a.call('PATCH', `/numbers/${encodeURIComponent(MAIN)}`, token, { inbound_flow_id: flow.body.id })).status).toBe(200);
    expect((await a.call('PUT', '/fallback-experience/activation', token, { enabled: false })).status).toBe(200);
    await reachesWithinOneSecond((d) => d.action === 'flow' && d.flow_id === flow.body.id);
  });
});
