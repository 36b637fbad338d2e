import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, databaseUrl, TestApp } from '../support/harness.js';
import { IsolatedSchema } from '../support/isolated-schema.js';

const KEY = 'the-credentials-key-all-nodes-share-0123456789';
const OTHER_KEY = 'a-different-credentials-key-9876543210-abcdef';

describe.each(DATABASES)('a node whose credentials key cannot open the stored channel credentials (%s)', (kind) => {
  let right: TestApp;
  let wrong: TestApp;

  beforeAll(async () => {
    const url = kind === 'postgres' ? (await IsolatedSchema.create()).url : databaseUrl('sqlite');
    right = await TestApp.start(kind, {}, { DATABASE_URL: url, SWITCHBOARD_CREDENTIALS_KEY: KEY });
    const acct = await right.newAccount();
    const sms = { name: 'twilio', base_url: 'https://api.twilio.com', credentials: { accountSid: 'AC1', authToken: 'secret-token' }, settings: { from: '+14155550199' } };
    expect((await right.put('/channels/sms', { providers: [sms] }, acct.token)).status).toBe(200);
    wrong = await TestApp.start(kind, {}, { DATABASE_URL: url, SWITCHBOARD_CREDENTIALS_KEY: OTHER_KEY });
  });

  afterAll(async () => {
    await wrong?.close();
    await right?.close();
  });

  it('reports itself not ready, saying why, while a node with the right key is ready', async () => {
    const refused = await wrong.get('/ready');
    expect(refused.status).toBe(503);
    expect(refused.body.checks.credentials).toEqual({ status: 'down', detail: expect.stringContaining('SWITCHBOARD_CREDENTIALS_KEY') });
    expect(refused.body.checks.database).toEqual({ status: 'up' });
    const ready = await right.get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.credentials).toEqual({ status: 'up' });
  });
});
