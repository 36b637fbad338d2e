import type { AdmitRequest, AdmitResult } from './rate-limits.repo.js';

/**
 * The rate limiter's sliding log kept in memory, for a database only one process uses (SQLite):
 * the same decisions as the database statement (`rate-limits.repo.ts`) without rewriting a row of
 * up to two windows of admissions on every request, which cost more than half a millisecond per
 * request at 1,000/s. A restart forgets the log, so a burst may be admitted again right after it.
 */
export class MemoryAdmissions {
  /** Admission times of each (account, bucket), ascending, from `start` on; older entries are pruned lazily. */
  private readonly logs = new Map<string, { hits: number[]; start: number }>();

  admit({ accountId, bucket, atMs, limit, windowMs }: AdmitRequest): AdmitResult {
    const key = `${accountId}\u0000${bucket}`;
    let log = this.logs.get(key);
    if (!log) this.logs.set(key, (log = { hits: [], start: 0 }));
    const { hits } = log;
    while (log.start < hits.length && (hits[log.start] ?? 0) <= atMs - 2 * windowMs) log.start++;
    if (log.start > 1024 && log.start * 2 > hits.length) {
      hits.splice(0, log.start);
      log.start = 0;
    }
    const newest = hits.length > log.start ? (hits[hits.length - 1] ?? atMs) : atMs;
    // A request stamped more than a window before the newest admission cannot be judged: refused, as in the database.
    if (atMs < newest - windowMs) return { admitted: false, retryAtMs: null };
    const inWindow = hits.length - firstAfter(hits, log.start, atMs - windowMs);
    if (inWindow >= limit) return { admitted: false, retryAtMs: (hits[hits.length - limit] ?? atMs) + windowMs };
    insertSorted(hits, log.start, atMs);
    return { admitted: true, retryAtMs: null };
  }
}

/** The index of the first entry of `hits[from..]` greater than `value`. */
function firstAfter(hits: number[], from: number, value: number): number {
  let low = from;
  let high = hits.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((hits[middle] ?? 0) > value) high = middle;
    else low = middle + 1;
  }
  return low;
}

function insertSorted(hits: number[], from: number, value: number): void {
  const at = firstAfter(hits, from, value);
  if (at === hits.length) hits.push(value);
  else hits.splice(at, 0, value);
}
