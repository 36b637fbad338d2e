import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Database, Executor, Storage } from '../../ports/storage.js';
import { withTimeout } from '../../kernel/timeout.js';
import { GroupCommit } from './group-commit.js';
import { maintainTables } from './postgres-maintenance.js';
import { preparingPool } from './postgres-prepared.js';

const TIMESTAMPTZ = 1184;
const INT8 = 20;

/** Timestamps come back as ISO strings and counts as numbers, exactly as on SQLite. */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === TIMESTAMPTZ) return (value: string) => new Date(value).toISOString();
    if (oid === INT8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

/** Shared transactions open at once, each on a pooled connection. */
const GROUP_LANES = 4;

export function createPostgresStorage(url: string, poolSize = 10): Storage {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    types: typeParsers,
  });
  // An idle client losing its connection (database restart, network cut) must not crash the process.
  pool.on('error', () => undefined);
  // A checked-out client whose connection drops emits 'error' too; its query already rejects.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  const listener = new Listener(url);
  // Groups on several connections at once: while one waits for a round trip, another runs.
  const group = new GroupCommit(db, GROUP_LANES);

  return {
    db,
    dialect: 'postgres',
    async ping(timeoutMs = 2000) {
      await withTimeout(sql`select 1`.execute(db), timeoutMs, 'database ping timed out');
    },
    batch: (work) => group.run(work),
    listen: (channel, onMessage, onReconnect) => listener.subscribe(channel, onMessage, onReconnect),
    async notify(executor: Executor, channel, payload) {
      await sql`select pg_notify(${channel}, ${payload})`.execute(executor);
    },
    maintain: () => maintainTables(db),
    async close() {
      await listener.close();
      await db.destroy();
    },
  };
}

interface Subscription {
  channel: string;
  onMessage: (payload: string) => void;
  onReconnect?: (() => void) | undefined;
}

/**
 * One dedicated connection for LISTEN. When it drops it reconnects with backoff, re-listens and
 * tells subscribers, who must assume they missed notifications meanwhile.
 */
class Listener {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private subscriptions: Subscription[] = [];
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly url: string) {}

  async subscribe(channel: string, onMessage: Subscription['onMessage'], onReconnect?: () => void) {
    const subscription: Subscription = { channel, onMessage, onReconnect };
    this.subscriptions.push(subscription);
    await this.ensureConnected();
    await this.client?.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    return async () => {
      this.subscriptions = this.subscriptions.filter((s) => s !== subscription);
      if (!this.subscriptions.some((s) => s.channel === channel)) {
        await this.client?.query(`UNLISTEN ${pg.escapeIdentifier(channel)}`).catch(() => undefined);
      }
    };
  }

  private ensureConnected(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 3000, keepAlive: true });
    client.on('notification', (message) => {
      for (const s of this.subscriptions) if (s.channel === message.channel) s.onMessage(message.payload ?? '');
    });
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.scheduleReconnect(250);
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    for (const channel of new Set(this.subscriptions.map((s) => s.channel))) {
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    }
    this.client = client;
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.ensureConnected().then(
        () => {
          for (const s of this.subscriptions) s.onReconnect?.();
        },
        () => this.scheduleReconnect(Math.min(delayMs * 2, 5000)),
      );
    }, delayMs);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
