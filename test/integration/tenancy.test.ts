import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';

const NUMBER = '+14155550100';
const EXTERNAL = '+14155559999';
const A_PHONE = '+14155550166';

interface Seeded {
  skill: { id: string };
  agent: { id: string };
  group: { id: string };
  callId: string;
  queuedCallId: string;
  callbackId: string;
  flowId: string;
  interactionId: string;
  caseId: string;
  caseStatusId: string;
  messageId: string;
  webhookId: string;
}

type Case =
  /** Names account A's resource: account B must get 404 and change nothing. */
  | { kind: 'foreign'; url: (a: Seeded) => string; body?: unknown }
  /** Works on B's own account: B must see none of A's data and A must be unchanged. */
  | { kind: 'own'; url: string; body?: unknown; status: number; mustNotContain?: (a: Seeded) => string[] };

/**
 * Every route that takes an OAuth token, keyed as in the OpenAPI document. The test fails when a
 * route exists without a case here, so a new route cannot skip the cross-account check.
 */
const CASES: Record<string, Case> = {
  'POST /numbers': { kind: 'own', url: '/numbers', body: { number: '+14155550111', name: 'B main' }, status: 201 },
  'GET /numbers': { kind: 'own', url: '/numbers', status: 200 },
  'GET /numbers/{number}': { kind: 'foreign', url: () => `/numbers/${NUMBER}` },
  'PATCH /numbers/{number}': { kind: 'foreign', url: () => `/numbers/${NUMBER}`, body: { name: 'stolen' } },
  'DELETE /numbers/{number}': { kind: 'foreign', url: () => `/numbers/${NUMBER}` },
  'POST /skills': { kind: 'own', url: '/skills', body: { name: 'Online Requests' }, status: 201 },
  'GET /skills': { kind: 'own', url: '/skills', status: 200, mustNotContain: (a) => [a.skill.id] },
  'GET /skills/{id}': { kind: 'foreign', url: (a) => `/skills/${a.skill.id}` },
  'PATCH /skills/{id}': { kind: 'foreign', url: (a) => `/skills/${a.skill.id}`, body: { name: 'stolen' } },
  'DELETE /skills/{id}': { kind: 'foreign', url: (a) => `/skills/${a.skill.id}` },
  'POST /agents': { kind: 'own', url: '/agents', body: { name: 'Bo' }, status: 201 },
  'GET /agents': { kind: 'own', url: '/agents', status: 200, mustNotContain: (a) => [a.agent.id] },
  'GET /agents/{id}': { kind: 'foreign', url: (a) => `/agents/${a.agent.id}` },
  'PATCH /agents/{id}': { kind: 'foreign', url: (a) => `/agents/${a.agent.id}`, body: { name: 'stolen' } },
  'DELETE /agents/{id}': { kind: 'foreign', url: (a) => `/agents/${a.agent.id}` },
  'PUT /agents/{id}/status': { kind: 'foreign', url: (a) => `/agents/${a.agent.id}/status`, body: { status: 'away' } },
  'POST /groups': { kind: 'own', url: '/groups', body: { name: 'Tier 1' }, status: 201 },
  'GET /groups': { kind: 'own', url: '/groups', status: 200, mustNotContain: (a) => [a.group.id] },
  'GET /groups/{id}': { kind: 'foreign', url: (a) => `/groups/${a.group.id}` },
  'PATCH /groups/{id}': { kind: 'foreign', url: (a) => `/groups/${a.group.id}`, body: { name: 'stolen' } },
  'DELETE /groups/{id}': { kind: 'foreign', url: (a) => `/groups/${a.group.id}` },
  'GET /fallback-experience/settings': { kind: 'own', url: '/fallback-experience/settings', status: 200, mustNotContain: () => [EXTERNAL] },
  'PUT /fallback-experience/settings': { kind: 'own', url: '/fallback-experience/settings', body: { forward: {} }, status: 200 },
  'GET /fallback-experience/activation': { kind: 'own', url: '/fallback-experience/activation', status: 200 },
  'PUT /fallback-experience/activation': { kind: 'own', url: '/fallback-experience/activation', body: { enabled: false }, status: 200 },
  'GET /fallback-experience/audit': { kind: 'own', url: '/fallback-experience/audit', status: 200, mustNotContain: () => [EXTERNAL] },
  'POST /telephony/inbound-calls': { kind: 'own', url: '/telephony/inbound-calls', body: { call_id: 'b-call', from: '+15105550123', to: NUMBER }, status: 200, mustNotContain: () => [EXTERNAL] },
  'GET /calls': { kind: 'own', url: '/calls', status: 200, mustNotContain: (a) => [a.callId, a.queuedCallId] },
  'GET /calls/{call_id}': { kind: 'foreign', url: (a) => `/calls/${a.callId}` },
  'PUT /sim/phones/{number}': { kind: 'own', url: '/sim/phones/+14155558888', body: { behavior: 'answer' }, status: 200 },
  'GET /sim/phones/{number}': { kind: 'own', url: `/sim/phones/${EXTERNAL}`, status: 200, mustNotContain: () => ['busy'] },
  'DELETE /sim/phones/{number}': { kind: 'foreign', url: () => `/sim/phones/${EXTERNAL}` },
  'POST /sim/inbound-calls': { kind: 'own', url: '/sim/inbound-calls', body: { from: '+15105550123', to: NUMBER }, status: 400 },
  'POST /rest/api/v1/callback': { kind: 'own', url: '/rest/api/v1/callback', body: { skill: 'Secret skill', callbackNumber: '3855551234' }, status: 400 },
  'GET /callbacks': { kind: 'own', url: '/callbacks', status: 200, mustNotContain: (a) => [a.callbackId, '3855551234'] },
  'GET /callbacks/{id}': { kind: 'foreign', url: (a) => `/callbacks/${a.callbackId}` },
  'DELETE /callbacks/{id}': { kind: 'foreign', url: (a) => `/callbacks/${a.callbackId}` },
  'POST /sim/calls/{call_id}/hangup': { kind: 'foreign', url: (a) => `/sim/calls/${a.queuedCallId}/hangup`, body: {} },
  'POST /flows': { kind: 'own', url: '/flows', body: { name: 'B flow', definition: {} }, status: 201 },
  'GET /flows': { kind: 'own', url: '/flows', status: 200, mustNotContain: (a) => [a.flowId, 'Secret flow'] },
  'GET /flows/{flow_id}': { kind: 'foreign', url: (a) => `/flows/${a.flowId}` },
  'PUT /flows/{flow_id}/draft': { kind: 'foreign', url: (a) => `/flows/${a.flowId}/draft`, body: { definition: {} } },
  'POST /flows/{flow_id}/validate': { kind: 'foreign', url: (a) => `/flows/${a.flowId}/validate` },
  'POST /flows/{flow_id}/publish': { kind: 'foreign', url: (a) => `/flows/${a.flowId}/publish` },
  'GET /flows/{flow_id}/versions': { kind: 'foreign', url: (a) => `/flows/${a.flowId}/versions` },
  'GET /flows/{flow_id}/request-details': { kind: 'foreign', url: (a) => `/flows/${a.flowId}/request-details` },
  'POST /flows/{flow_id}/interactions': { kind: 'foreign', url: (a) => `/flows/${a.flowId}/interactions`, body: {} },
  'GET /flows/{flow_id}/executions': { kind: 'foreign', url: (a) => `/flows/${a.flowId}/executions` },
  'GET /interactions/{interaction_id}': { kind: 'foreign', url: (a) => `/interactions/${a.interactionId}` },
  'POST /flows/{flow_id}/simulate': { kind: 'foreign', url: (a) => `/flows/${a.flowId}/simulate`, body: {} },
  'GET /cases': { kind: 'own', url: '/cases', status: 200, mustNotContain: (a) => [a.caseId, 'Secret case'] },
  'POST /cases': { kind: 'own', url: '/cases', body: { title: 'B case' }, status: 201, mustNotContain: (a) => [a.caseId, 'Secret case'] },
  'GET /cases/{id}': { kind: 'foreign', url: (a) => `/cases/${a.caseId}` },
  'PATCH /cases/{id}': { kind: 'foreign', url: (a) => `/cases/${a.caseId}`, body: { title: 'stolen' } },
  'DELETE /cases/{id}': { kind: 'foreign', url: (a) => `/cases/${a.caseId}` },
  'POST /cases/{id}/restore': { kind: 'foreign', url: (a) => `/cases/${a.caseId}/restore` },
  'POST /cases/{id}/notes': { kind: 'foreign', url: (a) => `/cases/${a.caseId}/notes`, body: { body: 'stolen' } },
  'GET /cases/{id}/notes': { kind: 'foreign', url: (a) => `/cases/${a.caseId}/notes` },
  'GET /cases/{id}/audit': { kind: 'foreign', url: (a) => `/cases/${a.caseId}/audit` },
  'GET /cases/settings': { kind: 'own', url: '/cases/settings', status: 200, mustNotContain: () => ['7'] },
  'PUT /cases/settings': { kind: 'own', url: '/cases/settings', body: { auto_close_after_days: 9 }, status: 200 },
  'GET /case-statuses': { kind: 'own', url: '/case-statuses', status: 200, mustNotContain: (a) => [a.caseStatusId, 'Secret status'] },
  'POST /case-statuses': { kind: 'own', url: '/case-statuses', body: { name: 'B status', category: 'open' }, status: 201 },
  'GET /case-statuses/{id}': { kind: 'foreign', url: (a) => `/case-statuses/${a.caseStatusId}` },
  'PATCH /case-statuses/{id}': { kind: 'foreign', url: (a) => `/case-statuses/${a.caseStatusId}`, body: { name: 'stolen' } },
  'POST /messages': { kind: 'own', url: '/messages', body: { body: 'B message', to: { profileId: 'cust-a' }, rules: ['sms'] }, status: 201, mustNotContain: (a) => [a.messageId, A_PHONE] },
  'GET /messages': { kind: 'own', url: '/messages', status: 200, mustNotContain: (a) => [a.messageId, 'Secret message'] },
  'GET /messages/{messageId}': { kind: 'foreign', url: (a) => `/messages/${a.messageId}` },
  'PUT /profiles/{profileId}': { kind: 'own', url: '/profiles/cust-b', body: { phone_number: '+14155550177' }, status: 200, mustNotContain: () => [A_PHONE] },
  'GET /profiles/{profileId}': { kind: 'foreign', url: () => '/profiles/cust-a' },
  'DELETE /profiles/{profileId}': { kind: 'foreign', url: () => '/profiles/cust-a' },
  'POST /profiles/{profileId}/app-token': { kind: 'foreign', url: () => '/profiles/cust-a/app-token' },
  'DELETE /profiles/{profileId}/app-token': { kind: 'foreign', url: () => '/profiles/cust-a/app-token' },
  'PUT /channels/{channel}': { kind: 'own', url: '/channels/email', body: { providers: [{ name: 'b-mail', base_url: 'http://127.0.0.1:9' }] }, status: 200, mustNotContain: () => ['a-sms'] },
  'GET /channels': { kind: 'own', url: '/channels', status: 200, mustNotContain: () => ['a-sms'] },
  'GET /channels/{channel}': { kind: 'foreign', url: () => '/channels/sms' },
  'DELETE /channels/{channel}': { kind: 'foreign', url: () => '/channels/sms' },
  'POST /webhooks': { kind: 'own', url: '/webhooks', body: { url: 'http://127.0.0.1:9/b-hook', events: ['case.*'] }, status: 201, mustNotContain: (a) => [a.webhookId, 'a-hook'] },
  'GET /webhooks': { kind: 'own', url: '/webhooks', status: 200, mustNotContain: (a) => [a.webhookId, 'a-hook'] },
  'GET /webhooks/{id}': { kind: 'foreign', url: (a) => `/webhooks/${a.webhookId}` },
  'PATCH /webhooks/{id}': { kind: 'foreign', url: (a) => `/webhooks/${a.webhookId}`, body: { url: 'http://127.0.0.1:9/stolen' } },
  'DELETE /webhooks/{id}': { kind: 'foreign', url: (a) => `/webhooks/${a.webhookId}` },
  'GET /webhooks/{id}/deliveries': { kind: 'foreign', url: (a) => `/webhooks/${a.webhookId}/deliveries` },
};

