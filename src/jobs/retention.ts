/**
 * How long an `Idempotency-Key` is remembered. The HTTP layer treats an older key as new; the
 * `idempotency.purge` job deletes older rows. Both read it here so they cannot disagree.
 */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
