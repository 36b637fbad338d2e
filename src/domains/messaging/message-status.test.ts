import { describe, expect, it } from 'vitest';
import { mergeChannel, overallStatus, reached, statusesPassed } from './message-status.js';
import type { ChannelState } from './messaging.model.js';

const at = '2026-11-23T09:00:00.000Z';
const state = (status: ChannelState['status']): ChannelState => ({ status, details: '', updatedOn: at, provider: null });

describe('message status rules', () => {
  it('moves a channel forward only, and lets a channel holding the message fail before delivery', () => {
    expect(mergeChannel(undefined, { status: 'processing', details: 'x', at })?.status).toBe('processing');
    expect(mergeChannel(state('processing'), { status: 'sent', details: 'x', at })?.status).toBe('sent');
    expect(mergeChannel(state('sent'), { status: 'read', details: 'x', at })?.status).toBe('read');
    expect(mergeChannel(state('read'), { status: 'delivered', details: 'x', at })).toBeUndefined();
    expect(mergeChannel(state('delivered'), { status: 'sent', details: 'x', at })).toBeUndefined();
    expect(mergeChannel(state('sent'), { status: 'failed', details: 'x', at })?.status).toBe('failed');
    expect(mergeChannel(state('delivered'), { status: 'failed', details: 'x', at })).toBeUndefined();
    expect(mergeChannel(state('rejected'), { status: 'delivered', details: 'x', at })).toBeUndefined();
    // A receipt that overtook the attempt's own record is kept when the attempt is recorded.
    expect(mergeChannel(state('delivered'), { status: 'sent', details: 'x', at })).toBeUndefined();
  });

  it('derives the message status from the furthest channel, never lowering it', () => {
    expect(overallStatus('processing', {}, 'active')).toBe('processing');
    expect(overallStatus('processing', { sms: state('skipped') }, 'done')).toBe('failed');
    expect(overallStatus('processing', { sms: state('sent') }, 'done')).toBe('sent');
    expect(overallStatus('sent', { sms: state('sent'), email: state('delivered') }, 'done')).toBe('delivered');
    expect(overallStatus('read', { sms: state('delivered') }, 'done')).toBe('read');
    expect(overallStatus('delivered', { sms: state('sent') }, 'done')).toBe('delivered');
    // The only channel holding it failed afterwards: sent while the next channels are tried, failed once none is left.
    expect(overallStatus('sent', { sms: state('failed') }, 'active')).toBe('sent');
    expect(overallStatus('sent', { sms: state('failed') }, 'done')).toBe('failed');
    expect(overallStatus('expired', { sms: state('sent') }, 'done')).toBe('expired');
  });

  it('lists every status passed, so each has its event', () => {
    expect(statusesPassed('processing', 'delivered')).toEqual(['sent', 'delivered']);
    expect(statusesPassed('sent', 'read')).toEqual(['delivered', 'read']);
    expect(statusesPassed('sent', 'sent')).toEqual([]);
    expect(statusesPassed('processing', 'failed')).toEqual(['failed']);
    expect(statusesPassed('processing', 'expired')).toEqual(['expired']);
  });

  it('knows when a receipt an `until` rule waits for has come', () => {
    expect(reached('sent', 'delivered')).toBe(false);
    expect(reached('delivered', 'delivered')).toBe(true);
    expect(reached('read', 'delivered')).toBe(true);
    expect(reached('delivered', 'read')).toBe(false);
    expect(reached(undefined, 'read')).toBe(false);
  });
});
