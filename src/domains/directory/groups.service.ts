import type { Executor, Storage } from '../../ports/storage.js';
import type { Clock } from '../../kernel/clock.js';
import { invalid, notFound, type FieldProblem } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import type { Page } from '../../kernel/page.js';
import { pageOf } from '../../kernel/page.js';
import { agentsRepo } from './agents.repo.js';
import type { Group, GroupInput, GroupPatch } from './groups.model.js';
import { groupsRepo, type GroupRow } from './groups.repo.js';
import type { OpenCasesOf } from './agents.service.js';
import { holdsCases } from './directory.errors.js';

/**
 * The distinct member ids, failing with one field per id that is not an agent of the account
 * (`agent_ids.N`, N its index in the request); another account's agent is as unknown as none.
 */
async function checkMembers(db: Executor, accountId: string, agentIds: readonly string[]): Promise<string[]> {
  const unique = [...new Set(agentIds)];
  const existing = await agentsRepo(db).existingIds(accountId, unique);
  const unknown: FieldProblem[] = agentIds.flatMap((id, index) =>
    existing.has(id) ? [] : [{ name: `agent_ids.${index}`, description: `${JSON.stringify(id)} is not an agent of this account` }],
  );
  if (unknown.length > 0) throw invalid(unknown);
  return unique;
}

/** Groups of agents. */
export class GroupsService {
  constructor(private readonly storage: Storage, private readonly clock: Clock, private readonly openCasesOf?: OpenCasesOf) {}

  async create(accountId: string, input: GroupInput): Promise<Group> {
    const now = this.clock.now();
    const at = now.toISOString();
    const group: GroupRow = { id: newId(now.getTime()), name: input.name, created_at: at, updated_at: at };
    await this.storage.db.transaction().execute(async (trx) => {
      const members = await checkMembers(trx, accountId, input.agent_ids ?? []);
      const repo = groupsRepo(trx);
      await repo.insert(accountId, group);
      await repo.setMembers(accountId, group.id, members);
    });
    return this.get(accountId, group.id);
  }

  async get(accountId: string, id: string): Promise<Group> {
    const repo = groupsRepo(this.storage.db);
    const row = await repo.find(accountId, id);
    if (!row) throw notFound('group');
    const members = await repo.members(accountId, [id]);
    return { ...row, agent_ids: members.get(id) ?? [] };
  }

  async list(accountId: string, after: string | undefined, perPage: number): Promise<Page<Group>> {
    const repo = groupsRepo(this.storage.db);
    const [rows, total] = await Promise.all([repo.list(accountId, after, perPage + 1), repo.count(accountId)]);
    const page = pageOf(rows, perPage, total, (row) => row.id);
    const members = await repo.members(accountId, page.items.map((row) => row.id));
    return { ...page, items: page.items.map((row) => ({ ...row, agent_ids: members.get(row.id) ?? [] })) };
  }

  async update(accountId: string, id: string, patch: GroupPatch): Promise<Group> {
    const { agent_ids, ...fields } = patch;
    await this.storage.db.transaction().execute(async (trx) => {
      const repo = groupsRepo(trx);
      if (!(await repo.update(accountId, id, fields, this.clock.now().toISOString()))) throw notFound('group');
      if (agent_ids !== undefined) await repo.setMembers(accountId, id, await checkMembers(trx, accountId, agent_ids));
    });
    return this.get(accountId, id);
  }

  /** Not while it holds cases not yet closed. */
  async delete(accountId: string, id: string): Promise<void> {
    const held = (await this.openCasesOf?.(accountId, { groupId: id })) ?? 0;
    if (held > 0) throw holdsCases('group', held);
    if (!(await groupsRepo(this.storage.db).delete(accountId, id))) throw notFound('group');
  }
}
