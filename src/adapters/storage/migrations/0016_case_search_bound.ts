import { sql, type Migration } from 'kysely';
import type { DialectName } from '../../../ports/storage.js';
import type { AnyDb } from './common.js';
import { literal, SEPARATORS } from './0008_case_search.js';

/**
 * How much of a case's text PostgreSQL indexes. A tsvector holds at most 1 MB (1,048,575 bytes):
 * 0008's 500,000 characters overflowed it with text of many distinct words outside ASCII (about
 * 55,000 eight-letter Cyrillic words), and the note that took a case there failed. Stripped of
 * positions, a tsvector of n words costs 4 bytes a word plus their letters; n words need n − 1
 * separators, so 160,000 characters take at most 4 × 160,001 bytes at 4 bytes a letter, and stay
 * under 1 MB even where lower-casing lengthens a letter by half.
 */
export const POSTGRES_INDEXED_CHARS = 160_000;

/**
 * PostgreSQL: the generated search column again, over the first `POSTGRES_INDEXED_CHARS`
 * characters (SQLite's FTS5 has no such limit), with the Greek final sigma `ς` read as `σ`:
 * PostgreSQL lower-cases `Σ` to `σ` only, so `ΟΔΟΣ` and `οδος` were different words, where
 * SQLite's tokenizer folds them alike. Queries fold `ς` the same way (`case-search.repo.ts`).
 */
export function caseSearchBound(dialect: DialectName): Migration {
  return {
    async up(db: AnyDb) {
      if (dialect !== 'postgres') return;
      const normalised = `translate(left(search_text, ${POSTGRES_INDEXED_CHARS}), ${literal(`${SEPARATORS}ς`)}, ${literal(`${' '.repeat([...SEPARATORS].length)}σ`)})`;
      await sql`drop index cases_search`.execute(db);
      await sql`alter table cases drop column search_vector`.execute(db);
      await sql
        .raw(`alter table cases add column search_vector tsvector generated always as (strip(to_tsvector('simple'::regconfig, ${normalised}))) stored`)
        .execute(db);
      await sql`create index cases_search on cases using gin (search_vector)`.execute(db);
    },
  };
}
