import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, databaseUrl, TestApp, type TestAccount } from '../support/harness.js';
import { IsolatedSchema } from '../support/isolated-schema.js';

const MAIN = '+14155550100';
const CALLER = '+15105550123';

/** API.md: a call's route is decided once, when it arrives; toggling later never changes it. */
describe.each(DATABASES)('a call id routed again by another node or after a restart (%s)', (kind) => {
  let first: TestApp;
  let second: TestApp;
  let acct: TestAccount;

  beforeAll(async () => {
    const url = kind === 'postgres' ? (await IsolatedSchema.create()).url : databaseUrl('sqlite');
    first = await TestApp.start(kind, {}, { DATABASE_URL: url });
    second = await TestApp.start(kind, {}, { DATABASE_URL: url });
    acct = await first.newAccount();
    expect((await first.post('/numbers', { number: MAIN, name: 'Main' }, acct.token)).status).toBe(201);
    expect((await first.put('/fallback-experience/settings', { forward: { [MAIN]: '+14155559999' } }, acct.token)).status).toBe(200);
  });

  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  const route = async (node: TestApp, callId: string) => {
    const response = await node.post('/telephony/inbound-calls', { call_id: callId, from: CALLER, to: MAIN }, acct.token);
    expect(response.status, response.text).toBe(200);
    return response.body as { call_id: string; decision: { action: string; forward_to: string | null }; continuity: boolean };
  };

  it('keeps the route the call was given first, and its call log record', async () => {
    expect((await first.put('/fallback-experience/activation', { enabled: true }, acct.token)).status).toBe(200);
    const routed = await route(first, 'carrier-retry-1');
    expect(routed.decision).toMatchObject({ action: 'forward', forward_to: '+14155559999' });
    const logged = await first.get('/calls/carrier-retry-1', acct.token);

    expect((await first.put('/fallback-experience/activation', { enabled: false }, acct.token)).status).toBe(200);
    // The node that never saw the call (or this one after a restart) now decides `queue` for new calls...
    expect((await route(second, 'carrier-new-1')).decision.action).toBe('queue');
    // ...but the call already routed keeps its route, and the log keeps its record.
    expect(await route(second, 'carrier-retry-1')).toEqual(routed);
    expect(await route(second, 'carrier-retry-1')).toEqual(routed);
    expect((await second.get('/calls/carrier-retry-1', acct.token)).body).toEqual(logged.body);
  });

  it('gives one route to the same call arriving on two nodes at once', async () => {
    expect((await first.put('/fallback-experience/activation', { enabled: true }, acct.token)).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => route(i % 2 === 0 ? first : second, 'carrier-race-1')));
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    const calls = await first.get(`/calls?number=${encodeURIComponent(CALLER)}&per_page=100`, acct.token);
    expect(calls.body._embedded.calls.filter((c: { id: string }) => c.id === 'carrier-race-1')).toHaveLength(1);
  });
});
