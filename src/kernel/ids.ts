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

/**
 * Time-ordered identifiers (UUIDv7 layout): keyset paging by id follows creation order, and
 * inserts land at the end of B-tree indexes instead of scattering across them.
 */
export function newId(now: number = Date.now()): string {
  const bytes = Buffer.allocUnsafe(16);
  randomInto(bytes, 6);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A random secret with enough entropy to be a credential. */
export const newSecret = (bytes = 32): string => randomBytes(bytes).toString('base64url');
