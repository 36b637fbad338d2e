import { describe, expect, it } from 'vitest';
import { newId } from './ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId', () => {
  it('increases strictly within one millisecond, while a clock stands still and when it steps back a little', () => {
    const ids = [newId(5000), newId(5000), newId(5000), newId(4999), newId(6000), newId(6000)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID_V7);
  });

  it('carries across bytes and keeps the version and variant bits over many ids in one millisecond', () => {
    const ids = Array.from({ length: 70_000 }, () => newId(7000));
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(ids[0]?.startsWith('00000000-1b58-')).toBe(true);
  });

  it('starts afresh at a clock far behind the last one (a simulation ahead in virtual time)', () => {
    newId(Date.UTC(2030, 0, 1));
    const now = Date.now();
    const id = newId(now);
    expect(id.replace(/-/g, '').slice(0, 12)).toBe(now.toString(16).padStart(12, '0'));
  });

  it('pins a time before 1970 or past the 48-bit range to its ends instead of throwing', () => {
    expect(newId(Date.parse('0000-01-01T00:00:00Z'))).toMatch(/^00000000-0000-7/);
    expect(newId(Number.NaN)).toMatch(UUID_V7);
    expect(newId(2 ** 50)).toMatch(/^ffffffff-ffff-7/);
  });
});