/** A flow that publishes: it dials from account A's number. */
const FLOW_DEFINITION = {
  start: 'call',
  components: [
    { id: 'call', type: 'make_outbound_call', config: { from: NUMBER, to: EXTERNAL }, exits: { answered: 'end', invalid_number: 'end', busy: 'end', no_answer: 'end' } },
    { id: 'end', type: 'end_flow' },
  ],
};

describe.each(DATABASES)('tenancy: every authenticated route across two accounts (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db);
  });
  afterAll(() => t.close());

  async function seed(a: TestAccount): Promise<Seeded> {
    await t.post('/numbers', { number: NUMBER, name: 'A main' }, a.token);
    const skill = (await t.post('/skills', { name: 'Secret skill' }, a.token)).body;
    const agent = (await t.post('/agents', { name: 'Ana', skills: ['Secret skill'] }, a.token)).body;
    const group = (await t.post('/groups', { name: 'A team', agent_ids: [agent.id] }, a.token)).body;
    await t.put(`/sim/phones/${EXTERNAL}`, { behavior: 'busy' }, a.token);
    await t.put('/fallback-experience/settings', { forward: { [NUMBER]: EXTERNAL } }, a.token);
    const queued = (await t.post('/sim/inbound-calls', { from: '+15105550123', to: NUMBER }, a.token)).body;
    await t.put('/fallback-experience/activation', { enabled: true }, a.token);
    await t.post('/telephony/inbound-calls', { call_id: 'a-call', from: '+15105550123', to: NUMBER }, a.token);
    await t.post('/rest/api/v1/callback', { skill: 'Secret skill', callbackNumber: '3855551234' }, a.token);
    const callbackId = (await t.get('/callbacks', a.token)).body._embedded.callbacks[0].id as string;
    const flowId = (await t.post('/flows', { name: 'Secret flow', definition: FLOW_DEFINITION }, a.token)).body.id as string;
    expect((await t.post(`/flows/${flowId}/publish`, undefined, a.token)).status).toBe(201);
    const started = await t.post(`/flows/${flowId}/interactions`, {}, a.token);
    expect(started.status).toBe(202);
    const caseStatusId = (await t.post('/case-statuses', { name: 'Secret status', category: 'pending' }, a.token)).body.id as string;
    const caseId = (await t.post('/cases', { title: 'Secret case', status: 'Secret status', assignee_id: agent.id, related: { callbacks: [callbackId] } }, a.token)).body.id as string;
    await t.post(`/cases/${caseId}/notes`, { body: 'secret note' }, a.token);
    await t.put('/cases/settings', { auto_close_after_days: 7 }, a.token);
    expect((await t.put('/channels/sms', { providers: [{ name: 'a-sms', base_url: 'http://127.0.0.1:9', credentials: { token: 'a-secret' } }] }, a.token)).status).toBe(200);
    expect((await t.put('/profiles/cust-a', { phone_number: A_PHONE }, a.token)).status).toBe(200);
    expect((await t.post('/profiles/cust-a/app-token', undefined, a.token)).status).toBe(201);
    const messageId = (await t.post('/messages', { body: 'Secret message', to: { profileId: 'cust-a' }, rules: ['sms'] }, a.token)).body.messageId as string;
    const webhookId = (await t.post('/webhooks', { url: 'http://127.0.0.1:9/a-hook', events: ['case.*'] }, a.token)).body.id as string;
    expect((await t.patch(`/cases/${caseId}`, { priority: 'high' }, a.token)).status).toBe(200);
    return { skill, agent, group, callId: 'a-call', queuedCallId: queued.call_id, callbackId, flowId, interactionId: started.body.interaction_id as string, caseId, caseStatusId, messageId, webhookId };
  }

  /** What account A can see of itself, to prove B's requests changed none of it. */
  async function stateOf(a: TestAccount, seeded: Seeded) {
    const paths = ['/numbers', '/skills', '/agents', '/groups', '/fallback-experience/settings', '/fallback-experience/activation', `/sim/phones/${EXTERNAL}`, `/calls/${seeded.queuedCallId}`, `/callbacks/${seeded.callbackId}`, `/flows/${seeded.flowId}`, `/flows/${seeded.flowId}/versions`, `/interactions/${seeded.interactionId}`, `/flows/${seeded.flowId}/executions`, `/cases/${seeded.caseId}`, `/cases/${seeded.caseId}/notes`, `/cases/${seeded.caseId}/audit`, '/cases/settings', '/case-statuses', `/messages/${seeded.messageId}`, '/profiles/cust-a', '/channels/sms', `/webhooks/${seeded.webhookId}`, `/webhooks/${seeded.webhookId}/deliveries`];
    return Promise.all(paths.map(async (path) => (await t.get(path, a.token)).body));
  }

  it('covers every authenticated route in the OpenAPI document', async () => {
    const spec = (await t.get('/openapi.json')).body as { paths: Record<string, Record<string, { security?: { oauth2?: string[] }[] }>> };
    const routes = Object.entries(spec.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, op]) => op.security?.some((s) => s.oauth2))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(Object.keys(CASES).sort());
  });

  it("never lets one account read or change another's data", async () => {
    const a = await t.newAccount();
    const b = await t.newAccount();
    const seeded = await seed(a);
    const before = await stateOf(a, seeded);

    for (const [route, testCase] of Object.entries(CASES)) {
      const method = route.split(' ')[0] ?? 'GET';
      const url = testCase.kind === 'foreign' ? testCase.url(seeded) : testCase.url;
      const response = await t.request(method, url, { token: b.token, body: testCase.body });
      if (testCase.kind === 'foreign') {
        expect(response.status, `${route} as another account`).toBe(404);
      } else {
        expect(response.status, `${route}: ${response.text}`).toBe(testCase.status);
        for (const secret of testCase.mustNotContain?.(seeded) ?? []) expect(response.text, route).not.toContain(secret);
      }
    }
    expect(await stateOf(a, seeded)).toEqual(before);
  });
});
