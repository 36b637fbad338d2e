import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSecret, secretProblem, signature, signedHeaders } from './webhook-signature.js';
import { DEFAULT_RETRY, retryDelayMs } from './retry-policy.js';
import { familiesOf, isEventPattern, matches } from './webhooks.model.js';

describe('Standard Webhooks signing', () => {
  it('matches the reference implementation on its published example', () => {
    // The example of the Standard Webhooks / Svix reference libraries.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    expect(signature(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('sends the id, the attempt time in unix seconds and the signature over both and the body', () => {
    const secret = generateSecret();
    const headers = signedHeaders([secret], 'evt-1', new Date('2026-11-23T09:00:00.999Z'), '{}');
    expect(headers).toEqual({ 'webhook-id': 'evt-1', 'webhook-timestamp': '1795424400', 'webhook-signature': signature(secret, 'evt-1', 1795424400, '{}') });
  });

  it('generates whsec_ secrets of 32 random bytes; accepts whsec_ base64 of 24 to 64 bytes, or a plain secret', () => {
    const secret = generateSecret();
    expect(secretProblem(secret)).toBeUndefined();
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateSecret()).not.toBe(secret);
    expect(secretProblem(`whsec_${Buffer.alloc(24).toString('base64')}`)).toBeUndefined();
    expect(secretProblem(`whsec_${Buffer.alloc(64).toString('base64')}`)).toBeUndefined();
    expect(secretProblem(`whsec_${Buffer.alloc(23).toString('base64')}`)).toContain('24 to 64');
    expect(secretProblem(`whsec_${Buffer.alloc(65).toString('base64')}`)).toContain('24 to 64');
    expect(secretProblem('whsec_not base64!')).toContain('base64');
    expect(secretProblem('my-shared-secret')).toBeUndefined();
    expect(secretProblem('')).toContain('1 to 512');
    expect(secretProblem('tab\there')).toContain('control');
  });

  it('signs with a plain secret\'s UTF-8 bytes, as a receiver\'s own HMAC code would', () => {
    const expected = createHmac('sha256', 'my-shared-secret').update('evt-1.1795424400.{}').digest('base64');
    expect(signature('my-shared-secret', 'evt-1', 1795424400, '{}')).toBe(`v1,${expected}`);
  });
});

describe('event patterns', () => {
  it('matches exact types and family wildcards only', () => {
    expect(matches(['message.*'], 'message.read')).toBe(true);
    expect(matches(['message.*'], 'case.created')).toBe(false);
    expect(matches(['case.resolved'], 'case.resolved')).toBe(true);
    expect(matches(['case.resolved'], 'case.closed')).toBe(false);
    expect(['message.*', 'case.closed', 'continuity.*'].every(isEventPattern)).toBe(true);
    expect(['*', 'message.', 'message.bounced', 'ticket.*', 'message.**'].some(isEventPattern)).toBe(false);
    expect(familiesOf(['case.closed', 'message.*', 'case.*'])).toEqual(['message', 'case']);
  });
});

describe('retry backoff', () => {
  it('doubles from 15 s up to 2 h, half of each delay random', () => {
    const full = () => 1;
    expect([1, 2, 3, 4, 9, 10, 11, 30].map((n) => retryDelayMs(n, DEFAULT_RETRY, full) / 1000)).toEqual([15, 30, 60, 120, 3840, 7200, 7200, 7200]);
    expect(retryDelayMs(1, DEFAULT_RETRY, () => 0)).toBe(7500);
  });
});
