import { sql, type Migration } from 'kysely';
import type { DialectName } from '../../../ports/storage.js';
import type { AnyDb } from './common.js';

/**
 * Punctuation PostgreSQL's text-search parser would otherwise read as part of a token (e-mail
 * addresses, URLs, host and file names, hyphenated words, decimals, XML tags) plus common
 * typographic marks. Turned into spaces before parsing, so a word is a run of letters and digits
 * on PostgreSQL as it is for SQLite's unicode61 tokenizer: `jane.doe@example.com` is the words
 * `jane`, `doe`, `example` and `com` on both.
 */
export const SEPARATORS = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~‘’‚‛“”„‟‐‑‒–—―…«»‹›·•′″¡¿§¶©®™°±×÷';

export const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * PostgreSQL indexed this much of a case's text (0016 lowers it): a tsvector holds at most 1 MB,
 * and a write whose text would overflow it fails, so a case with megabytes of notes could take no
 * more notes.
 */
const POSTGRES_INDEXED_CHARS = 500_000;

/**
 * Full-text search over `cases.search_text` and the indexes behind `GET /cases`.
 *
 * Matching, the same on both dialects: a word is a run of letters and digits; every word of the
 * query must occur somewhere in the title, description or a note; case-insensitive, whole words
 * only (no prefixes, no stemming, no stop words); accents count (`café` is not `cafe`).
 * - PostgreSQL: a stored generated `tsvector` (the `simple` configuration, positions stripped:
 *   nothing ranks or matches phrases) with a GIN index, over the first 500,000 characters
 *   (160,000 since 0016).
 * - SQLite: an FTS5 table over `cases` (external content, keyed by the table's rowid) kept by
 *   triggers. `VACUUM` may renumber the rowids of a table without an INTEGER PRIMARY KEY; after one,
 *   `INSERT INTO cases_fts(cases_fts) VALUES ('rebuild')` re-reads every case.
 *
 * Listing indexes: each sort (created_at, updated_at, priority_rank) with id as the tiebreak, led
 * by account_id, so a page is a range scan wherever it starts; and the filters a contact center
 * lists by most (an agent's or a group's queue by status category, a status, a customer's cases)
 * with the sort they usually take. Deleted cases stay in every index: the trash is a small part
 * of an account and `include_deleted` lists it.
 */
export function caseSearch(dialect: DialectName): Migration {
  return {
    async up(db: AnyDb) {
      if (dialect === 'postgres') {
        const normalised = `translate(left(search_text, ${POSTGRES_INDEXED_CHARS}), ${literal(SEPARATORS)}, ${literal(' '.repeat([...SEPARATORS].length))})`;
        await sql
          .raw(`alter table cases add column search_vector tsvector generated always as (strip(to_tsvector('simple'::regconfig, ${normalised}))) stored`)
          .execute(db);
        await sql`create index cases_search on cases using gin (search_vector)`.execute(db);
      } else {
        await sql
          .raw(`create virtual table cases_fts using fts5(search_text, content='cases', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0')`)
          .execute(db);
        await sql`create trigger cases_fts_insert after insert on cases begin
          insert into cases_fts (rowid, search_text) values (new.rowid, new.search_text); end`.execute(db);
        await sql`create trigger cases_fts_delete after delete on cases begin
          insert into cases_fts (cases_fts, rowid, search_text) values ('delete', old.rowid, old.search_text); end`.execute(db);
        await sql`create trigger cases_fts_update after update of search_text on cases begin
          insert into cases_fts (cases_fts, rowid, search_text) values ('delete', old.rowid, old.search_text);
          insert into cases_fts (rowid, search_text) values (new.rowid, new.search_text); end`.execute(db);
        await sql`insert into cases_fts (cases_fts) values ('rebuild')`.execute(db);
      }

      const index = (name: string, columns: string[]) => db.schema.createIndex(name).on('cases').columns(['account_id', ...columns]).execute();
      await index('cases_by_created', ['created_at', 'id']);
      await index('cases_by_updated', ['updated_at', 'id']);
      await index('cases_by_priority', ['priority_rank', 'created_at', 'id']);
      await index('cases_by_status', ['status_id', 'created_at', 'id']);
      await index('cases_by_category', ['status_category', 'created_at', 'id']);
      await index('cases_by_assignee', ['assignee_id', 'status_category', 'updated_at', 'id']);
      await index('cases_by_group', ['group_id', 'status_category', 'updated_at', 'id']);
      await index('cases_by_requester', ['requester_id', 'created_at', 'id']);
      // Addresses compare case-insensitively.
      await sql`create index cases_by_requester_email on cases (account_id, lower(requester_email), created_at, id)`.execute(db);
    },
  };
}
