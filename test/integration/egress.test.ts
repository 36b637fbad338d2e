import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHttpServer, type TestHttpServer } from '../../src/domains/flows/runtime/test-http-server.js';
import { DATABASES, TestApp } from '../support/harness.js';
import { createCase, createEndpoint, deliveriesOf, longLivedAccount } from './webhooks-support.js';

/**
 * A server configured as in production (`SWITCHBOARD_EGRESS_ALLOW` unset): what a tenant points
 * at an internal address (here a service on this host holding "credentials") is never called,
 * and what the tenant reads back says why instead of what the service answered.
 */
describe.each(DATABASES)('requests tenants direct stay off internal addresses (%s)', (db) => {
  let t: TestApp;
  let internal: TestHttpServer;
  beforeAll(async () => {
    internal = await startTestHttpServer(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"AccessKeyId":"AKIA-INTERNAL","SecretAccessKey":"do-not-leak"}' }));
    t = await TestApp.start(db, {}, { SWITCHBOARD_EGRESS_ALLOW: '' });
  });
  afterAll(async () => {
    await t.close();
    await internal.close();
  });
  const drain = () => t.app.worker.drain();
  const port = () => new URL(internal.url).port;

  it('refuses webhooks, flow HTTP calls and channel providers aimed at this host, by address or by name', async () => {
    const acct = await longLivedAccount(t);

    const endpoint = await createEndpoint(t, acct, { url: `http://127.0.0.1:${port()}/hook`, events: ['case.created'] });
    await createCase(t, acct);
    await drain();
    const [delivery] = await deliveriesOf(t, acct, endpoint.id);
    expect(delivery?.attempts[0]).toMatchObject({ status: null, error: expect.stringContaining('internal address') });

    const definition = {
      trigger: { type: 'api', arguments: [] },
      start: 'fetch',
      components: [
        { id: 'fetch', type: 'execute_action', config: { url: `http://localhost:${port()}/latest/meta-data`, output: { loot: '$' } }, exits: { success: 'end', failure: 'end' } },
        { id: 'end', type: 'end_flow' },
      ],
    };
    const flow = (await t.post('/flows', { name: 'Fetch', definition }, acct.token)).body.id as string;
    expect((await t.post(`/flows/${flow}/publish`, undefined, acct.token)).status).toBe(201);
    const started = await t.post(`/flows/${flow}/interactions`, {}, acct.token);
    await drain();
    const interaction = (await t.get(`/interactions/${started.body.interaction_id}`, acct.token)).body;
    expect(interaction.steps[0]).toMatchObject({ component: 'fetch', exit: 'failure' });
    expect(JSON.stringify(interaction.steps[0].detail)).toContain('internal address');
    expect(interaction.variables.loot).toBeUndefined();

    const sms = { name: 'internal', base_url: `http://127.0.0.1:${port()}/sms`, credentials: { accountSid: 'AC1', authToken: 't' }, settings: { from: '+14155550199' } };
    expect((await t.put('/channels/sms', { providers: [sms] }, acct.token)).status).toBe(200);
    const sent = await t.post('/messages', { body: 'Hello', to: { phoneNumber: '+14155550100' }, rules: ['sms'] }, acct.token);
    await drain();
    const message = (await t.get(`/messages/${sent.body.messageId}`, acct.token)).body;
    expect(message.status).toBe('failed');
    expect(message.attempts[0].details).toContain('internal address');

    expect(internal.received).toEqual([]);
    expect(JSON.stringify([delivery, interaction, message])).not.toContain('do-not-leak');
  });
});
