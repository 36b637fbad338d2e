import type { Database, DialectName, Executor } from '../../ports/storage.js';
import { parseJson } from '../../kernel/json.js';
import type { Activation, AuditEntry, DowntimeMessage, FallbackSettings } from './continuity.model.js';

export interface ContinuityRow {
  settings: FallbackSettings;
  activation: Activation;
}

const EMPTY: ContinuityRow = {
  settings: { forward: {}, message: null, updated_at: null },
  activation: { enabled: false, changed_at: null, changed_by: null },
};

const ACTIVATION_COLUMNS = ['enabled', 'changed_at', 'changed_by'] as const;
/** The settings columns of a row the switch creates before any settings were saved. */
const NO_SETTINGS = { forward: '{}', message: null, settings_updated_at: null };

const toActivation = (row: Pick<Database['continuity'], (typeof ACTIVATION_COLUMNS)[number]>): Activation => ({
  enabled: row.enabled === 1, changed_at: row.changed_at, changed_by: row.changed_by,
});

export function continuityRepo(db: Executor) {
  return {
    async load(accountId: string): Promise<ContinuityRow> {
      const row = await db.selectFrom('continuity').selectAll().where('account_id', '=', accountId).executeTakeFirst();
      if (!row) return EMPTY;
      return {
        settings: {
          forward: parseJson<Record<string, string>>(row.forward),
          message: row.message === null ? null : parseJson<DowntimeMessage>(row.message),
          updated_at: row.settings_updated_at,
        },
        activation: toActivation(row),
      };
    },
    /** Only the activation row, without the (possibly large) forward map. */
    async loadActivation(accountId: string): Promise<Activation> {
      const row = await db.selectFrom('continuity').select(ACTIVATION_COLUMNS).where('account_id', '=', accountId).executeTakeFirst();
      return row ? toActivation(row) : EMPTY.activation;
    },
    /**
     * The activation, its row created when missing and locked until the transaction ends
     * (PostgreSQL; SQLite transactions are serial already): of two concurrent switches to the
     * same position, at most one finds the switch in the other.
     */
    async lockActivation(accountId: string, dialect: DialectName): Promise<Activation> {
      await db
        .insertInto('continuity')
        .values({ account_id: accountId, ...NO_SETTINGS, enabled: 0, changed_at: null, changed_by: null })
        .onConflict((oc) => oc.column('account_id').doNothing())
        .execute();
      const query = db.selectFrom('continuity').select(ACTIVATION_COLUMNS).where('account_id', '=', accountId);
      return toActivation(await (dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirstOrThrow());
    },
    async saveSettings(accountId: string, settings: FallbackSettings): Promise<void> {
      const values = {
        forward: JSON.stringify(settings.forward),
        message: settings.message ? JSON.stringify(settings.message) : null,
        settings_updated_at: settings.updated_at,
      };
      await db
        .insertInto('continuity')
        .values({ account_id: accountId, ...values, enabled: 0, changed_at: null, changed_by: null })
        .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
        .execute();
    },
    async saveActivation(accountId: string, activation: Activation): Promise<void> {
      const values = { enabled: activation.enabled ? 1 : 0, changed_at: activation.changed_at, changed_by: activation.changed_by };
      await db
        .insertInto('continuity')
        .values({ account_id: accountId, ...NO_SETTINGS, ...values })
        .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
        .execute();
    },
    async insertAudit(accountId: string, entry: AuditEntry): Promise<void> {
      await db.insertInto('continuity_audit').values({ account_id: accountId, ...entry, detail: JSON.stringify(entry.detail) }).execute();
    },
    async listAudit(accountId: string, before: string | undefined, limit: number): Promise<AuditEntry[]> {
      let query = db.selectFrom('continuity_audit').selectAll().where('account_id', '=', accountId);
      if (before !== undefined) query = query.where('id', '<', before);
      const rows = await query.orderBy('id', 'desc').limit(limit).execute();
      return rows.map((row) => ({
        id: row.id,
        change: row.change as AuditEntry['change'],
        actor: row.actor,
        detail: parseJson<Record<string, unknown>>(row.detail),
        created_at: row.created_at,
      }));
    },
    async countAudit(accountId: string): Promise<number> {
      const row = await db
        .selectFrom('continuity_audit')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
