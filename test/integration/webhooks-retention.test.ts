import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobQueue, scheduleRecurringJobs, webhookPurge, WEBHOOK_PURGE_EVERY_MS } from '../../src/jobs/index.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { SYSTEM_ACCOUNT } from '../../src/ports/jobs.js';
import { DATABASES, TestApp } from '../support/harness.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { createCase, createEndpoint, deliveriesOf, longLivedAccount, onlyDelivery } from './webhooks-support.js';
import { jobContext } from '../support/job-context.js';

const DAY = 24 * 60 * 60 * 1000;

describe.each(DATABASES)('webhook history retention and sealed secrets (%s)', (db) => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  const clock = new ManualClock();
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    t = await TestApp.start(db, { clock });
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  const drain = () => t.app.worker.drain();
  const purge = () => webhookPurge({ storage: t.services.storage, clock })({}, jobContext(SYSTEM_ACCOUNT));
  const eventsOf = (accountId: string) => t.services.storage.db.selectFrom('webhook_events').select('id').where('account_id', '=', accountId).execute();

  it('purges events and final deliveries 30 days after the event, keeping what is newer or still pending', async () => {
    const acct = await longLivedAccount(t);
    const ok = await createEndpoint(t, acct, { url: receiver.endpoint(200), events: ['case.created'] });
    await createCase(t, acct);
    await drain();
    expect((await onlyDelivery(t, acct, ok.id)).status).toBe('succeeded');

    clock.advance(30 * DAY - 1000);
    await createCase(t, acct);
    await drain();
    expect(await purge()).toEqual({ kind: 'repeat', at: new Date(clock.now().getTime() + WEBHOOK_PURGE_EVERY_MS) });
    expect(await deliveriesOf(t, acct, ok.id)).toHaveLength(2);

    clock.advance(2000);
    await purge();
    expect(await deliveriesOf(t, acct, ok.id)).toHaveLength(1);
    expect(await eventsOf(acct.id)).toHaveLength(1);
  });

  it('keeps a delivery still pending past the retention; it fails when it runs, its event gone', async () => {
    const acct = await longLivedAccount(t);
    const endpoint = await createEndpoint(t, acct, { url: receiver.endpoint(500), events: ['case.created'] });
    await createCase(t, acct);
    // No worker ran for a month.
    clock.advance(31 * DAY);
    await purge();
    expect(await eventsOf(acct.id)).toEqual([]);
    expect((await onlyDelivery(t, acct, endpoint.id)).status).toBe('pending');
    await drain();
    expect(await onlyDelivery(t, acct, endpoint.id)).toMatchObject({ status: 'failed', failure_reason: 'the event is no longer kept', attempts: [] });
  });

  it('is a recurring job every node schedules once', async () => {
    const queue = createJobQueue({ storage: t.services.storage, clock });
    await scheduleRecurringJobs(queue, t.services.storage, clock);
    await scheduleRecurringJobs(queue, t.services.storage, clock);
    const jobs = await t.services.storage.db.selectFrom('jobs').select('dedupe_key').where('type', '=', 'webhook.purge').execute();
    expect(jobs).toEqual([{ dedupe_key: 'webhook.purge' }]);
  });

  it('binds a sealed secret to its endpoint: copied into another row it does not open, and the delivery fails saying why', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint(200);
    const donor = await createEndpoint(t, acct, { url, events: ['message.*'] });
    const victim = await createEndpoint(t, acct, { url, events: ['case.created'] });
    const { db } = t.services.storage;
    const sealed = await db.selectFrom('webhook_endpoints').select('secret').where('account_id', '=', acct.id).where('id', '=', donor.id).executeTakeFirstOrThrow();
    await db.updateTable('webhook_endpoints').set({ secret: sealed.secret }).where('account_id', '=', acct.id).where('id', '=', victim.id).execute();
    await createCase(t, acct);
    await drain();
    expect(receiver.at(url)).toEqual([]);
    expect(await onlyDelivery(t, acct, victim.id)).toMatchObject({ status: 'failed', failure_reason: expect.stringContaining('cannot be decrypted') });
  });
});
