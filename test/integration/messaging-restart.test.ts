import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kernel/clock.js';
import { DATABASES, TestApp } from '../support/harness.js';
import { FakeProvider, TEST_ADAPTERS } from '../support/fake-provider.js';
import { IsolatedSchema } from '../support/isolated-schema.js';
import { configure, message, send, trail } from './messaging-support.js';

const PHONE = '+14155550100';

describe.each(DATABASES)('messaging survives a restart (%s)', (db) => {
  // Its own database (or schema): the first node leaves jobs behind that no other test's worker may take.
  let url: string;
  let provider: FakeProvider;
  beforeAll(async () => {
    provider = await FakeProvider.start();
    url = db === 'postgres' ? (await IsolatedSchema.create()).url : `sqlite:${join(mkdtempSync(join(tmpdir(), 'switchboard-messaging-restart-')), 'test.db')}`;
  });
  afterAll(() => provider.close());
  const node = (clock: ManualClock) => TestApp.start(db, { clock, channelAdapters: TEST_ADAPTERS }, { DATABASE_URL: url });

  it('sends a message accepted just before the node went away once the next node starts', async () => {
    const clock = new ManualClock();
    const first = await node(clock);
    const acct = await first.newAccount();
    const sms = provider.endpoint();
    await configure(first, acct, 'sms', [sms]);
    // Accepted (201) and the node closes before its send job ran.
    const id = await send(first, acct, { to: { phoneNumber: PHONE }, rules: ['sms'] });
    await first.close();
    expect(provider.received(sms)).toHaveLength(0);

    const second = await node(clock);
    try {
      expect(await second.app.worker.drain()).toBeGreaterThanOrEqual(1);
      const view = await message(second, acct, id);
      expect(view.status).toBe('sent');
      expect(provider.received(sms).map((r) => r.body.messageId)).toEqual([id]);
    } finally {
      await second.close();
    }
  });

  it('keeps the timer of a rule waiting for its receipt across a restart', async () => {
    const clock = new ManualClock();
    const first = await node(clock);
    const acct = await first.newAccount();
    const sms = provider.endpoint();
    const mail = provider.endpoint();
    await configure(first, acct, 'sms', [sms]);
    await configure(first, acct, 'email', [mail]);
    const id = await send(first, acct, { to: { phoneNumber: PHONE, email: 'a@b.co' }, rules: [{ channel: 'sms', until: 'delivered', within_s: 300 }, 'email'] });
    await first.app.worker.drain();
    expect((await message(first, acct, id)).status).toBe('sent');
    await first.close();

    clock.advance(301_000);
    const second = await node(clock);
    try {
      await second.app.worker.drain();
      const view = await message(second, acct, id);
      expect(trail(view)).toEqual(['sms/sms-1:accepted', 'sms:timed_out', 'email/email-1:accepted']);
      expect(provider.received(sms)).toHaveLength(1);
      expect(provider.received(mail)).toHaveLength(1);
    } finally {
      await second.close();
    }
  });
});
