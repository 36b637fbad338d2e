import { describe, expect, it } from 'vitest';
import { DATABASES, TestApp } from '../support/harness.js';
import { eventually } from '../support/eventually.js';
import { FakeProvider, TEST_ADAPTERS } from '../support/fake-provider.js';
import { IsolatedSchema } from '../support/isolated-schema.js';
import { configure, message, send, trail } from './messaging-support.js';
import { createEndpoint, deliveriesOf } from './webhooks-support.js';

/**
 * Channel configurations and webhook endpoints are read on every send and every event, so each
 * node keeps them in memory: a change made through one node must reach sends on every other.
 */
// Skipped, not empty, without PostgreSQL: a file with no suite at all fails `npm test` there.
describe.skipIf(!DATABASES.includes('postgres'))('configuration kept in memory across nodes (postgres)', () => {
  const db = 'postgres';
  it('sends through the providers and publishes to the endpoints another node configured a moment ago', async () => {
    const schema = await IsolatedSchema.create();
    const provider = await FakeProvider.start();
    const a = await TestApp.start(db, { channelAdapters: TEST_ADAPTERS }, { DATABASE_URL: schema.url });
    const b = await TestApp.start(db, { channelAdapters: TEST_ADAPTERS }, { DATABASE_URL: schema.url });
    try {
      const acct = await a.newAccount();
      const first = provider.endpoint();
      await configure(a, acct, 'sms', [first]);
      const before = await send(b, acct, { to: { phoneNumber: '+14155550100' }, rules: ['sms'] });
      await b.app.worker.drain();
      expect(trail(await message(b, acct, before))).toEqual(['sms/sms-1:accepted']);
      expect(provider.received(first)).toHaveLength(1);

      // Node B has the account's channels (and its lack of endpoints) in memory; node A changes both.
      const second = provider.endpoint();
      const moved = await a.put('/channels/sms', { providers: [{ name: 'moved', base_url: second, credentials: { token: 't' }, settings: {} }] }, acct.token);
      expect(moved.status, moved.text).toBe(200);
      const endpoint = await createEndpoint(a, acct, { url: 'http://127.0.0.1:9/hooks', events: ['message.sent'] });

      await eventually(async () => {
        const after = await send(b, acct, { to: { phoneNumber: '+14155550101' }, rules: ['sms'] });
        await b.app.worker.drain();
        expect(trail(await message(b, acct, after))).toEqual(['sms/moved:accepted']);
      });
      expect(provider.received(second).length).toBeGreaterThan(0);
      expect((await deliveriesOf(a, acct, endpoint.id)).map((d) => d.event_type)).toContain('message.sent');

      // Removing the channel on A: B skips it as not configured.
      expect((await a.request('DELETE', '/channels/sms', { token: acct.token })).status).toBe(204);
      await eventually(async () => {
        const skipped = await send(b, acct, { to: { phoneNumber: '+14155550102' }, rules: ['sms'] });
        await b.app.worker.drain();
        expect((await message(b, acct, skipped)).statusDetails.channelStatus.sms).toMatchObject({ status: 'skipped', details: 'sms is not configured for this account' });
      });
    } finally {
      await a.close();
      await b.close();
      await provider.close();
    }
  }, 30_000);
});
