import { describe, expect, it } from 'vitest';
import { MemoryAdmissions } from './memory-admissions.js';

const request = (atMs: number, limit = 2, accountId = 'a') => ({ accountId, bucket: 'b', atMs, limit, windowMs: 1000 });

describe('the in-memory sliding log', () => {
  it('admits at most the limit in any one-second interval and says when the next place frees', () => {
    const log = new MemoryAdmissions();
    expect(log.admit(request(10_000))).toEqual({ admitted: true, retryAtMs: null });
    expect(log.admit(request(10_400))).toEqual({ admitted: true, retryAtMs: null });
    expect(log.admit(request(10_999))).toEqual({ admitted: false, retryAtMs: 11_000 });
    // The first admission leaves the window at 11,000 exactly.
    expect(log.admit(request(11_000)).admitted).toBe(true);
    expect(log.admit(request(11_100))).toEqual({ admitted: false, retryAtMs: 11_400 });
  });

  it('judges a request stamped before a newer admission against every admission that shares its window', () => {
    const log = new MemoryAdmissions();
    expect(log.admit(request(20_500)).admitted).toBe(true);
    expect(log.admit(request(20_100)).admitted).toBe(true);
    expect(log.admit(request(19_900)).admitted).toBe(false);
    // More than a window older than the newest admission: cannot be judged, refused without a retry time.
    expect(log.admit(request(19_400))).toEqual({ admitted: false, retryAtMs: null });
  });

  it('keeps one log per account and bucket', () => {
    const log = new MemoryAdmissions();
    expect(log.admit(request(0, 1, 'a')).admitted).toBe(true);
    expect(log.admit(request(0, 1, 'a')).admitted).toBe(false);
    expect(log.admit(request(0, 1, 'b')).admitted).toBe(true);
  });

  it('forgets admissions older than two windows however many it has seen', () => {
    const log = new MemoryAdmissions();
    for (let at = 0; at < 10_000; at += 1) expect(log.admit(request(at, 1000)).admitted).toBe(true);
    expect(log.admit(request(9_999, 1000)).admitted).toBe(false);
    expect(log.admit(request(10_000, 1000)).admitted).toBe(true);
  });
});
