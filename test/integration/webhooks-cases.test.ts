import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubscribedEndpoints, WebhookPublisher } from '../../src/domains/webhooks/index.js';
import { createJobQueue } from '../../src/jobs/index.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { eventually } from '../support/eventually.js';
import { DATABASES, TestApp } from '../support/harness.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { createCase, createEndpoint, longLivedAccount } from './webhooks-support.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(DATABASES)('case events on webhooks (%s)', (db) => {
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

  it('publishes case.created, case.updated, case.resolved and (on auto-close) case.closed, each with the case as data', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint();
    await createEndpoint(t, acct, { url, events: ['case.*'] });
    const { id } = await createCase(t, acct, { title: 'Router down', priority: 'high' });
    expect((await t.patch(`/cases/${id}`, { title: 'Router down in Lisbon' }, acct.token)).status).toBe(200);
    // A PATCH that changes nothing is not an update.
    expect((await t.patch(`/cases/${id}`, { title: 'Router down in Lisbon' }, acct.token)).status).toBe(200);
    expect((await t.patch(`/cases/${id}`, { status: 'resolved', resolution: 'rebooted' }, acct.token)).status).toBe(200);
    await drain();
    clock.advance(4 * DAY_MS);
    await drain();
    await drain();

    const received = receiver.eventsAt(url);
    expect(received.map((e) => e.type)).toEqual(['case.created', 'case.updated', 'case.updated', 'case.resolved', 'case.updated', 'case.closed']);
    expect(received.every((e) => e.data.id === id)).toBe(true);
    expect(received[0]?.data).toMatchObject({ title: 'Router down', priority: 'high', status: 'new', status_category: 'new' });
    expect(received[1]?.data).toMatchObject({ title: 'Router down in Lisbon' });
    expect(received[3]?.data).toMatchObject({ status: 'resolved', status_category: 'resolved', resolution: 'rebooted' });
    expect(received[5]?.data).toMatchObject({ status: 'closed', status_category: 'closed', closed_at: expect.any(String) });
    // The data is the case as the API shows it.
    const current = (await t.get(`/cases/${id}`, acct.token)).body;
    expect(received[5]?.data).toEqual(current);
  });

  it('publishes case.updated for a note, the trash and a restore, each with the case as the API then shows it', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint();
    await createEndpoint(t, acct, { url, events: ['case.updated'] });
    const { id } = await createCase(t, acct, { title: 'Router down' });
    expect((await t.post(`/cases/${id}/notes`, { body: 'Customer called again', visibility: 'internal' }, acct.token)).status).toBe(201);
    const noted = (await t.get(`/cases/${id}`, acct.token)).body;
    expect((await t.delete(`/cases/${id}`, acct.token)).status).toBe(204);
    expect((await t.post(`/cases/${id}/restore`, undefined, acct.token)).status).toBe(200);
    await drain();
    const received = receiver.eventsAt(url);
    expect(received.map((e) => e.type)).toEqual(['case.updated', 'case.updated', 'case.updated']);
    expect(received[0]?.data).toEqual(noted);
    expect(received[1]?.data).toMatchObject({ id, deleted_at: expect.any(String) });
    expect(received[2]?.data).toEqual((await t.get(`/cases/${id}`, acct.token)).body);
  });

  it('publishes for the incidents a problem resolves along with it', async () => {
    const acct = await longLivedAccount(t);
    const problem = await createCase(t, acct, { title: 'Outage', type: 'problem' });
    const incident = await createCase(t, acct, { title: 'No dial tone', type: 'incident', problem_id: problem.id });
    const url = receiver.endpoint();
    await createEndpoint(t, acct, { url, events: ['case.resolved'] });
    expect((await t.patch(`/cases/${problem.id}`, { status: 'resolved', resolution: 'fixed upstream' }, acct.token)).status).toBe(200);
    await drain();
    const resolved = receiver.at(url).map((r) => r.body.data);
    expect(resolved.map((c) => c.id).sort()).toEqual([problem.id, incident.id].sort());
    expect(resolved.every((c) => c.status_category === 'resolved')).toBe(true);
  });

  it('publishes inside the change\'s transaction: a change rolled back leaves no event, delivery or job', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint();
    await createEndpoint(t, acct, { url, events: ['case.*'] });
    const publisher = new WebhookPublisher(clock, createJobQueue({ storage: t.services.storage, clock }), new SubscribedEndpoints(t.services.storage));
    const { db } = t.services.storage;
    await expect(db.transaction().execute(async (trx) => {
      await publisher.publish(trx, acct.id, 'case.created', { id: 'c-1' });
      throw new Error('the change failed');
    })).rejects.toThrow('the change failed');
    await drain();
    expect(receiver.at(url)).toEqual([]);
    expect(await db.selectFrom('webhook_events').select('id').where('account_id', '=', acct.id).execute()).toEqual([]);
    expect(await db.selectFrom('webhook_deliveries').select('id').where('account_id', '=', acct.id).execute()).toEqual([]);
    expect(await db.selectFrom('jobs').select('id').where('account_id', '=', acct.id).where('type', '=', 'webhook.deliver').execute()).toEqual([]);
  });
});

describe.each(DATABASES)('webhooks with a running worker (%s)', (db) => {
  it('delivers a case event as soon as the change commits', async () => {
    const receiver = await WebhookReceiver.start();
    const t = await TestApp.start(db, {}, { SWITCHBOARD_WORKER: 'true' });
    try {
      const acct = await t.newAccount();
      const url = receiver.endpoint();
      await createEndpoint(t, acct, { url, events: ['case.created'] });
      const { id } = await createCase(t, acct);
      const [event] = await eventually(() => {
        expect(receiver.at(url)).toHaveLength(1);
        return receiver.eventsAt(url);
      });
      expect(event).toMatchObject({ type: 'case.created', data: { id } });
    } finally {
      await t.close();
      await receiver.close();
    }
  });
});
