import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../kernel/clock.js';
import { CircuitBreaker } from './circuit-breaker.js';

describe('provider circuit breaker', () => {
  it('opens after consecutive failures, cools down, lets one trial through and closes on success', () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker(clock, { failureThreshold: 3, coolDownMs: 60_000 });
    const key = CircuitBreaker.key('acct', 'sms', 'primary');
    expect(breaker.failed(key)).toBe(false);
    breaker.succeeded(key);
    expect(breaker.failed(key)).toBe(false);
    expect(breaker.failed(key)).toBe(false);
    expect(breaker.openUntil(key)).toBeUndefined();
    expect(breaker.failed(key)).toBe(true);
    expect(breaker.openUntil(key)?.getTime()).toBe(clock.now().getTime() + 60_000);
    expect(breaker.openCount).toBe(1);
    expect(breaker.opened).toBe(1);

    clock.advance(60_000);
    expect(breaker.openUntil(key)).toBeUndefined();
    // The trial fails: open again at once.
    expect(breaker.failed(key)).toBe(true);
    expect(breaker.openUntil(key)).toBeDefined();
    clock.advance(60_000);
    breaker.succeeded(key);
    expect(breaker.openCount).toBe(0);
    expect(breaker.failed(key)).toBe(false);
  });

  it('keeps providers, channels and accounts apart', () => {
    const breaker = new CircuitBreaker(new ManualClock(), { failureThreshold: 1, coolDownMs: 1000 });
    breaker.failed(CircuitBreaker.key('a', 'sms', 'p'));
    expect(breaker.openUntil(CircuitBreaker.key('a', 'sms', 'p'))).toBeDefined();
    expect(breaker.openUntil(CircuitBreaker.key('b', 'sms', 'p'))).toBeUndefined();
    expect(breaker.openUntil(CircuitBreaker.key('a', 'email', 'p'))).toBeUndefined();
    expect(breaker.openUntil(CircuitBreaker.key('a', 'sms', 'q'))).toBeUndefined();
  });
});
