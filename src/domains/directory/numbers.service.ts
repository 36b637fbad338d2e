import type { Executor, Storage } from '../../ports/storage.js';
import { CHANNELS } from '../../ports/channels.js';
import type { Clock } from '../../kernel/clock.js';
import { DomainError, invalid, notFound } from '../../kernel/errors.js';
import type { Page } from '../../kernel/page.js';
import { pageOf } from '../../kernel/page.js';
import type { PhoneNumber } from './numbers.model.js';
import { numbersRepo } from './numbers.repo.js';

export interface NumbersOptions {
  /** Called inside the transaction that adds a number; throws to refuse it. */
  onAdding?: (executor: Executor, accountId: string, number: string) => Promise<void>;
  /** Called inside the transaction that deletes a number, with who deleted it. */
  onDeleted?: (executor: Executor, deletion: { accountId: string; number: string; actor: string }) => Promise<void>;
  /** Whether the account has a flow of this id, and whether it was ever published: a number's inbound flow must be a published one. */
  flowState?: (accountId: string, flowId: string) => Promise<'published' | 'unpublished' | 'missing'>;
}

/**
 * The account's own numbers. Every change is announced on the routing channel because the
 * inbound-call decision (continuity snapshot) reads numbers and their inbound flows.
 */
export class NumbersService {
  constructor(private readonly storage: Storage, private readonly clock: Clock, private readonly options: NumbersOptions = {}) {}

  /** A number without a name is named by itself. */
  async create(accountId: string, input: { number: string; name?: string | undefined; inbound_flow_id: string | null }): Promise<PhoneNumber> {
    await this.checkInboundFlow(accountId, input.inbound_flow_id);
    const at = this.clock.now().toISOString();
    const number: PhoneNumber = { ...input, name: input.name ?? input.number, created_at: at, updated_at: at };
    await this.storage.db.transaction().execute(async (trx) => {
      await this.options.onAdding?.(trx, accountId, input.number);
      if (!(await numbersRepo(trx).insert(accountId, number))) {
        throw new DomainError('already_exists', `${input.number} is already one of this account's numbers`, [
          { name: 'number', description: 'already exists' },
        ]);
      }
      await this.storage.notify(trx, CHANNELS.routing, accountId);
    });
    return number;
  }

  async get(accountId: string, number: string): Promise<PhoneNumber> {
    const found = await numbersRepo(this.storage.db).find(accountId, number);
    if (!found) throw notFound('number');
    return found;
  }

  async list(accountId: string, after: string | undefined, perPage: number): Promise<Page<PhoneNumber>> {
    const repo = numbersRepo(this.storage.db);
    const [rows, total] = await Promise.all([repo.list(accountId, after, perPage + 1), repo.count(accountId)]);
    return pageOf(rows, perPage, total, (row) => row.number);
  }

  async update(accountId: string, number: string, patch: Partial<Pick<PhoneNumber, 'name' | 'inbound_flow_id'>>): Promise<PhoneNumber> {
    await this.checkInboundFlow(accountId, patch.inbound_flow_id);
    await this.storage.db.transaction().execute(async (trx) => {
      if (!(await numbersRepo(trx).update(accountId, number, patch, this.clock.now().toISOString()))) throw notFound('number');
      await this.storage.notify(trx, CHANNELS.routing, accountId);
    });
    return this.get(accountId, number);
  }

  async delete(principal: { accountId: string; actor: string }, number: string): Promise<void> {
    const { accountId } = principal;
    await this.storage.db.transaction().execute(async (trx) => {
      if (!(await numbersRepo(trx).delete(accountId, number))) throw notFound('number');
      await this.options.onDeleted?.(trx, { accountId, number, actor: principal.actor });
      await this.storage.notify(trx, CHANNELS.routing, accountId);
    });
  }

  /** A call is routed to the inbound flow: it must be one of this account's flows, published (400, like any reference). */
  private async checkInboundFlow(accountId: string, flowId: string | null | undefined): Promise<void> {
    if (flowId === null || flowId === undefined || !this.options.flowState) return;
    const state = await this.options.flowState(accountId, flowId);
    if (state === 'missing') throw invalid([{ name: 'inbound_flow_id', description: 'is not a flow of this account' }]);
    if (state === 'unpublished') throw invalid([{ name: 'inbound_flow_id', description: 'has no published version: publish the flow first, or calls would be routed to a flow that cannot run' }]);
  }

  /** Every number with its inbound flow: what the routing snapshot holds. */
  routingEntries(accountId: string) {
    return numbersRepo(this.storage.db).routingEntries(accountId);
  }
}
