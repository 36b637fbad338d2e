import { describe, expect, it } from 'vitest';
import { decide } from './decision.js';
import { buildSnapshot } from './snapshot.js';

const snapshot = (enabled: boolean, forward: Record<string, string>, message: { downtime_message: string; language: string } | null = null) =>
  buildSnapshot(
    { settings: { forward, message, updated_at: null }, activation: { enabled, changed_at: null, changed_by: null } },
    [{ number: '+14155550100', inbound_flow_id: null }, { number: '+14155550101', inbound_flow_id: 'flow-1' }],
  );

describe('decide', () => {
  it('prefers the per-number forward over the default', () => {
    const s = snapshot(true, { '+14155550100': '+14155559999', default: '+18005550000' });
    expect(decide(s, '+14155550100').decision.forward_to).toBe('+14155559999');
    expect(decide(s, '+14155550101').decision.forward_to).toBe('+18005550000');
  });

  it('plays the message first, then forwards or hangs up', () => {
    const message = { downtime_message: 'Down', language: 'en-US' };
    expect(decide(snapshot(true, { default: '+18005550000' }, message), '+14155550100')).toEqual({
      continuity: true,
      decision: { action: 'forward', forward_to: '+18005550000', message: { text: 'Down', language: 'en-US' }, flow_id: null },
    });
    expect(decide(snapshot(true, {}, message), '+14155550100').decision).toEqual({
      action: 'message', forward_to: null, message: { text: 'Down', language: 'en-US' }, flow_id: null,
    });
  });

  it('routes normally while disabled', () => {
    const s = snapshot(false, { default: '+18005550000' });
    expect(decide(s, '+14155550101')).toEqual({ continuity: false, decision: { action: 'flow', forward_to: null, message: null, flow_id: 'flow-1' } });
    expect(decide(s, '+14155550100').decision.action).toBe('queue');
  });
});
