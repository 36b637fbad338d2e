import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhooks, SubscribedEndpoints, WebhookPublisher, type WebhookSender } from '../../src/domains/webhooks/index.js';
import { createJobHandlers, createJobQueue, type JobDependencies } from '../../src/jobs/index.js';
import { jobContext } from '../support/job-context.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { verifyStandardWebhook, WebhookReceiver } from '../support/webhook-receiver.js';
import { createCase, createEndpoint, deliveriesOf, longLivedAccount, onlyDelivery } from './webhooks-support.js';

const SECOND = 1000;
const HOUR = 60 * 60 * SECOND;
const SECRET = `whsec_${Buffer.from('a-test-secret-of-32-bytes-length').toString('base64')}`;
/** The receiver's timeout in these tests (10 s in production). */
const TIMEOUT_MS = 300;

describe.each(DATABASES)('webhook deliveries (%s)', (db) => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  const clock = new ManualClock();
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    // random() = 1: every backoff takes its full ceiling (15 s, 30 s, 1 min ... 2 h), so the schedule is exact.
    t = await TestApp.start(db, { clock, webhooks: { timeoutMs: TIMEOUT_MS, random: () => 1 } });
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  /** Runs every job due at the clock's time (the app's worker is never started in tests). */
  const drain = () => t.app.worker.drain();
  const deliverJobs = (acct: TestAccount) =>
    t.services.storage.db.selectFrom('jobs').select(['dedupe_key', 'run_at', 'status']).where('account_id', '=', acct.id).where('type', '=', 'webhook.deliver').execute();

  it('POSTs {id, type, created_at, data} signed in the Standard Webhooks format, and records the attempt', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint(204);
    const endpoint = await createEndpoint(t, acct, { url, events: ['case.created'], secret: SECRET });
    const { id: caseId } = await createCase(t, acct);
    expect(receiver.at(url)).toHaveLength(0);
    await drain();

    const [request] = receiver.at(url);
    expect(request).toBeDefined();
    if (!request) return;
    expect(request.body).toMatchObject({ type: 'case.created', created_at: clock.now().toISOString(), data: { id: caseId, title: 'Printer on fire', status: 'new' } });
    expect(Object.keys(request.body).sort()).toEqual(['created_at', 'data', 'id', 'type']);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['webhook-id']).toBe(request.body.id);
    expect(request.headers['webhook-timestamp']).toBe(String(Math.floor(clock.now().getTime() / 1000)));
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    expect(verifyStandardWebhook(SECRET, request)).toBe(true);
    expect(verifyStandardWebhook(`whsec_${Buffer.from('another-secret-of-32-bytes-long!').toString('base64')}`, request)).toBe(false);
    expect(verifyStandardWebhook(SECRET, { ...request, raw: request.raw.replace('Printer', 'Scanner') })).toBe(false);

    const delivery = await onlyDelivery(t, acct, endpoint.id);
    expect(delivery).toMatchObject({ event_id: request.body.id, event_type: 'case.created', status: 'succeeded', next_attempt_at: null, failure_reason: null });
    expect(delivery.attempts).toEqual([{ at: clock.now().toISOString(), status: 204, error: null, duration_ms: expect.any(Number), response_body: null }]);
    expect(await deliverJobs(acct)).toEqual([]);
  });

  it('signs with a generated secret the receiver can verify', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint(200);
    const { secret } = await createEndpoint(t, acct, { url, events: ['case.*'] });
    await createCase(t, acct);
    await drain();
    const [request] = receiver.at(url);
    expect(request && verifyStandardWebhook(secret, request)).toBe(true);
  });

  it('delivers an event to the endpoints whose exact types or family wildcards match it, and to no other', async () => {
    const acct = await longLivedAccount(t);
    const everyCase = receiver.endpoint();
    const resolvedOnly = receiver.endpoint();
    const messagesOnly = receiver.endpoint();
    const disabled = receiver.endpoint();
    await createEndpoint(t, acct, { url: everyCase, events: ['case.*'] });
    await createEndpoint(t, acct, { url: resolvedOnly, events: ['case.resolved', 'message.read'] });
    await createEndpoint(t, acct, { url: messagesOnly, events: ['message.*'] });
    await createEndpoint(t, acct, { url: disabled, events: ['case.*', 'message.*'], enabled: false });

    const { id } = await createCase(t, acct);
    expect((await t.patch(`/cases/${id}`, { status: 'resolved', resolution: 'fixed' }, acct.token)).status).toBe(200);
    // Messaging publishes through the same port; published directly here so this test stands alone.
    const publisher = new WebhookPublisher(clock, createJobQueue({ storage: t.services.storage, clock }), new SubscribedEndpoints(t.services.storage));
    await publisher.publish(t.services.storage.db, acct.id, 'message.delivered', { messageId: 'm-1', status: 'delivered' });
    await drain();

    expect(receiver.eventsAt(everyCase).map((e) => e.type)).toEqual(['case.created', 'case.updated', 'case.resolved']);
    expect(receiver.at(resolvedOnly).map((r) => r.body.type)).toEqual(['case.resolved']);
    expect(receiver.at(messagesOnly).map((r) => r.body)).toEqual([expect.objectContaining({ type: 'message.delivered', data: { messageId: 'm-1', status: 'delivered' } })]);
    expect(receiver.at(disabled)).toEqual([]);
    // One event, delivered to two endpoints, keeps one id.
    expect(receiver.at(resolvedOnly)[0]?.body.id).toBe(receiver.eventsAt(everyCase)[2]?.id);
  });

  it('stores no event when no endpoint wants it', async () => {
    const acct = await longLivedAccount(t);
    await createEndpoint(t, acct, { url: receiver.endpoint(), events: ['message.*'] });
    await createCase(t, acct);
    const events = await t.services.storage.db.selectFrom('webhook_events').select('id').where('account_id', '=', acct.id).execute();
    expect(events).toEqual([]);
    expect(await deliverJobs(acct)).toEqual([]);
  });

  it('retries on 500 and 429 with exponential backoff, then succeeds, with every attempt visible', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint(500, 429, 200);
    const endpoint = await createEndpoint(t, acct, { url, events: ['case.created'], secret: SECRET });
    await createCase(t, acct);
    const start = clock.now().getTime();
    await drain();

    let delivery = await onlyDelivery(t, acct, endpoint.id);
    expect(delivery).toMatchObject({ status: 'pending', next_attempt_at: new Date(start + 15 * SECOND).toISOString() });
    expect(delivery.attempts).toEqual([{ at: new Date(start).toISOString(), status: 500, error: 'HTTP 500', duration_ms: expect.any(Number), response_body: 'answer 500' }]);
    expect(await deliverJobs(acct)).toEqual([{ dedupe_key: `webhook.deliver:${delivery.id}`, run_at: new Date(start + 15 * SECOND).toISOString(), status: 'pending' }]);

    clock.advance(15 * SECOND - 1);
    await drain();
    expect(receiver.at(url)).toHaveLength(1);
    clock.advance(1);
    await drain();
    delivery = await onlyDelivery(t, acct, endpoint.id);
    expect(delivery.attempts.map((a) => a.status)).toEqual([500, 429]);
    expect(delivery.next_attempt_at).toBe(new Date(start + 45 * SECOND).toISOString());

    clock.advance(30 * SECOND);
    await drain();
    delivery = await onlyDelivery(t, acct, endpoint.id);
    expect(delivery).toMatchObject({ status: 'succeeded', next_attempt_at: null });
    expect(delivery.attempts.map((a) => [a.at, a.status])).toEqual([
      [new Date(start).toISOString(), 500],
      [new Date(start + 15 * SECOND).toISOString(), 429],
      [new Date(start + 45 * SECOND).toISOString(), 200],
    ]);
    // The same message each time (one webhook-id and body), signed afresh with each attempt's timestamp.
    const requests = receiver.at(url);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(requests.map((r) => r.raw)).size).toBe(1);
    expect(requests.map((r) => Number(r.headers['webhook-timestamp']) * 1000)).toEqual([start, start + 15 * SECOND, start + 45 * SECOND]);
    expect(requests.every((r) => verifyStandardWebhook(SECRET, r))).toBe(true);
    expect(await deliverJobs(acct)).toEqual([]);
  });

  it('waits as long as a 429 or 503 asks in Retry-After when that is longer than the backoff', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint({ status: 429, headers: { 'retry-after': '300' } }, { status: 503, headers: { 'retry-after': '5' } }, 200);
    const endpoint = await createEndpoint(t, acct, { url, events: ['case.created'], secret: SECRET });
    await createCase(t, acct);
    const start = clock.now().getTime();
    await drain();
    expect((await onlyDelivery(t, acct, endpoint.id)).next_attempt_at).toBe(new Date(start + 300 * SECOND).toISOString());
    clock.advance(300 * SECOND);
    await drain();
    // 5 s asked, 30 s of backoff: the backoff wins.
    expect((await onlyDelivery(t, acct, endpoint.id)).next_attempt_at).toBe(new Date(start + 330 * SECOND).toISOString());
    clock.advance(30 * SECOND);
    await drain();
    expect((await onlyDelivery(t, acct, endpoint.id)).status).toBe('succeeded');
  });

  it('counts a redirect as a failed attempt and never follows it with the signed event', async () => {
    const acct = await longLivedAccount(t);
    const landing = receiver.endpoint(200);
    const url = receiver.endpoint({ status: 307, headers: { location: landing } }, 200);
    const endpoint = await createEndpoint(t, acct, { url, events: ['case.created'], secret: SECRET });
    await createCase(t, acct);
    await drain();
    const delivery = await onlyDelivery(t, acct, endpoint.id);
    expect(delivery).toMatchObject({ status: 'pending', attempts: [{ status: 307, error: expect.stringContaining('redirects are not followed') }] });
    expect(receiver.at(landing)).toHaveLength(0);
  });

  it('signs with a plain secret the client chose, and with a new secret set by PATCH from the next attempt on, beside the old one for 24 h', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint(500, 200);
    const endpoint = await createEndpoint(t, acct, { url, events: ['case.created'], secret: 'my-shared-secret' });
    await createCase(t, acct);
    await drain();
    const [first] = receiver.at(url);
    expect(first && verifyStandardWebhook('my-shared-secret', first)).toBe(true);
    const patched = await t.patch(`/webhooks/${endpoint.id}`, { secret: 'rotated-secret' }, acct.token);
    expect(patched.status).toBe(200);
    expect(patched.text).not.toContain('rotated-secret');
    clock.advance(15 * SECOND);
    await drain();
    const second = receiver.at(url)[1];
    expect(second && verifyStandardWebhook('rotated-secret', second)).toBe(true);
    // The replaced secret signs too for 24 h (two space-separated signatures), so receivers can switch over.
    expect(second && verifyStandardWebhook('my-shared-secret', second)).toBe(true);
    expect(String(second?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    clock.advance(24 * 60 * 60 * SECOND);
    await createCase(t, acct);
    await drain();
    const third = receiver.at(url)[2];
    expect(third && verifyStandardWebhook('rotated-secret', third)).toBe(true);
    expect(third && verifyStandardWebhook('my-shared-secret', third)).toBe(false);
  });

  it('retries a receiver that does not answer within the timeout, and one that cannot be reached', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint('hang', 200);
    const endpoint = await createEndpoint(t, acct, { url, events: ['case.created'] });
    const unreachable = await createEndpoint(t, acct, { url: 'http://127.0.0.1:9/nothing-listens-here', events: ['case.created'] });
    await createCase(t, acct);
    await drain();

    const timedOut = await onlyDelivery(t, acct, endpoint.id);
    expect(timedOut.status).toBe('pending');
    expect(timedOut.attempts[0]).toMatchObject({ status: null, error: expect.stringMatching(/^timeout: /), response_body: null });
    expect(timedOut.attempts[0]?.duration_ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    const refused = await onlyDelivery(t, acct, unreachable.id);
    expect(refused.attempts[0]).toMatchObject({ status: null, error: expect.stringMatching(/^network: /) });

    clock.advance(15 * SECOND);
    await drain();
    expect(await onlyDelivery(t, acct, endpoint.id)).toMatchObject({ status: 'succeeded' });
    expect((await onlyDelivery(t, acct, unreachable.id)).attempts).toHaveLength(2);
  });

  it('gives up 24 h after the event, having tried with growing gaps capped at 2 h', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint(503);
    const endpoint = await createEndpoint(t, acct, { url, events: ['case.created'] });
    await createCase(t, acct);
    const start = clock.now().getTime();
    await drain();
    for (let round = 0; round < 100; round += 1) {
      const delivery = await onlyDelivery(t, acct, endpoint.id);
      if (delivery.status !== 'pending' || delivery.next_attempt_at === null) break;
      clock.advance(Date.parse(delivery.next_attempt_at) - clock.now().getTime());
      await drain();
    }
    const failed = await onlyDelivery(t, acct, endpoint.id);
    expect(failed.status).toBe('failed');
    expect(failed.next_attempt_at).toBeNull();
    expect(failed.failure_reason).toContain('24 h');
    const times = failed.attempts.map((a) => Date.parse(a.at));
    expect(times[0]).toBe(start);
    expect(times.at(-1)).toBeLessThanOrEqual(start + 24 * HOUR);
    const gaps = times.slice(1).map((at, i) => at - (times[i] ?? 0));
    expect(gaps.slice(0, 4)).toEqual([15 * SECOND, 30 * SECOND, 60 * SECOND, 120 * SECOND]);
    expect(Math.max(...gaps)).toBe(2 * HOUR);
    // The next gap (2 h) would have passed the 24 h window.
    expect((times.at(-1) ?? 0) + 2 * HOUR).toBeGreaterThan(start + 24 * HOUR);
    expect(receiver.at(url)).toHaveLength(failed.attempts.length);
    expect(await deliverJobs(acct)).toEqual([]);

    clock.advance(24 * HOUR);
    await drain();
    expect(receiver.at(url)).toHaveLength(failed.attempts.length);
  });

  it('fails a delivery whose job used up its attempts on errors of its own (the database kept failing), rather than leave it pending', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint(500);
    const endpoint = await createEndpoint(t, acct, { url, events: ['case.*'] });
    await createCase(t, acct);
    await drain();
    const pending = await onlyDelivery(t, acct, endpoint.id);
    expect(pending.status).toBe('pending');
    // The sender of the app's database whose every attempt throws, as when the database is away.
    const { storage } = t.services;
    const { sender } = createWebhooks({ storage, clock, jobs: createJobQueue({ storage, clock }), http: { request: () => Promise.reject(new Error('unused')) }, sealer: { seal: () => '', open: () => ({}) } });
    const failing = { deliver: () => Promise.reject(new Error('database unreachable')), giveUp: sender.giveUp.bind(sender) } as unknown as WebhookSender;
    const handlers = createJobHandlers({ webhooks: failing } as JobDependencies);
    const run = (attempt: number) => handlers['webhook.deliver']({ delivery_id: pending.id }, jobContext(acct.id, { attempt, maxAttempts: 3 }));
    await expect(run(2)).rejects.toThrow('database unreachable');
    expect((await onlyDelivery(t, acct, endpoint.id)).status).toBe('pending');
    await expect(run(3)).rejects.toThrow('database unreachable');
    expect(await onlyDelivery(t, acct, endpoint.id)).toMatchObject({ status: 'failed', failure_reason: 'the delivery could not go on: database unreachable' });
  });

  it('cancels pending deliveries when the endpoint is deleted', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint(500);
    const endpoint = await createEndpoint(t, acct, { url, events: ['case.*'] });
    await createCase(t, acct);
    await drain();
    expect((await onlyDelivery(t, acct, endpoint.id)).status).toBe('pending');
    expect(await deliverJobs(acct)).toHaveLength(1);

    expect((await t.delete(`/webhooks/${endpoint.id}`, acct.token)).status).toBe(204);
    expect(await deliverJobs(acct)).toEqual([]);
    const left = await t.services.storage.db.selectFrom('webhook_deliveries').select('id').where('account_id', '=', acct.id).execute();
    expect(left).toEqual([]);
    clock.advance(HOUR);
    await drain();
    expect(receiver.at(url)).toHaveLength(1);
  });

  it('cancels pending deliveries when the endpoint is disabled, delivers nothing while disabled, and resumes when enabled', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint(500, 200);
    const endpoint = await createEndpoint(t, acct, { url, events: ['case.created'] });
    await createCase(t, acct);
    await drain();
    expect((await t.patch(`/webhooks/${endpoint.id}`, { enabled: false }, acct.token)).status).toBe(200);
    expect(await onlyDelivery(t, acct, endpoint.id)).toMatchObject({ status: 'failed', next_attempt_at: null, failure_reason: 'the endpoint was disabled' });
    expect(await deliverJobs(acct)).toEqual([]);

    await createCase(t, acct);
    clock.advance(HOUR);
    await drain();
    expect(receiver.at(url)).toHaveLength(1);

    expect((await t.patch(`/webhooks/${endpoint.id}`, { enabled: true }, acct.token)).status).toBe(200);
    await createCase(t, acct, { title: 'after' });
    await drain();
    expect(receiver.at(url).map((r) => r.body.data.title)).toEqual(['Printer on fire', 'after']);
  });

  it('disables the endpoint when the receiver answers 410 Gone', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint(410);
    const endpoint = await createEndpoint(t, acct, { url, events: ['case.created'] });
    await createCase(t, acct);
    await drain();
    expect(await onlyDelivery(t, acct, endpoint.id)).toMatchObject({ status: 'failed', failure_reason: 'the receiver answered 410 Gone' });
    const after = (await t.get(`/webhooks/${endpoint.id}`, acct.token)).body;
    expect(after.enabled).toBe(false);
    expect(after.disabled_reason).toContain('410 Gone');
    await createCase(t, acct);
    await drain();
    expect(receiver.at(url)).toHaveLength(1);
    // Enabling it again clears the reason.
    expect((await t.patch(`/webhooks/${endpoint.id}`, { enabled: true }, acct.token)).body).toMatchObject({ enabled: true, disabled_reason: null });
  });

  it('lists deliveries newest first, filtered by status and paged by cursor', async () => {
    const acct = await longLivedAccount(t);
    const url = receiver.endpoint(200, 500);
    const endpoint = await createEndpoint(t, acct, { url, events: ['case.created'] });
    await createCase(t, acct, { title: 'first' });
    await drain();
    await createCase(t, acct, { title: 'second' });
    await drain();
    const all = await deliveriesOf(t, acct, endpoint.id);
    expect(all.map((d) => d.status)).toEqual(['pending', 'succeeded']);
    expect((await deliveriesOf(t, acct, endpoint.id, '?status=succeeded')).map((d) => d.id)).toEqual([all[1]?.id]);
    expect((await deliveriesOf(t, acct, endpoint.id, '?status=failed'))).toEqual([]);
    const page = await t.get(`/webhooks/${endpoint.id}/deliveries?per_page=1`, acct.token);
    expect(page.body).toMatchObject({ total: 2, count: 1 });
    const next = await t.get(page.body._links.next.href, acct.token);
    expect(next.body._embedded.deliveries.map((d: { id: string }) => d.id)).toEqual([all[1]?.id]);
    expect((await t.get(`/webhooks/${endpoint.id}/deliveries?status=lost`, acct.token)).status).toBe(400);
  });

  it("never delivers one account's events to another account's endpoints", async () => {
    const a = await longLivedAccount(t);
    const b = await longLivedAccount(t);
    const urlB = receiver.endpoint();
    const endpointB = await createEndpoint(t, b, { url: urlB, events: ['case.*', 'message.*'] });
    const endpointA = await createEndpoint(t, a, { url: receiver.endpoint(), events: ['case.*'] });
    await createCase(t, a, { title: 'A secret' });
    await drain();
    expect(receiver.at(urlB)).toEqual([]);
    expect(await deliveriesOf(t, b, endpointB.id)).toEqual([]);
    expect((await t.get(`/webhooks/${endpointA.id}/deliveries`, b.token)).status).toBe(404);
  });
});
