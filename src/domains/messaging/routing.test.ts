import { describe, expect, it } from 'vitest';
import type { ChannelId } from '../../ports/message-channels.js';
import { eligibility, nextChannel, type ProfileFacts, type RoutingContext } from './routing.js';

const NOW = new Date('2026-11-23T09:00:00.000Z');
const ALL: ChannelId[] = ['fbMessenger', 'whatsApp', 'sms', 'email'];

const profile = (facts: Partial<ProfileFacts> = {}): ProfileFacts => ({
  phoneNumber: null, email: null, fbMessengerId: null, whatsAppId: null, optOuts: [], lastInboundWhatsAppAt: null, appInstalled: false, ...facts,
});
const context = (over: Partial<RoutingContext> = {}): RoutingContext => ({ to: {}, profile: undefined, configured: new Set(ALL), options: {}, now: NOW, ...over });

describe('routing: which channel can carry a message', () => {
  it('needs an address on each channel, from `to` or else from the profile', () => {
    expect(eligibility('sms', context())).toEqual({ kind: 'skip', reason: 'no phoneNumber' });
    expect(eligibility('email', context())).toEqual({ kind: 'skip', reason: 'no email' });
    expect(eligibility('fbMessenger', context())).toEqual({ kind: 'skip', reason: 'no fbMessengerId' });
    expect(eligibility('whatsApp', context())).toEqual({ kind: 'skip', reason: 'no whatsAppId' });
    expect(eligibility('appMessaging', context())).toEqual({ kind: 'skip', reason: 'no profileId' });
    expect(eligibility('sms', context({ to: { phoneNumber: '+14155550100' } }))).toEqual({ kind: 'send', address: '+14155550100' });
    expect(eligibility('sms', context({ profile: profile({ phoneNumber: '+14155550199' }) }))).toEqual({ kind: 'send', address: '+14155550199' });
    // `to` wins over the profile.
    expect(eligibility('sms', context({ to: { phoneNumber: '+14155550100' }, profile: profile({ phoneNumber: '+14155550199' }) }))).toEqual({ kind: 'send', address: '+14155550100' });
  });

  it('sends appMessaging to the profile only when it has an app installation', () => {
    expect(eligibility('appMessaging', context({ to: { profileId: 'p1' } }))).toEqual({ kind: 'skip', reason: 'no app installation for profile p1' });
    expect(eligibility('appMessaging', context({ to: { profileId: 'p1' }, profile: profile() }))).toEqual({ kind: 'skip', reason: 'no app installation for profile p1' });
    expect(eligibility('appMessaging', context({ to: { profileId: 'p1' }, profile: profile({ appInstalled: true }), configured: new Set() }))).toEqual({ kind: 'send', address: 'p1' });
  });

  it('skips channels the customer opted out of, then channels the account has not configured', () => {
    const opted = context({ to: { email: 'a@b.c' }, profile: profile({ optOuts: ['email'] }) });
    expect(eligibility('email', opted)).toEqual({ kind: 'skip', reason: 'customer opted out of email' });
    expect(eligibility('email', context({ to: { email: 'a@b.c' }, configured: new Set() }))).toEqual({ kind: 'skip', reason: 'email is not configured for this account' });
  });

  it('sends WhatsApp outside the 24-hour window only with a template', () => {
    const base = { to: { whatsAppId: '14155550100' } };
    expect(eligibility('whatsApp', context(base))).toEqual({ kind: 'skip', reason: '24-hour customer service window closed (last inbound WhatsApp message: never) and no template given' });
    const stale = profile({ lastInboundWhatsAppAt: new Date(NOW.getTime() - 25 * 3600_000).toISOString() });
    expect(eligibility('whatsApp', context({ ...base, profile: stale })).kind).toBe('skip');
    const recent = profile({ lastInboundWhatsAppAt: new Date(NOW.getTime() - 23 * 3600_000).toISOString() });
    expect(eligibility('whatsApp', context({ ...base, profile: recent }))).toEqual({ kind: 'send', address: '14155550100' });
    expect(eligibility('whatsApp', context({ ...base, options: { whatsApp: { template: { name: 'shipped' } } } }))).toEqual({ kind: 'send', address: '14155550100' });
  });

  it('walks the rules in order from where the send stands, listing what it skipped', () => {
    const ctx = context({ to: { email: 'a@b.c', phoneNumber: '+14155550100' } });
    expect(nextChannel(['fbMessenger', { channel: 'sms', until: 'delivered', within_s: 60 }, 'email'], 0, ctx)).toEqual({
      skipped: [{ index: 0, channel: 'fbMessenger', reason: 'no fbMessengerId' }],
      next: { index: 1, rule: { channel: 'sms', until: 'delivered', within_s: 60 }, address: '+14155550100' },
    });
    expect(nextChannel(['fbMessenger', 'sms', 'email'], 2, ctx).next).toMatchObject({ index: 2, rule: { channel: 'email' } });
    expect(nextChannel(['fbMessenger', 'whatsApp'], 0, ctx)).toEqual({
      skipped: [
        { index: 0, channel: 'fbMessenger', reason: 'no fbMessengerId' },
        { index: 1, channel: 'whatsApp', reason: 'no whatsAppId' },
      ],
    });
    expect(nextChannel(['sms'], 1, ctx)).toEqual({ skipped: [] });
  });
});
