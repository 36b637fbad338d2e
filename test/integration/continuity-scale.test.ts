import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, TestApp } from '../support/harness.js';

const COUNT = 100_000;
const ownNumber = (i: number) => `+1415${String(i).padStart(7, '0')}`;
const externalNumber = (i: number) => `+1628${String(i).padStart(7, '0')}`;

describe.each(DATABASES)('100,000 per-number forwards in one account (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db);
  });
  afterAll(() => t.close());

  it('stores them in one PUT and decides every number from the snapshot', async () => {
    const acct = await t.newAccount();
    const at = new Date().toISOString();
    const { db: kysely } = t.services.storage;
    for (let start = 0; start < COUNT; start += 2000) {
      const rows = Array.from({ length: 2000 }, (_, k) => ({
        account_id: acct.id, number: ownNumber(start + k), name: `Line ${start + k}`, inbound_flow_id: null, created_at: at, updated_at: at,
      }));
      await kysely.insertInto('numbers').values(rows).execute();
    }
    const forward: Record<string, string> = { default: '+18005550000' };
    for (let i = 0; i < COUNT; i++) forward[ownNumber(i)] = externalNumber(i);

    const put = await t.put('/fallback-experience/settings', { forward }, acct.token);
    expect(put.status).toBe(200);
    expect(Object.keys(put.body.forward)).toHaveLength(COUNT + 1);
    expect((await t.put('/fallback-experience/activation', { enabled: true }, acct.token)).status).toBe(200);

    for (const i of [0, 1, 4242, 54_321, COUNT - 1]) {
      const routed = await t.post('/telephony/inbound-calls', { call_id: `scale-${i}`, from: '+15105550123', to: ownNumber(i) }, acct.token);
      expect(routed.body.decision.forward_to).toBe(externalNumber(i));
    }
    const other = await t.post('/telephony/inbound-calls', { call_id: 'scale-other', from: '+15105550123', to: '+19995550000' }, acct.token);
    expect(other.body.decision.forward_to).toBe('+18005550000');
    const audit = await t.get('/fallback-experience/audit', acct.token);
    expect(audit.body._embedded.entries[1].detail).toMatchObject({ forwards: COUNT, default: '+18005550000' });
  }, 120_000);
});
