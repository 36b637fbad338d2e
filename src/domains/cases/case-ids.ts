import { randomBytes } from 'node:crypto';

const RANDOM_BITS = 74n;
const RANDOM_MASK = (1n << RANDOM_BITS) - 1n;

let lastMs = -1;
let lastRandom = 0n;

/**
 * UUIDv7 identifiers that increase strictly within this process, even within one millisecond or
 * while a test's clock stands still: a case's notes and audit entries are listed by (created_at,
 * id), and entries written together must come back in the order they were written.
 */
export function newSequentialId(nowMs: number): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    // Leaves headroom below the mask so increments within one millisecond never wrap.
    lastRandom = BigInt(`0x${randomBytes(10).toString('hex')}`) & (RANDOM_MASK >> 1n);
  } else {
    lastRandom = (lastRandom + 1n) & RANDOM_MASK;
  }
  const randA = (lastRandom >> 62n) & 0xfffn;
  const randB = lastRandom & ((1n << 62n) - 1n);
  const hex = BigInt(lastMs).toString(16).padStart(12, '0')
    + (0x7000n | randA).toString(16).padStart(4, '0')
    + ((2n << 62n) | randB).toString(16).padStart(16, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
