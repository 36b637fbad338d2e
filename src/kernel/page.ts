import { z } from 'zod';
import { DomainError } from './errors.js';

export interface Page<T> {
  items: T[];
  total: number;
  /** Opaque cursor for the page after this one; absent on the last page. */
  next?: string | undefined;
}

/** Keyset cursors are opaque to clients: base64url of the last row's sort key. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new DomainError('validation_failed', 'cursor is not one this API issued', [{ name: 'cursor', description: 'is not a valid cursor' }]);
  }
}

/** Takes `perPage + 1` fetched rows and splits off whether another page exists. */
export function pageOf<T>(rows: T[], perPage: number, total: number, keyOf: (row: T) => unknown): Page<T> {
  const items = rows.slice(0, perPage);
  const last = items[items.length - 1];
  return { items, total, next: rows.length > perPage && last !== undefined ? encodeCursor(keyOf(last)) : undefined };
}

/** A whole number in a query string, written in digits only (`0x10`, `1e2` or ` 5` are not one). */
export const queryInteger = z.string().regex(/^[0-9]{1,9}$/, 'must be a whole number written in digits').transform(Number);

/**
 * A list's `page` parameter: lists page by cursor, and `page=1`, which clients written for
 * page-numbered APIs send, is the first page; any other page number is refused, pointing at the
 * cursor.
 */
export const firstPageOnly = queryInteger
  .pipe(z.number().min(1).max(1, 'only page 1 is numbered: follow _links.next (a cursor) for the pages after it'))
  .optional();
