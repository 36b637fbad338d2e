import { type Migration, sql } from 'kysely';
import type { AnyDb } from './common.js';

/** The states in which a callback holds its agent: reserved for it, ringing them, or talking. */
const HOLDING_AGENT_STATES = "state in ('reserved', 'dialing', 'connected')";

/**
 * The callbacks holding each agent, so dispatch can pass over an agent still on a callback even
 * when their status was set back to `available` by hand mid-call.
 */
export function callbackAgents(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createIndex('callbacks_holding_agent')
        .on('callbacks')
        .columns(['account_id', 'agent_id'])
        .where(sql.raw<boolean>(HOLDING_AGENT_STATES))
        .execute();
    },
  };
}
