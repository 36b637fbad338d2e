import { DomainError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import { DEFAULT_TARGET_KEY, type RoutingSnapshot } from './continuity.model.js';
import type { ContinuityRow } from './continuity.repo.js';

export interface SnapshotSources {
  loadContinuity(accountId: string): Promise<ContinuityRow>;
  loadNumbers(accountId: string): Promise<{ number: string; inbound_flow_id: string | null }[]>;
}

const RETRY_MS = 1000;

export function buildSnapshot(row: ContinuityRow, numbers: { number: string; inbound_flow_id: string | null }[]): RoutingSnapshot {
  const forward = new Map(Object.entries(row.settings.forward));
  const defaultTarget = forward.get(DEFAULT_TARGET_KEY) ?? null;
  forward.delete(DEFAULT_TARGET_KEY);
  return {
    enabled: row.activation.enabled,
    forward,
    defaultTarget,
    message: row.settings.message,
    inboundFlows: new Map(numbers.map((n) => [n.number, n.inbound_flow_id])),
  };
}

/**
 * The in-memory routing state per account that every inbound-call decision reads. It is loaded
 * on first use, reloaded whenever the routing channel names the account (any node's change), and
 * kept as it is while the database is unreachable: a failed reload is retried until it succeeds.
 */
export class RoutingSnapshots {
  private readonly snapshots = new Map<string, RoutingSnapshot>();
  private readonly loading = new Map<string, Promise<RoutingSnapshot>>();
  private readonly stale = new Set<string>();
  /** Counts this node's own changes per account: a load that read the database before one of them is not installed. */
  private readonly localChanges = new Map<string, number>();
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly sources: SnapshotSources, private readonly logger: Logger) {}

  /** The account's snapshot; loads it when this node has none yet. */
  get(accountId: string): RoutingSnapshot | Promise<RoutingSnapshot> {
    return this.snapshots.get(accountId) ?? this.load(accountId);
  }

  /** Reloads one account now (after a local change, or when a node announced one). */
  async refresh(accountId: string): Promise<void> {
    if (!this.snapshots.has(accountId) && !this.loading.has(accountId)) return;
    try {
      // A load already in flight may have read the database before this change committed.
      await this.loading.get(accountId)?.catch(() => undefined);
      await this.load(accountId);
    } catch (error) {
      this.logger.warn({ err: error, accountId }, 'routing snapshot reload failed; serving the last one');
      this.markStale(accountId);
    }
  }

  /** Installs a snapshot this node just built from its own committed change. */
  put(accountId: string, snapshot: RoutingSnapshot): void {
    this.changedHere(accountId);
    this.snapshots.set(accountId, snapshot);
    this.stale.delete(accountId);
  }

  /** Applies a committed activation change to a loaded snapshot without reloading the forward map. */
  setEnabled(accountId: string, enabled: boolean): void {
    this.changedHere(accountId);
    const current = this.snapshots.get(accountId);
    if (current) this.snapshots.set(accountId, { ...current, enabled });
  }

  /** After a lost notification connection every snapshot may be behind. */
  refreshAll(): void {
    for (const accountId of this.snapshots.keys()) void this.refresh(accountId);
  }

  get staleCount(): number {
    return this.stale.size;
  }

  get size(): number {
    return this.snapshots.size;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
  }

  private load(accountId: string): Promise<RoutingSnapshot> {
    const inFlight = this.loading.get(accountId);
    if (inFlight) return inFlight;
    const promise = this.fetch(accountId).finally(() => this.loading.delete(accountId));
    this.loading.set(accountId, promise);
    return promise;
  }

  private changedHere(accountId: string): void {
    this.localChanges.set(accountId, (this.localChanges.get(accountId) ?? 0) + 1);
  }

  private async fetch(accountId: string): Promise<RoutingSnapshot> {
    let snapshot: RoutingSnapshot;
    try {
      for (;;) {
        const changes = this.localChanges.get(accountId);
        const [row, numbers] = await Promise.all([this.sources.loadContinuity(accountId), this.sources.loadNumbers(accountId)]);
        snapshot = buildSnapshot(row, numbers);
        // This node committed a change while the rows were read, perhaps after: read them again.
        if (this.localChanges.get(accountId) === changes) break;
      }
    } catch (error) {
      const last = this.snapshots.get(accountId);
      if (last) throw error;
      this.logger.error({ err: error, accountId }, 'no routing snapshot and the database is unreachable');
      throw new DomainError('service_unavailable', 'routing settings for this account are not available yet; retry shortly', undefined, {
        'retry-after': '1',
      });
    }
    this.snapshots.set(accountId, snapshot);
    this.stale.delete(accountId);
    return snapshot;
  }

  private markStale(accountId: string): void {
    this.stale.add(accountId);
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      for (const id of [...this.stale]) void this.refresh(id);
    }, RETRY_MS);
    this.retryTimer.unref();
  }
}
