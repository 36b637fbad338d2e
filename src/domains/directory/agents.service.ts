import type { Transaction } from 'kysely';
import type { Database, Executor, Storage } from '../../ports/storage.js';
import type { Clock } from '../../kernel/clock.js';
import { invalid, notFound, type FieldProblem } from '../../kernel/errors.js';
import { holdsCases, onCallback } from './directory.errors.js';
import { newId } from '../../kernel/ids.js';
import type { Page } from '../../kernel/page.js';
import { pageOf } from '../../kernel/page.js';
import type { Agent, AgentFilters, AgentInput, AgentPatch, AgentStatus } from './agents.model.js';
import { agentsRepo, type AgentRow } from './agents.repo.js';
import { skillsRepo } from './skills.repo.js';

/**
 * Skill names to ids, failing with one field per unknown name (`skills.N`, N its index in the
 * request). A name listed twice counts once.
 */
async function resolveSkills(db: Executor, accountId: string, names: readonly string[]): Promise<string[]> {
  const unique = [...new Set(names)];
  const ids = await skillsRepo(db).idsByName(accountId, unique);
  const unknown: FieldProblem[] = names.flatMap((name, index) =>
    ids.has(name) ? [] : [{ name: `skills.${index}`, description: `${JSON.stringify(name)} is not a skill of this account` }],
  );
  if (unknown.length > 0) throw invalid(unknown);
  return unique.flatMap((name) => ids.get(name) ?? []);
}

/**
 * Called inside the transaction that leaves an agent `available` (created so, set so, released
 * from a callback, or changed in any way while available), with the agent's skill ids: whatever waits
 * for an agent enqueues its work there, so it exists exactly when the change commits.
 */
export type AgentAvailableHook = (executor: Executor, accountId: string, agentId: string, skillIds: string[]) => Promise<void>;

/**
 * How many cases not yet closed (and not in the trash) an agent or a group holds: one that holds
 * any cannot be deleted, or those cases would point at nobody.
 */
export type OpenCasesOf = (accountId: string, holder: { assigneeId: string } | { groupId: string }) => Promise<number>;

/** What an agent may hold that must not be left pointing at nobody. */
export interface AgentHoldings {
  openCases: (accountId: string, agentId: string) => Promise<number>;
  /** The state of a callback the agent is held for or on, if any. */
  callbackInProgress: (accountId: string, agentId: string) => Promise<string | undefined>;
}

/** Opens the transactions agent changes are written in; the hook's work may start the moment one commits. */
export type AgentTransactions = <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;

/** Agents, their skills (by name) and their availability. */
export class AgentsService {
  private readonly transaction: AgentTransactions;

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly onAvailable?: AgentAvailableHook,
    transaction?: AgentTransactions,
    private readonly holdings?: AgentHoldings,
  ) {
    this.transaction = transaction ?? ((work) => storage.db.transaction().execute(work));
  }

  async create(accountId: string, input: AgentInput): Promise<Agent> {
    const now = this.clock.now();
    const at = now.toISOString();
    const agent: AgentRow = {
      id: newId(now.getTime()),
      name: input.name,
      email: input.email ?? null,
      status: input.status ?? 'offline',
      phone: input.phone ?? null,
      status_changed_at: at,
      created_at: at,
      updated_at: at,
    };
    await this.transaction(async (trx) => {
      const skillIds = await resolveSkills(trx, accountId, input.skills ?? []);
      const repo = agentsRepo(trx);
      await repo.insert(accountId, agent);
      await repo.setSkills(accountId, agent.id, skillIds);
      if (agent.status === 'available') await this.onAvailable?.(trx, accountId, agent.id, skillIds);
    });
    return this.get(accountId, agent.id);
  }

  async get(accountId: string, id: string): Promise<Agent> {
    const repo = agentsRepo(this.storage.db);
    const row = await repo.find(accountId, id);
    if (!row) throw notFound('agent');
    const skills = await repo.skillNames(accountId, [id]);
    return { ...row, skills: skills.get(id) ?? [] };
  }

  async list(accountId: string, filters: AgentFilters, after: string | undefined, perPage: number): Promise<Page<Agent>> {
    const repo = agentsRepo(this.storage.db);
    const [rows, total] = await Promise.all([repo.list(accountId, filters, after, perPage + 1), repo.count(accountId, filters)]);
    const page = pageOf(rows, perPage, total, (row) => row.id);
    const skills = await repo.skillNames(accountId, page.items.map((row) => row.id));
    return { ...page, items: page.items.map((row) => ({ ...row, skills: skills.get(row.id) ?? [] })) };
  }

  async update(accountId: string, id: string, patch: AgentPatch): Promise<Agent> {
    const { skills, ...fields } = patch;
    await this.transaction(async (trx) => {
      const repo = agentsRepo(trx);
      if (!(await repo.update(accountId, id, fields, this.clock.now().toISOString()))) throw notFound('agent');
      if (skills !== undefined) await repo.setSkills(accountId, id, await resolveSkills(trx, accountId, skills));
      // Any change to an available agent may make them reachable for more work (status, skills, a phone).
      if ((await repo.find(accountId, id))?.status === 'available') await this.onAvailable?.(trx, accountId, id, await repo.skillIds(accountId, id));
    });
    return this.get(accountId, id);
  }

  /**
   * A busy agent's call ended: `available` again (or `away` when they did not answer their phone),
   * unless their status was changed meanwhile. Either way an agent who ends up available (also one
   * set so by hand mid-call) is announced. Runs inside the caller's transaction.
   */
  async leaveBusy(executor: Executor, accountId: string, id: string, status: 'available' | 'away'): Promise<void> {
    const repo = agentsRepo(executor);
    await repo.leaveBusy(accountId, id, status, this.clock.now().toISOString());
    if ((await repo.find(accountId, id))?.status === 'available') await this.onAvailable?.(executor, accountId, id, await repo.skillIds(accountId, id));
  }

  /** status_changed_at moves only when the status differs from the current one. */
  setStatus(accountId: string, id: string, status: AgentStatus): Promise<Agent> {
    return this.update(accountId, id, { status });
  }

  /** Its skills and group memberships go with it (foreign keys cascade); not while it is assigned open cases or on a callback. */
  async delete(accountId: string, id: string): Promise<void> {
    const held = (await this.holdings?.openCases(accountId, id)) ?? 0;
    if (held > 0) throw holdsCases('agent', held);
    const callback = await this.holdings?.callbackInProgress(accountId, id);
    if (callback !== undefined) throw onCallback(callback);
    if (!(await agentsRepo(this.storage.db).delete(accountId, id))) throw notFound('agent');
  }
}
