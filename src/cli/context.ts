import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/config.js';
import { sqliteFileOf } from '../adapters/storage/sqlite-url.js';
import { systemClock } from '../kernel/clock.js';
import type { Storage } from '../ports/storage.js';
import { AccountsService } from '../domains/accounts/index.js';
import { DomainError } from '../kernel/errors.js';

/** What a command may touch: its output streams and the configuration (loaded on first use). */
export interface Cli {
  /** Writes a line to stdout: results, credentials. */
  out(text: string): void;
  /** Writes a line to stderr: hints and errors. */
  err(text: string): void;
  config(): Config;
}

export interface Command {
  /** One line, shown in the group's help. */
  summary: string;
  help: string;
  run(argv: string[], cli: Cli): Promise<void>;
}

export interface CommandGroup {
  summary: string;
  /** A group of one command (`migrate`) runs it directly; otherwise argv[0] picks the command. */
  commands: Record<string, Command>;
}

/** The database could not be opened or migrated: reported with the (password-less) URL. */
export class DatabaseUnavailable extends Error {
  constructor(url: string, cause: unknown) {
    super(`cannot use the database at ${redactUrl(url)}: ${describeError(cause)}`, { cause });
    this.name = 'DatabaseUnavailable';
  }
}

export interface Session {
  accounts: AccountsService;
}

/**
 * Opens the configured database, applies pending migrations (as the server does at start-up, so
 * a fresh checkout needs no separate `migrate`), runs `work`, and always closes the database.
 * Only storage and the accounts domain are built: no HTTP server, no workers, no listeners, so
 * this is safe beside running servers (SQLite in WAL mode waits on their locks; PostgreSQL
 * migrations hold an advisory lock).
 */
export async function withSession<T>(cli: Cli, work: (session: Session) => Promise<T>): Promise<T> {
  const config = cli.config();
  const file = sqliteFileOf(config.DATABASE_URL);
  const created = file !== undefined && !existsSync(file);
  const storage = await openDatabase(config.DATABASE_URL, true);
  // Most likely a DATABASE_URL (or working directory) other than the server's: say so, or what this command does goes unseen.
  if (created) cli.err(`note: ${resolve(file)} did not exist; this command created a new, empty database there. A server started with another DATABASE_URL will not see it.`);
  try {
    const accounts = new AccountsService(storage, systemClock, {
      signingSecret: config.signingSecret,
      tokenTtlSeconds: config.SWITCHBOARD_TOKEN_TTL_S,
    });
    return await work({ accounts });
  } finally {
    await storage.close();
  }
}

/** Replaces the domain's generic "x not found" with one that names what was looked for. */
export async function explainNotFound<T>(work: Promise<T>, message: string): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'not_found') throw new Error(message, { cause: error });
    throw error;
  }
}

/** Opens the database and checks it is reachable; with `migrate`, brings the schema up to date. */
export async function openDatabase(url: string, migrate: boolean): Promise<Storage> {
  let storage: Storage | undefined;
  try {
    // Loaded on demand: the database drivers and Kysely are most of the start-up time, and
    // --help and usage errors never need them.
    const { createStorage, migrateStorage } = await import('../adapters/storage/storage.js');
    storage = createStorage(url);
    await storage.ping(5000);
    if (migrate) await migrateStorage(storage);
    return storage;
  } catch (error) {
    await storage?.close().catch(() => undefined);
    throw new DatabaseUnavailable(url, error);
  }
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`; SQLite URLs unchanged. */
export function redactUrl(url: string): string {
  if (url.startsWith('sqlite:')) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured DATABASE_URL';
  }
}

/** A one-line reason, including the parts of errors Node leaves out of `message`. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(describeError))].join('; ');
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error.message) return error.message;
    return code ?? error.name;
  }
  return String(error);
}

/** The base URL a server started with this configuration answers on. */
export function serverUrl(config: Config): string {
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST === '::' ? '::1' : config.HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.PORT}`;
}

/** Single-quotes a value for POSIX shells. */
export const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;
