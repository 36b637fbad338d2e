import { randomBytes, randomFillSync } from 'node:crypto';

/** Random bytes drawn from a pool refilled 4 KiB at a time: one system call per 400 ids, not one per id. */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function randomInto(target: Buffer, from: number): void {
  const wanted = target.length - from;
  if (poolAt + wanted > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  pool.copy(target, from, poolAt, poolAt + wanted);
  poolAt += wanted;
}

/** A clock further back than this is another clock (a simulation's virtual time), not jitter: ids start afresh there. */
const REWIND_TOLERANCE_MS = 10_000;
const MAX_MS = 2 ** 48 - 1;

/** The last id made: its time and bytes, so the next one in the same millisecond is one more. */
const last = { ms: -Infinity, bytes: Buffer.alloc(16) };

/**
 * Time-ordered identifiers (UUIDv7 layout): keyset paging by id follows creation order, and
 * inserts land at the end of B-tree indexes instead of scattering across them. Ids made by one
 * process increase strictly, even within one millisecond or while a test's clock stands still
 * (the random bits count up from the millisecond's first id), so rows written together and
 * listed by (time, id) come back in the order they were written.
 */
export function newId(at: number = Date.now()): string {
  // The 48-bit timestamp holds 1970 to the year 10889: a clock outside it is pinned to its ends.
  const now = Math.min(Math.max(Math.trunc(at) || 0, 0), MAX_MS);
  const bytes = Buffer.allocUnsafe(16);
  if (now <= last.ms && now > last.ms - REWIND_TOLERANCE_MS) {
    last.bytes.copy(bytes);
    increment(bytes);
  } else {
    randomInto(bytes, 6);
    bytes.writeUIntBE(now, 0, 6);
    bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
    // The counting bits' top one starts clear, so a millisecond's increments never wrap.
    bytes[8] = ((bytes[8] ?? 0) & 0x1f) | 0x80;
    last.ms = now;
  }
  last.bytes = bytes;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Adds one to the 74 random bits (byte 6's low nibble, byte 7, byte 8's low six bits, bytes 9–15). */
function increment(bytes: Buffer): void {
  for (let i = 15; i >= 9; i--) {
    bytes[i] = ((bytes[i] ?? 0) + 1) & 0xff;
    if (bytes[i] !== 0) return;
  }
  const low8 = ((bytes[8] ?? 0) & 0x3f) + 1;
  bytes[8] = 0x80 | (low8 & 0x3f);
  if (low8 <= 0x3f) return;
  bytes[7] = ((bytes[7] ?? 0) + 1) & 0xff;
  if (bytes[7] !== 0) return;
  bytes[6] = 0x70 | (((bytes[6] ?? 0) + 1) & 0x0f);
}

/** A random secret with enough entropy to be a credential. */
export const newSecret = (bytes = 32): string => randomBytes(bytes).toString('base64url');
