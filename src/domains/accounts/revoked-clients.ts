import { CHANNELS } from '../../ports/channels.js';
import type { Storage } from '../../ports/storage.js';
import { accountsRepo } from './accounts.repo.js';

/**
 * The OAuth clients revoked on any node. Access tokens are verified without the database (so
 * requests keep being authenticated while it is down), which leaves revocation to this set: it
 * is read at start, grows on every node as a revocation commits (NOTIFY on PostgreSQL), and is
 * read again whole after a lost connection, which may have missed one.
 */
export class RevokedClients {
  private ids = new Set<string>();
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly storage: Storage) {}

  async start(): Promise<void> {
    this.unlisten = await this.storage.listen(CHANNELS.revokedClients, (clientId) => this.ids.add(clientId), () => void this.load().catch(() => undefined));
    await this.load();
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
  }

  has(clientId: string): boolean {
    return this.ids.has(clientId);
  }

  /** Revokes the account's client for every node; false when it is unknown or already revoked. */
  async revoke(accountId: string, clientId: string, at: string): Promise<boolean> {
    const revoked = await this.storage.db.transaction().execute(async (trx) => {
      if (!(await accountsRepo(trx).revokeClient(accountId, clientId, at))) return false;
      await this.storage.notify(trx, CHANNELS.revokedClients, clientId);
      return true;
    });
    if (revoked) this.ids.add(clientId);
    return revoked;
  }

  private async load(): Promise<void> {
    this.ids = new Set(await accountsRepo(this.storage.db).revokedClientIds());
  }
}
