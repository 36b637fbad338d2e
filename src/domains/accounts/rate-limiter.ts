import type { Clock } from '../../kernel/clock.js';
import { DomainError, notFound } from '../../kernel/errors.js';
import type { Storage } from '../../ports/storage.js';
import type { AccountLimits } from './accounts.model.js';
import { accountsRepo } from './accounts.repo.js';
import { MemoryAdmissions } from './memory-admissions.js';
import { rateLimitsRepo, type AdmitRequest, type AdmitResult } from './rate-limits.repo.js';

export type Admission = { admitted: true } | { admitted: false; retryAfterS: number };

/** Every limit is per second: a request is admitted while fewer than N lie in the last second. */
const WINDOW_MS = 1000;

/** One in-memory log per SQLite database (whichever limiter instance asks), since one process owns it. */
const memoryLogs = new WeakMap<object, MemoryAdmissions>();

/** 429 `rate_limited` with `Retry-After` in whole seconds. */
export const rateLimited = (retryAfterS: number): DomainError =>
  new DomainError('rate_limited', `too many requests; retry after ${retryAfterS} s`, undefined, { 'retry-after': String(retryAfterS) });

/**
 * Per-account request limits counted in the database, so every node shares one count: at most
 * `perSecond` requests of an account's bucket are admitted in any one-second interval, however
 * many processes serve them. On PostgreSQL each admission is one atomic statement on the
 * (account, bucket) row; on SQLite, whose database one process owns, the same log is kept in that
 * process's memory. Time comes from the injected clock, so nodes are assumed to keep their clocks
 * in step. Fails (rejects) when the database is unreachable.
 */
export class RateLimiter {
  constructor(
    private readonly storage: Pick<Storage, 'db' | 'dialect'>,
    private readonly clock: Clock,
  ) {}

  async admit(accountId: string, bucket: string, perSecond: number): Promise<Admission> {
    if (!Number.isInteger(perSecond) || perSecond < 1) throw new RangeError(`perSecond must be a positive integer, not ${perSecond}`);
    const atMs = this.clock.now().getTime();
    const result = await this.decide({ accountId, bucket, atMs, limit: perSecond, windowMs: WINDOW_MS });
    if (result.admitted) return { admitted: true };
    // No retry time: refused as stamped too long before a newer admission; any fresh request is judged anew.
    const retryAtMs = result.retryAtMs ?? atMs + WINDOW_MS;
    return { admitted: false, retryAfterS: Math.max(1, Math.ceil((retryAtMs - atMs) / 1000)) };
  }

  private decide(request: AdmitRequest): Promise<AdmitResult> {
    const { db, dialect } = this.storage;
    if (dialect === 'postgres') return rateLimitsRepo(db).admit(request);
    let log = memoryLogs.get(db);
    if (!log) memoryLogs.set(db, (log = new MemoryAdmissions()));
    return Promise.resolve(log.admit(request));
  }

  /** Admits one request or throws 429 `rate_limited` with `Retry-After`. */
  async enforce(accountId: string, bucket: string, perSecond: number): Promise<void> {
    const admission = await this.admit(accountId, bucket, perSecond);
    if (!admission.admitted) throw rateLimited(admission.retryAfterS);
  }

  /**
   * Admits one request against the account's own setting for `limit` (read on every call, so a
   * change made through any node applies at once), counted in a bucket named after the limit;
   * throws 429 `rate_limited` with `Retry-After` when over it, 404 for an unknown account.
   */
  async enforceAccountLimit(accountId: string, limit: keyof AccountLimits): Promise<void> {
    const account = await accountsRepo(this.storage.db).findAccount(accountId);
    if (!account) throw notFound('account');
    await this.enforce(accountId, limit, account.limits[limit]);
  }
}
