import type { Clock } from '../../../kernel/clock.js';
import { newId, newSecret } from '../../../kernel/ids.js';
import type { Logger } from '../../../kernel/logger.js';
import { CHANNELS } from '../../../ports/channels.js';
import type { Storage } from '../../../ports/storage.js';
import type { AppMessageEvent } from '../../../domains/messaging/index.js';

/** One open SSE connection of a customer's app. */
export interface AppStream {
  /** Writes an event; false when the connection is already gone. */
  write(event: string, data: unknown, id?: string): boolean;
  end(): void;
}

/** Where the hub reads messages it must push: one by id (sent from another node), or those an app that connects is still owed. */
export interface AppMessageSource {
  event(accountId: string, messageId: string): Promise<AppMessageEvent | undefined>;
  backlog(accountId: string, profileId: string): Promise<AppMessageEvent[]>;
}

/** How often a node marks its open streams alive, and when another node stops believing in them. */
const REFRESH_MS = 30_000;
const STALE_MS = 90_000;

/**
 * The app streams open on this node, and how a message reaches a stream open on another node.
 * Every open stream is a row in `app_sessions` (refreshed every 30 s, dropped on disconnect), so
 * any node can tell whether the customer's app is connected somewhere; a message for a stream on
 * another node goes there by NOTIFY (PostgreSQL) and that node reads it and pushes it.
 */
export class AppStreams {
  readonly node = `app/${newSecret(8)}`;
  private readonly local = new Map<string, Map<string, AppStream>>();
  private unlisten: (() => Promise<void>) | undefined;
  private cancelRefresh: (() => void) | undefined;
  private stopped = false;
  private source: AppMessageSource | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Starts listening for messages other nodes hand over. */
  async start(source: AppMessageSource): Promise<void> {
    this.source = source;
    // One process owns an SQLite database: streams a previous process left behind are all gone.
    if (this.storage.dialect === 'sqlite') await this.storage.db.deleteFrom('app_sessions').execute();
    this.unlisten = await this.storage.listen(CHANNELS.appMessages, (payload) => void this.handOver(payload));
    this.scheduleRefresh();
  }

  /** Registers a stream, sends it `connected` and then every message it is still owed; resolves to its disconnect function. */
  async connect(accountId: string, profileId: string, stream: AppStream): Promise<() => Promise<void>> {
    const id = newId();
    const key = keyOf(accountId, profileId);
    const streams = this.local.get(key) ?? new Map<string, AppStream>();
    streams.set(id, stream);
    this.local.set(key, streams);
    await this.storage.db.insertInto('app_sessions').values({ account_id: accountId, profile_id: profileId, id, node: this.node, seen_at: this.clock.now().toISOString() }).execute();
    stream.write('connected', { profileId });
    for (const event of (await this.source?.backlog(accountId, profileId)) ?? []) stream.write('message', event, event.messageId);
    let closed = false;
    return async () => {
      if (closed) return;
      closed = true;
      streams.delete(id);
      if (streams.size === 0 && this.local.get(key) === streams) this.local.delete(key);
      await this.storage.db.deleteFrom('app_sessions').where('account_id', '=', accountId).where('profile_id', '=', profileId).where('id', '=', id).execute().catch(() => undefined);
    };
  }

  /**
   * Offers a message to the customer's app: pushed to the streams open here, else handed to the
   * node holding one. Resolves to where it went, or undefined when no app of the profile is
   * connected anywhere.
   */
  async offer(accountId: string, profileId: string, event: AppMessageEvent): Promise<string | undefined> {
    if (this.pushLocal(accountId, profileId, event) > 0) return 'pushed to the app';
    const since = new Date(this.clock.now().getTime() - STALE_MS).toISOString();
    const remote = await this.storage.db
      .selectFrom('app_sessions')
      .select('node')
      .where('account_id', '=', accountId)
      .where('profile_id', '=', profileId)
      .where('node', '!=', this.node)
      .where('seen_at', '>', since)
      .limit(1)
      .executeTakeFirst();
    if (!remote) return undefined;
    await this.storage.notify(this.storage.db, CHANNELS.appMessages, JSON.stringify({ a: accountId, p: profileId, m: event.messageId }));
    return `handed to the app's stream on node ${remote.node}`;
  }

  /**
   * Ends the profile's streams here and, by NOTIFY, on every node: its app token was replaced or
   * revoked, so a stream opened with the old one must not receive what is sent next.
   */
  async endProfile(accountId: string, profileId: string): Promise<void> {
    this.endLocal(accountId, profileId);
    await this.storage.notify(this.storage.db, CHANNELS.appMessages, JSON.stringify({ a: accountId, p: profileId, end: true }));
  }

  /** Ends every stream (they reconnect to another node) and forgets this node's sessions. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelRefresh?.();
    await this.unlisten?.();
    for (const streams of this.local.values()) for (const stream of streams.values()) stream.end();
    this.local.clear();
    await this.storage.db.deleteFrom('app_sessions').where('node', '=', this.node).execute().catch(() => undefined);
  }

  get openStreams(): number {
    let count = 0;
    for (const streams of this.local.values()) count += streams.size;
    return count;
  }

  private pushLocal(accountId: string, profileId: string, event: AppMessageEvent): number {
    let pushed = 0;
    for (const stream of this.local.get(keyOf(accountId, profileId))?.values() ?? []) if (stream.write('message', event, event.messageId)) pushed += 1;
    return pushed;
  }

  private endLocal(accountId: string, profileId: string): void {
    for (const stream of [...(this.local.get(keyOf(accountId, profileId))?.values() ?? [])]) stream.end();
  }

  private async handOver(payload: string): Promise<void> {
    try {
      const { a, p, m, end } = JSON.parse(payload) as { a: string; p: string; m?: string; end?: boolean };
      if (!this.local.has(keyOf(a, p))) return;
      if (end === true) return this.endLocal(a, p);
      if (m === undefined) return;
      const event = await this.source?.event(a, m);
      if (event) this.pushLocal(a, p, event);
    } catch (error) {
      this.logger.warn({ err: error }, 'app message hand-over failed');
    }
  }

  private scheduleRefresh(): void {
    this.cancelRefresh = this.clock.setTimer(REFRESH_MS, () => {
      if (this.stopped) return;
      const at = this.clock.now().toISOString();
      if (this.local.size > 0) {
        void this.storage.db.updateTable('app_sessions').set({ seen_at: at }).where('node', '=', this.node).execute().catch((error: unknown) => {
          this.logger.warn({ err: error }, 'app session refresh failed');
        });
      }
      this.scheduleRefresh();
    });
  }
}

const keyOf = (accountId: string, profileId: string) => `${accountId}\u0000${profileId}`;
