import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';

const MAIN = '+14155550100';
const SALES = '+14155550101';

describe.each(DATABASES)('Fallback Experience settings and activation (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db);
  });
  afterAll(() => t.close());

  async function accountWithNumbers(): Promise<TestAccount> {
    const acct = await t.newAccount();
    for (const number of [MAIN, SALES]) expect((await t.post('/numbers', { number, name: number }, acct.token)).status).toBe(201);
    return acct;
  }

  it('starts empty and disabled', async () => {
    const acct = await t.newAccount();
    expect((await t.get('/fallback-experience/settings', acct.token)).body).toEqual({ forward: {}, message: null, updated_at: null });
    expect((await t.get('/fallback-experience/activation', acct.token)).body).toEqual({ enabled: false, changed_at: null, changed_by: null });
  });

  it('replaces and returns the stored settings', async () => {
    const acct = await accountWithNumbers();
    const body = {
      forward: { [MAIN]: '+14155559999', default: '+18005550000' },
      message: { downtime_message: 'We are experiencing an outage.', language: 'en-US' },
    };
    const put = await t.put('/fallback-experience/settings', body, acct.token);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject(body);
    expect(put.body.updated_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect((await t.get('/fallback-experience/settings', acct.token)).body).toEqual(put.body);
    const replaced = await t.put('/fallback-experience/settings', { forward: { [SALES]: '+14155558888' } }, acct.token);
    expect(replaced.body).toMatchObject({ forward: { [SALES]: '+14155558888' }, message: null });
  });

  it('takes back what GET answered as it is, ignoring the fields the server sets', async () => {
    const acct = await accountWithNumbers();
    const stored = await t.put('/fallback-experience/settings', { forward: { default: '+18005550000' } }, acct.token);
    const again = await t.put('/fallback-experience/settings', stored.body, acct.token);
    expect(again.status).toBe(200);
    expect(again.body.forward).toEqual(stored.body.forward);
    const switched = await t.put('/fallback-experience/activation', { enabled: true }, acct.token);
    const off = await t.put('/fallback-experience/activation', { ...switched.body, enabled: false, changed_by: 'someone-else' }, acct.token);
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ enabled: false, changed_by: acct.clientId });
  });

  it("drops a deleted number's forward entry, audited, so GET can still be PUT back", async () => {
    const acct = await accountWithNumbers();
    await t.put('/fallback-experience/settings', { forward: { [MAIN]: '+14155559999', [SALES]: '+14155558888', default: '+18005550000' } }, acct.token);
    expect((await t.delete(`/numbers/${encodeURIComponent(SALES)}`, acct.token)).status).toBe(204);
    const settings = await t.get('/fallback-experience/settings', acct.token);
    expect(settings.body.forward).toEqual({ [MAIN]: '+14155559999', default: '+18005550000' });
    const audit = await t.get('/fallback-experience/audit', acct.token);
    expect(audit.body._embedded.entries[0]).toMatchObject({
      change: 'settings', actor: acct.clientId, detail: { forward_removed: { [SALES]: '+14155558888' }, reason: 'number deleted' },
    });
    expect((await t.put('/fallback-experience/settings', settings.body, acct.token)).status).toBe(200);
    await t.put('/fallback-experience/activation', { enabled: true }, acct.token);
    const routed = await t.post('/telephony/inbound-calls', { call_id: 'after-delete', from: '+14155550000', to: SALES }, acct.token);
    expect(routed.body.decision.forward_to).toBe('+18005550000');
  });

  it('refuses to add a number the settings forward calls to, so no line is forwarded to the account itself', async () => {
    const acct = await accountWithNumbers();
    await t.put('/fallback-experience/settings', { forward: { [MAIN]: '+14155559999', default: '+14155559999' } }, acct.token);
    const refused = await t.post('/numbers', { number: '+14155559999', name: 'Backup' }, acct.token);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'conflict', fields: [{ name: 'number' }] });
    expect(refused.body.detail).toContain(`forward.${MAIN}, forward.default`);
    expect((await t.get(`/numbers/${encodeURIComponent('+14155559999')}`, acct.token)).status).toBe(404);
    // Once no forward names it, it can be added.
    await t.put('/fallback-experience/settings', { forward: { default: '+18005550000' } }, acct.token);
    expect((await t.post('/numbers', { number: '+14155559999', name: 'Backup' }, acct.token)).status).toBe(201);
    const stored = await t.get('/fallback-experience/settings', acct.token);
    expect((await t.put('/fallback-experience/settings', stored.body, acct.token)).status).toBe(200);
  });

  it('canonicalises the message language and rejects bad ones naming the field', async () => {
    const acct = await accountWithNumbers();
    const lower = await t.put('/fallback-experience/settings', { message: { downtime_message: 'Down', language: 'en-us' } }, acct.token);
    expect(lower.body.message.language).toBe('en-US');
    for (const language of ['english please', 'xx-YY', 'tlh']) {
      const response = await t.put('/fallback-experience/settings', { message: { downtime_message: 'Down', language } }, acct.token);
      expect(response.status, language).toBe(400);
      expect(response.body.fields.map((f: { name: string }) => f.name)).toEqual(['message.language']);
    }
  });

  it('rejects unknown keys, foreign numbers and non-E.164 targets with fields', async () => {
    const acct = await accountWithNumbers();
    const unknownKey = await t.put('/fallback-experience/settings', { forward: {}, schedule: 'always' }, acct.token);
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body).toMatchObject({ code: 'validation_failed', fields: [{ name: 'schedule' }] });
    const notOurs = await t.put('/fallback-experience/settings', { forward: { '+14155550199': '+14155559999' } }, acct.token);
    expect(notOurs.status).toBe(400);
    expect(notOurs.body.fields).toEqual([{ name: 'forward.+14155550199', description: expect.stringContaining("account's numbers") }]);
    const loop = await t.put('/fallback-experience/settings', { forward: { [MAIN]: MAIN, default: SALES } }, acct.token);
    expect(loop.status).toBe(400);
    expect(loop.body.fields.map((f: { name: string }) => f.name)).toEqual([`forward.${MAIN}`, 'forward.default']);
    const badTarget = await t.put('/fallback-experience/settings', { forward: { [MAIN]: '4155559999', default: 'call me' } }, acct.token);
    expect(badTarget.status).toBe(400);
    expect(badTarget.body.fields.map((f: { name: string }) => f.name).sort()).toEqual([`forward.${MAIN}`, 'forward.default']);
    const unknownMessageKey = await t.put('/fallback-experience/settings', { message: { downtime_message: 'x', language: 'en-US', voice: 'f' } }, acct.token);
    expect(unknownMessageKey.body.fields).toEqual([{ name: 'message.voice', description: 'is not a known field' }]);
    expect((await t.get('/fallback-experience/settings', acct.token)).body.forward).toEqual({});
  });

  it('does not accept another account\'s number as a forward key', async () => {
    const owner = await accountWithNumbers();
    const other = await t.newAccount();
    const response = await t.put('/fallback-experience/settings', { forward: { [MAIN]: '+14155559999' } }, other.token);
    expect(response.status).toBe(400);
    expect((await t.get('/fallback-experience/settings', owner.token)).body.forward).toEqual({});
  });

  it('records who switched it and keeps every change in the audit, newest first', async () => {
    const acct = await accountWithNumbers();
    await t.put('/fallback-experience/settings', { forward: { default: '+18005550000' } }, acct.token);
    const on = await t.put('/fallback-experience/activation', { enabled: true }, acct.token);
    expect(on.body).toMatchObject({ enabled: true, changed_by: acct.clientId });
    await t.put('/fallback-experience/activation', { enabled: false }, acct.token);
    expect((await t.get('/fallback-experience/activation', acct.token)).body.enabled).toBe(false);
    const audit = await t.get('/fallback-experience/audit', acct.token);
    expect(audit.body.total).toBe(3);
    expect(audit.body._embedded.entries.map((e: { change: string; detail: unknown }) => [e.change, e.detail])).toEqual([
      ['activation', { enabled: false }],
      ['activation', { enabled: true }],
      ['settings', { forwards: 0, default: '+18005550000', message: null, changes: { forward: { default: { from: null, to: '+18005550000' } } } }],
    ]);
    expect(audit.body._embedded.entries[0].actor).toBe(acct.clientId);
    const paged = await t.get('/fallback-experience/audit?per_page=2', acct.token);
    const rest = await t.get(paged.body._links.next.href, acct.token);
    expect(rest.body._embedded.entries).toHaveLength(1);
    expect(rest.body._links.next).toBeUndefined();
  });

  it('keeps who switched and when when the switch is saved in the position it is in', async () => {
    const acct = await t.newAccount();
    const other = await t.newAccount();
    const on = await t.put('/fallback-experience/activation', { enabled: true }, acct.token);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await t.put('/fallback-experience/activation', { enabled: true }, acct.token);
    expect(again.body).toEqual(on.body);
    expect((await t.get('/fallback-experience/activation', acct.token)).body).toEqual(on.body);
    expect((await t.get('/fallback-experience/audit', acct.token)).body.total).toBe(1);
    expect((await t.put('/fallback-experience/activation', { enabled: false }, other.token)).body).toEqual({ enabled: false, changed_at: null, changed_by: null });
  });

  it('validates the activation body', async () => {
    const acct = await t.newAccount();
    const response = await t.put('/fallback-experience/activation', { enabled: 'yes' }, acct.token);
    expect(response.status).toBe(400);
    expect(response.body.fields[0].name).toBe('enabled');
  });

  it('enforces each documented scope', async () => {
    const settingsReader = await t.newAccount(['continuity-settings:read']);
    expect((await t.get('/fallback-experience/settings', settingsReader.token)).status).toBe(200);
    expect((await t.get('/fallback-experience/audit', settingsReader.token)).status).toBe(200);
    expect((await t.put('/fallback-experience/settings', { forward: {} }, settingsReader.token)).status).toBe(403);
    expect((await t.get('/fallback-experience/activation', settingsReader.token)).status).toBe(403);
    const switcher = await t.newAccount(['continuity-settings-activation:write']);
    expect((await t.put('/fallback-experience/activation', { enabled: true }, switcher.token)).status).toBe(200);
    expect((await t.put('/fallback-experience/settings', { forward: {} }, switcher.token)).status).toBe(403);
    const activationReader = await t.newAccount(['continuity-settings-activation:read']);
    expect((await t.get('/fallback-experience/activation', activationReader.token)).status).toBe(200);
    expect((await t.put('/fallback-experience/activation', { enabled: true }, activationReader.token)).status).toBe(403);
  });
});
