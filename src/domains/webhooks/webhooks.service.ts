import type { Clock } from '../../kernel/clock.js';
import { newId } from '../../kernel/ids.js';
import { decodeCursor, pageOf, type Page } from '../../kernel/page.js';
import type { Job, JobQueue } from '../../ports/jobs.js';
import type { Executor, Storage } from '../../ports/storage.js';
import { z } from 'zod';
import { generateSecret } from './webhook-signature.js';
import { cancelPendingDeliveries } from './pending-deliveries.js';
import { openSecret, SECRET_OVERLAP_MS, secretContext, toDelivery, toEndpoint, type SecretSealer } from './webhook-views.js';
import { webhookNotFound } from './webhooks.errors.js';
import type { CreatedWebhookEndpoint, DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEndpointInput, WebhookEndpointPatch } from './webhooks.model.js';
import { webhooksRepo, type EndpointRow } from './webhooks.repo.js';
import { requireFamilyScopes } from './webhooks.scopes.js';
import type { SubscribedEndpoints } from './subscribed-endpoints.js';

export interface WebhooksDependencies {
  storage: Storage;
  clock: Clock;
  jobs: JobQueue<Job>;
  sealer: SecretSealer;
  subscriptions: SubscribedEndpoints;
}

/**
 * The account's webhook endpoints and their deliveries. Changing an endpoint takes a scope of
 * every event family it subscribes to, before and after the change (`granted`: the caller's
 * scopes). Deleting or disabling one cancels its pending deliveries in the same transaction.
 */
export class WebhooksService {
  constructor(private readonly deps: WebhooksDependencies) {}

  async create(accountId: string, input: WebhookEndpointInput, granted: ReadonlySet<string>): Promise<CreatedWebhookEndpoint> {
    requireFamilyScopes(input.events, granted);
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const id = newId(now.getTime());
    const secret = input.secret ?? generateSecret();
    const row: EndpointRow = {
      account_id: accountId, id, url: input.url, description: input.description ?? null, events: JSON.stringify(input.events),
      secret: this.deps.sealer.seal({ secret }, secretContext(accountId, id)), enabled: input.enabled === false ? 0 : 1,
      disabled_reason: null, created_at: at, updated_at: at,
    };
    await this.deps.subscriptions.change(accountId, (trx) => webhooksRepo(trx).insertEndpoint(row));
    return { ...toEndpoint(row), secret };
  }

  async get(accountId: string, id: string): Promise<WebhookEndpoint> {
    return toEndpoint(await this.find(this.deps.storage.db, accountId, id));
  }

  async list(accountId: string, cursor: string | undefined, perPage: number): Promise<Page<WebhookEndpoint>> {
    const after = decodeCursor(cursor, z.string());
    const repo = webhooksRepo(this.deps.storage.db);
    const [rows, total] = await Promise.all([repo.listEndpoints(accountId, after, perPage + 1), repo.countEndpoints(accountId)]);
    const page = pageOf(rows, perPage, total, (row) => row.id);
    return { ...page, items: page.items.map(toEndpoint) };
  }

  async update(accountId: string, id: string, patch: WebhookEndpointPatch, granted: ReadonlySet<string>): Promise<WebhookEndpoint> {
    const at = this.deps.clock.now().toISOString();
    return this.deps.subscriptions.change(accountId, async (trx) => {
      const current = await this.find(trx, accountId, id);
      const before = toEndpoint(current);
      requireFamilyScopes([...before.events, ...(patch.events ?? [])], granted);
      const enabled = patch.enabled ?? before.enabled;
      const changes = {
        ...(patch.url === undefined ? {} : { url: patch.url }),
        ...(patch.description === undefined ? {} : { description: patch.description }),
        ...(patch.events === undefined ? {} : { events: JSON.stringify(patch.events) }),
        ...(patch.secret === undefined ? {} : { secret: this.rotated(current, patch.secret, at) }),
        enabled: enabled ? 1 : 0,
        // Enabling again (or disabling on purpose) clears why the platform had disabled it.
        disabled_reason: patch.enabled === undefined ? current.disabled_reason : null,
        updated_at: at,
      };
      await webhooksRepo(trx).updateEndpoint(accountId, id, changes);
      if (before.enabled && !enabled) await cancelPendingDeliveries(this.deps.jobs, trx, accountId, id, 'the endpoint was disabled', at);
      return toEndpoint({ ...current, ...changes });
    });
  }

  /**
   * The sealed secret after a rotation to `secret`: the one it replaces keeps signing beside it
   * for `SECRET_OVERLAP_MS` (one that no longer opens is dropped).
   */
  private rotated(current: EndpointRow, secret: string, at: string): string {
    const replaced = openSecret(this.deps.sealer, current)?.secret;
    const sealed: Record<string, string> = { secret };
    if (replaced !== undefined && replaced !== secret) {
      sealed.previous = replaced;
      sealed.previous_until = new Date(Date.parse(at) + SECRET_OVERLAP_MS).toISOString();
    }
    return this.deps.sealer.seal(sealed, secretContext(current.account_id, current.id));
  }

  async delete(accountId: string, id: string, granted: ReadonlySet<string>): Promise<void> {
    const at = this.deps.clock.now().toISOString();
    await this.deps.subscriptions.change(accountId, async (trx) => {
      const current = await this.find(trx, accountId, id);
      requireFamilyScopes(toEndpoint(current).events, granted);
      await cancelPendingDeliveries(this.deps.jobs, trx, accountId, id, 'the endpoint was deleted', at);
      const repo = webhooksRepo(trx);
      await repo.deleteDeliveries(accountId, id);
      await repo.deleteEndpoint(accountId, id);
    });
  }

  /** The endpoint's deliveries, newest first. */
  async deliveries(accountId: string, endpointId: string, status: DeliveryStatus | undefined, cursor: string | undefined, perPage: number): Promise<Page<WebhookDelivery>> {
    const before = decodeCursor(cursor, z.string());
    await this.find(this.deps.storage.db, accountId, endpointId);
    const repo = webhooksRepo(this.deps.storage.db);
    const [rows, total] = await Promise.all([
      repo.listDeliveries(accountId, endpointId, status, before, perPage + 1),
      repo.countDeliveries(accountId, endpointId, status),
    ]);
    const page = pageOf(rows, perPage, total, (row) => row.id);
    return { ...page, items: page.items.map(toDelivery) };
  }

  private async find(executor: Executor, accountId: string, id: string): Promise<EndpointRow> {
    const row = await webhooksRepo(executor).findEndpoint(accountId, id);
    if (!row) throw webhookNotFound();
    return row;
  }
}
