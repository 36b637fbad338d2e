import type { Migration } from 'kysely';
import type { AnyDb } from './common.js';

/**
 * The address each send went to on its channel, so a receipt that names no message but a person
 * and a time (Messenger's watermarks: everything sent to this person until then was delivered or
 * read) finds the sends it covers. Sends recorded before this have none and are not found so.
 */
export function deliveryAddresses(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable('message_deliveries').addColumn('address', 'text').execute();
      await db.schema.createIndex('message_deliveries_by_address').on('message_deliveries').columns(['channel', 'address', 'created_at']).execute();
    },
  };
}
