import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, databaseUrl, TestApp, type TestAccount } from '../support/harness.js';
import { IsolatedSchema } from '../support/isolated-schema.js';

const MAIN = '+14155550100';

describe.each(DATABASES)('inbound calls on the simulated network when their node stops (%s)', (kind) => {
  let url: string;
  let stopping: TestApp;
  let other: TestApp;
  let acct: TestAccount;

  beforeAll(async () => {
    url = kind === 'postgres' ? (await IsolatedSchema.create()).url : databaseUrl('sqlite');
    stopping = await TestApp.start(kind, {}, { DATABASE_URL: url });
    other = await TestApp.start(kind, {}, { DATABASE_URL: url });
    acct = await stopping.newAccount();
    expect((await stopping.post('/numbers', { number: MAIN, name: 'Main' }, acct.token)).status).toBe(201);
  });

  afterAll(async () => {
    await other?.close();
  });

  it('ends the calls the stopping node carries as failed, saying why, instead of leaving them in progress', async () => {
    // Continuity off, no inbound flow: the caller waits in the queue, in progress.
    const placed = await stopping.post('/sim/inbound-calls', { from: '+15105550123', to: MAIN }, acct.token);
    expect(placed.status, placed.text).toBe(201);
    expect((await other.get(`/calls/${placed.body.call_id}`, acct.token)).body.ended_at).toBeNull();

    await stopping.close();
    const call = (await other.get(`/calls/${placed.body.call_id}`, acct.token)).body;
    expect(call).toMatchObject({ outcome: 'failed', ended_at: expect.any(String) });
    expect(call.events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'queued', 'failed']);
    expect(call.events.at(-1).reason).toBe('the node carrying the call stopped');
  });
});
