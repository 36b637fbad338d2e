import { describe, expect, it } from 'vitest';
import { filterBound } from './clock.js';

describe('filterBound', () => {
  it('reads any offset as UTC milliseconds, rounding a finer fraction up', () => {
    expect(filterBound('2026-11-22T08:38:15.843+02:00')).toBe('2026-11-22T06:38:15.843Z');
    expect(filterBound('2026-11-22T06:38:15.8431Z')).toBe('2026-11-22T06:38:15.844Z');
    expect(filterBound('2026-11-22T06:38:15.8430000Z')).toBe('2026-11-22T06:38:15.843Z');
    expect(filterBound('2026-11-22T06:38:15Z')).toBe('2026-11-22T06:38:15.000Z');
    expect(filterBound('2026-11-22T06:38:15.9999Z')).toBe('2026-11-22T06:38:16.000Z');
  });
});
