import type { Database, Executor } from '../../ports/storage.js';
import { parseJson } from '../../kernel/json.js';
import type { FlowDefinition } from './definition/index.js';
import type { DraftDefinition, Flow, FlowVersion } from './flows.model.js';
import { reusable } from '../../ports/reusable-statement.js';

const FLOW_COLUMNS = [
  'id', 'name', 'description', 'draft', 'draft_updated_at', 'versions', 'published_version_id', 'published_at', 'created_at', 'updated_at',
] as const;
const VERSION_COLUMNS = ['id', 'flow_id', 'version', 'definition', 'published_at'] as const;

type FlowRow = Pick<Database['flows'], (typeof FLOW_COLUMNS)[number]>;
type VersionRow = Pick<Database['flow_versions'], (typeof VERSION_COLUMNS)[number]>;

/** The flow as stored: its draft still as text, so publishing can tell whether the draft changed since it was read. */
export interface StoredFlow {
  flow: Flow;
  draftText: string;
}

function toFlow(row: FlowRow): Flow {
  const published =
    row.published_version_id === null || row.published_at === null
      ? null
      : { flow_version_id: row.published_version_id, version: Number(row.versions), published_at: row.published_at };
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    draft: { definition: parseJson<DraftDefinition>(row.draft), updated_at: row.draft_updated_at },
    published_version: published,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const toVersion = (row: VersionRow): FlowVersion => ({
  flow_version_id: row.id,
  flow_id: row.flow_id,
  version: Number(row.version),
  published_at: row.published_at,
  definition: parseJson<FlowDefinition>(row.definition),
});

export interface NewVersion {
  id: string;
  definition: FlowDefinition;
  publishedAt: string;
}

/** Read at every start (ports/reusable-statement.ts). */
const findFlow = reusable((db, key: { accountId: string; id: string }) =>
  db.selectFrom('flows').select(FLOW_COLUMNS).where('account_id', '=', key.accountId).where('id', '=', key.id),
);

export function flowsRepo(db: Executor) {
  return {
    async insert(accountId: string, flow: Flow): Promise<void> {
      await db
        .insertInto('flows')
        .values({
          account_id: accountId,
          id: flow.id,
          name: flow.name,
          description: flow.description,
          draft: JSON.stringify(flow.draft.definition),
          draft_updated_at: flow.draft.updated_at,
          versions: 0,
          published_version_id: null,
          published_at: null,
          created_at: flow.created_at,
          updated_at: flow.updated_at,
        })
        .execute();
    },
    async find(accountId: string, id: string): Promise<StoredFlow | undefined> {
      const [row] = (await findFlow(db, { accountId, id })).rows;
      return row && { flow: toFlow(row), draftText: row.draft };
    },
    /** Flows in id order (time-ordered ids: creation order to the millisecond), after the cursor's id. */
    async list(accountId: string, after: string | undefined, limit: number): Promise<Flow[]> {
      let query = db.selectFrom('flows').select(FLOW_COLUMNS).where('account_id', '=', accountId);
      if (after !== undefined) query = query.where('id', '>', after);
      const rows = await query.orderBy('id').limit(limit).execute();
      return rows.map(toFlow);
    },
    async count(accountId: string): Promise<number> {
      const row = await db.selectFrom('flows').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async replaceDraft(accountId: string, id: string, definition: DraftDefinition, at: string): Promise<boolean> {
      const result = await db
        .updateTable('flows')
        .set({ draft: JSON.stringify(definition), draft_updated_at: at, updated_at: at })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    /**
     * Takes the next version number and makes `version` the flow's published one, provided the
     * draft is still exactly `draftText` (the text that was validated). Concurrent publishes are
     * serialised by the row update, so each gets its own number. Undefined when the draft changed
     * or the flow is gone.
     */
    async claimNextVersion(accountId: string, id: string, draftText: string, version: NewVersion): Promise<number | undefined> {
      const row = await db
        .updateTable('flows')
        .set((eb) => ({
          versions: eb('versions', '+', 1),
          published_version_id: version.id,
          published_at: version.publishedAt,
          updated_at: version.publishedAt,
        }))
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .where('draft', '=', draftText)
        .returning('versions')
        .executeTakeFirst();
      return row && Number(row.versions);
    },
    async insertVersion(accountId: string, flowId: string, number: number, version: NewVersion): Promise<void> {
      await db
        .insertInto('flow_versions')
        .values({
          account_id: accountId,
          id: version.id,
          flow_id: flowId,
          version: number,
          definition: JSON.stringify(version.definition),
          published_at: version.publishedAt,
        })
        .execute();
    },
    /** A flow's versions, newest first, below the cursor's version number. */
    async listVersions(accountId: string, flowId: string, below: number | undefined, limit: number): Promise<FlowVersion[]> {
      let query = db.selectFrom('flow_versions').select(VERSION_COLUMNS).where('account_id', '=', accountId).where('flow_id', '=', flowId);
      if (below !== undefined) query = query.where('version', '<', below);
      const rows = await query.orderBy('version', 'desc').limit(limit).execute();
      return rows.map(toVersion);
    },
    async countVersions(accountId: string, flowId: string): Promise<number> {
      const row = await db
        .selectFrom('flow_versions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .where('flow_id', '=', flowId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async findVersionNumber(accountId: string, flowId: string, version: number): Promise<FlowVersion | undefined> {
      const row = await db
        .selectFrom('flow_versions')
        .select(VERSION_COLUMNS)
        .where('account_id', '=', accountId)
        .where('flow_id', '=', flowId)
        .where('version', '=', version)
        .executeTakeFirst();
      return row && toVersion(row);
    },
    async findVersion(accountId: string, versionId: string): Promise<FlowVersion | undefined> {
      const row = await db.selectFrom('flow_versions').select(VERSION_COLUMNS).where('account_id', '=', accountId).where('id', '=', versionId).executeTakeFirst();
      return row && toVersion(row);
    },
  };
}
