import { notFound } from '../../../kernel/errors.js';
import { pageOf, type Page } from '../../../kernel/page.js';
import type { Storage, WithResult } from '../../../ports/storage.js';
import { flowsRepo } from '../flows.repo.js';
import type { FlowEngine } from './engine.js';
import type { ExecutionFilters, Interaction, StartedInteraction } from './interaction.model.js';
import { interactionsRepo, toInteraction } from './interactions.repo.js';

/** Admits one start request of the account or throws the 429 (rate_limited, Retry-After). */
export type StartAdmission = (accountId: string) => Promise<void>;

/** Starting flows over the API, and what became of each run. */
export class InteractionsService {
  constructor(
    private readonly storage: Storage,
    private readonly engine: FlowEngine,
    private readonly admit: StartAdmission,
  ) {}

  async start(accountId: string, flowId: string, args: Record<string, unknown>, withResult?: WithResult<StartedInteraction>): Promise<StartedInteraction> {
    await this.admit(accountId);
    return this.engine.start(accountId, flowId, args, withResult);
  }

  async get(accountId: string, id: string): Promise<Interaction> {
    const repo = interactionsRepo(this.storage.db);
    const row = await repo.find(accountId, id);
    if (!row) throw notFound('interaction');
    return toInteraction(row, (await repo.steps(accountId, [id])).get(id) ?? []);
  }

  /** The execution report: the flow's interactions, newest first, each with its steps. */
  async executions(accountId: string, flowId: string, filters: ExecutionFilters, after: [string, string] | undefined, perPage: number): Promise<Page<Interaction>> {
    if (!(await flowsRepo(this.storage.db).find(accountId, flowId))) throw notFound('flow');
    const repo = interactionsRepo(this.storage.db);
    const [rows, total] = await Promise.all([repo.list(accountId, flowId, filters, after, perPage + 1), repo.count(accountId, flowId, filters)]);
    const page = pageOf(rows, perPage, total, (row) => [row.created_at, row.id]);
    const steps = await repo.steps(accountId, page.items.map((row) => row.id));
    return { ...page, items: page.items.map((row) => toInteraction(row, steps.get(row.id) ?? [])) };
  }
}
