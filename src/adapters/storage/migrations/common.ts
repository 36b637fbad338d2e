import type { Kysely } from 'kysely';
import type { DialectName } from '../../../ports/storage.js';

export type AnyDb = Kysely<unknown>;

/** Column types that differ by dialect; everything else is plain SQL types both accept. */
export const types = (dialect: DialectName) => ({ ts: dialect === 'postgres' ? ('timestamptz' as const) : ('text' as const) });
