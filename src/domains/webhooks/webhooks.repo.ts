import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Database, Executor } from '../../ports/storage.js';
import type { DeliveryStatus } from './webhooks.model.js';

export type EndpointRow = Selectable<Database['webhook_endpoints']>;
export type EventRow = Selectable<Database['webhook_events']>;
export type DeliveryRow = Selectable<Database['webhook_deliveries']>;

const count = async (query: Promise<{ n: number | string | bigint }>): Promise<number> => Number((await query).n);

/** Endpoints, events and deliveries; every query is scoped by account. */
export function webhooksRepo(db: Executor) {
  const endpoints = (accountId: string) => db.selectFrom('webhook_endpoints').where('account_id', '=', accountId);
  const deliveries = (accountId: string, endpointId: string, status: DeliveryStatus | undefined) => {
    const query = db.selectFrom('webhook_deliveries').where('account_id', '=', accountId).where('endpoint_id', '=', endpointId);
    return status === undefined ? query : query.where('status', '=', status);
  };
  return {
    async insertEndpoint(row: Insertable<Database['webhook_endpoints']>): Promise<void> {
      await db.insertInto('webhook_endpoints').values(row).execute();
    },
    findEndpoint(accountId: string, id: string): Promise<EndpointRow | undefined> {
      return endpoints(accountId).selectAll().where('id', '=', id).executeTakeFirst();
    },
    listEndpoints(accountId: string, after: string | undefined, limit: number): Promise<EndpointRow[]> {
      const query = endpoints(accountId).selectAll();
      return (after === undefined ? query : query.where('id', '>', after)).orderBy('id').limit(limit).execute();
    },
    countEndpoints(accountId: string): Promise<number> {
      return count(endpoints(accountId).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow());
    },
    /** What publishing matches an event against. */
    enabledEndpoints(accountId: string): Promise<Pick<EndpointRow, 'id' | 'events'>[]> {
      return endpoints(accountId).select(['id', 'events']).where('enabled', '=', 1).execute();
    },
    async updateEndpoint(accountId: string, id: string, changes: Updateable<Database['webhook_endpoints']>): Promise<boolean> {
      const result = await db.updateTable('webhook_endpoints').set(changes).where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async deleteEndpoint(accountId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('webhook_endpoints').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async insertEvent(row: EventRow): Promise<void> {
      await db.insertInto('webhook_events').values(row).execute();
    },
    findEvent(accountId: string, id: string): Promise<EventRow | undefined> {
      return db.selectFrom('webhook_events').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    },

    async insertDeliveries(rows: DeliveryRow[]): Promise<void> {
      if (rows.length > 0) await db.insertInto('webhook_deliveries').values(rows).execute();
    },
    findDelivery(accountId: string, id: string): Promise<DeliveryRow | undefined> {
      return db.selectFrom('webhook_deliveries').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    },
    /** An endpoint's deliveries, newest first. */
    listDeliveries(accountId: string, endpointId: string, status: DeliveryStatus | undefined, before: string | undefined, limit: number): Promise<DeliveryRow[]> {
      const query = deliveries(accountId, endpointId, status).selectAll();
      return (before === undefined ? query : query.where('id', '<', before)).orderBy('id', 'desc').limit(limit).execute();
    },
    countDeliveries(accountId: string, endpointId: string, status: DeliveryStatus | undefined): Promise<number> {
      return count(deliveries(accountId, endpointId, status).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow());
    },
    async pendingDeliveryIds(accountId: string, endpointId: string): Promise<string[]> {
      return (await deliveries(accountId, endpointId, 'pending').select('id').execute()).map((row) => row.id);
    },
    /** Changes a delivery still pending; false when it is gone or already final. */
    async updatePendingDelivery(accountId: string, id: string, changes: Updateable<Database['webhook_deliveries']>): Promise<boolean> {
      const result = await db
        .updateTable('webhook_deliveries')
        .set(changes)
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async failPendingDeliveries(accountId: string, endpointId: string, reason: string, at: string): Promise<void> {
      await db
        .updateTable('webhook_deliveries')
        .set({ status: 'failed', next_attempt_at: null, failure_reason: reason, updated_at: at })
        .where('account_id', '=', accountId)
        .where('endpoint_id', '=', endpointId)
        .where('status', '=', 'pending')
        .execute();
    },
    async deleteDeliveries(accountId: string, endpointId: string): Promise<void> {
      await db.deleteFrom('webhook_deliveries').where('account_id', '=', accountId).where('endpoint_id', '=', endpointId).execute();
    },
  };
}
