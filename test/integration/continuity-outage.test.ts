import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADMIN_TOKEN, TestApp, type TestAccount } from '../support/harness.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { eventually } from '../support/eventually.js';

const MAIN = '+14155550100';
const postgresUrl = inject('postgresUrl');

/**
 * The database becomes unreachable under a running server: decisions keep coming from the last
 * snapshot, call records are buffered and flushed when it returns, /ready and /metrics tell.
 * PostgreSQL only: an embedded SQLite file has no connection to lose.
 */
describe.skipIf(!postgresUrl)('continuity through a database outage (postgres)', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let acct: TestAccount;

  beforeAll(async () => {
    const target = new URL(postgresUrl ?? '');
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const port = await proxy.start();
    const viaProxy = new URL(target);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(port);
    t = await TestApp.start('postgres', {}, { DATABASE_URL: viaProxy.toString() });
    acct = await t.newAccount();
    await t.post('/numbers', { number: MAIN, name: 'Main' }, acct.token);
    await t.put('/fallback-experience/settings', { forward: { [MAIN]: '+14155559999' }, message: { downtime_message: 'Outage', language: 'en-US' } }, acct.token);
    await t.put('/fallback-experience/activation', { enabled: true }, acct.token);
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.cut();
  });

  const route = (callId: string) => t.post('/telephony/inbound-calls', { call_id: callId, from: '+15105550123', to: MAIN }, acct.token);
  const metric = async (name: string) => {
    const text = (await t.get('/metrics')).text;
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return Number(line?.split(' ')[1]);
  };

  it('keeps deciding from the snapshot, buffers the call log and flushes it when the database returns', async () => {
    expect((await route('before-outage')).status).toBe(200);

    await proxy.cut();
    for (let i = 0; i < 5; i++) {
      const response = await route(`during-outage-${i}`);
      expect(response.status).toBe(200);
      expect(response.body.decision).toMatchObject({ action: 'forward', forward_to: '+14155559999', message: { text: 'Outage' } });
    }
    // A caller on the simulated network gets through too: the network checks the number against the same snapshot.
    const simulated = await t.post('/sim/inbound-calls', { from: '+15105550123', to: MAIN }, acct.token);
    expect(simulated.status).toBe(201);
    expect(simulated.body.decision).toMatchObject({ action: 'forward', forward_to: '+14155559999' });
    const degraded = await t.get('/ready');
    expect(degraded.status).toBe(503);
    expect(degraded.body).toMatchObject({ status: 'degraded', checks: { database: { status: 'down' }, call_log: { status: 'degraded' } } });
    expect(await metric('switchboard_call_log_buffered')).toBeGreaterThanOrEqual(6);
    expect(await metric('switchboard_call_log_dropped_total')).toBe(0);

    await proxy.start();
    await eventually(async () => expect((await t.get('/ready')).status).toBe(200), 15_000, 100);
    expect(await metric('switchboard_call_log_buffered')).toBe(0);
    const calls = await t.get('/calls?per_page=50', acct.token);
    const ids = calls.body._embedded.calls.map((c: { id: string }) => c.id);
    for (let i = 0; i < 5; i++) expect(ids).toContain(`during-outage-${i}`);
    expect(ids).toContain('before-outage');
  });
});

describe.skipIf(!postgresUrl)('authenticating routing requests through a database outage (postgres)', () => {
  it('takes a service token and a correctly signed token it has not seen from memory, and answers 503 with Retry-After what needs the database', async () => {
    const target = new URL(postgresUrl ?? '');
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(target);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(await proxy.start());
    const t = await TestApp.start('postgres', {}, { DATABASE_URL: viaProxy.toString() });
    try {
      const accountId = (await t.post('/admin/accounts', { name: 'Carrier-routed' }, ADMIN_TOKEN)).body.id as string;
      const serviceToken = async () => (await t.post(`/admin/accounts/${accountId}/service-tokens`, { name: 'sbc', scopes: ['telephony:route', 'directory:write', 'continuity-settings:write', 'continuity-settings-activation:write', 'calls:read'], expires_at: null }, ADMIN_TOKEN)).body.token as string;
      const sbc = await serviceToken();
      const unused = await serviceToken();
      await t.post('/numbers', { number: MAIN, name: 'Main' }, sbc);
      await t.put('/fallback-experience/settings', { forward: { [MAIN]: '+14155559999' } }, sbc);
      await t.put('/fallback-experience/activation', { enabled: true }, sbc);
      const client = (await t.post(`/admin/accounts/${accountId}/clients`, { name: 'pbx', scopes: ['telephony:route', 'calls:read'] }, ADMIN_TOKEN)).body;
      // Issued, never used on this node: the node has not seen the account through a signed token.
      const jwt = (await t.post('/oauth/token', { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret })).body.access_token as string;
      const route = (token: string, callId: string) => t.post('/telephony/inbound-calls', { call_id: callId, from: '+15105550123', to: MAIN }, token);
      expect((await route(sbc, 'before')).status).toBe(200);

      await proxy.cut();
      const bySbc = await route(sbc, 'sbc-during');
      expect(bySbc.status).toBe(200);
      expect(bySbc.body.decision).toMatchObject({ action: 'forward', forward_to: '+14155559999' });
      expect((await route(jwt, 'pbx-during')).status).toBe(200);
      const calls = await t.get('/calls', jwt);
      expect(calls.status).toBe(503);
      expect(calls.headers['retry-after']).toBe('5');
      expect(calls.body).toMatchObject({ code: 'service_unavailable', request_id: expect.any(String) });
      // A service token this node never verified cannot be checked without the database.
      expect((await route(unused, 'unknown-during')).status).toBe(503);
    } finally {
      await proxy.start();
      await t.close();
      await proxy.cut();
    }
  });
});

describe.skipIf(!postgresUrl)('bounded call-log buffer (postgres)', () => {
  it('drops what does not fit and counts it', async () => {
    const target = new URL(postgresUrl ?? '');
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(target);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(await proxy.start());
    const t = await TestApp.start('postgres', {}, { DATABASE_URL: viaProxy.toString(), SWITCHBOARD_CALL_LOG_BUFFER: '2' });
    try {
      const acct = await t.newAccount();
      await t.put('/fallback-experience/settings', { forward: { default: '+18005550000' } }, acct.token);
      await t.put('/fallback-experience/activation', { enabled: true }, acct.token);
      await t.post('/telephony/inbound-calls', { call_id: 'warm', from: '+15105550123', to: MAIN }, acct.token);
      await proxy.cut();
      for (let i = 0; i < 4; i++) {
        expect((await t.post('/telephony/inbound-calls', { call_id: `c${i}`, from: '+15105550123', to: MAIN }, acct.token)).status).toBe(200);
      }
      expect(t.services.calls.stats).toMatchObject({ buffered: 2, dropped: 2 });
    } finally {
      await t.close();
      await proxy.cut();
    }
  });
});
