import type { Clock } from '../../kernel/clock.js';
import { notFound } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { pageOf, type Page } from '../../kernel/page.js';
import { toAssignedE164 } from '../../kernel/phone.js';
import type { EventPublisher } from '../../ports/events.js';
import type { Job, JobQueue } from '../../ports/jobs.js';
import type { Executor, Storage, WithResult } from '../../ports/storage.js';
import type { AccountsService } from '../accounts/index.js';
import type { SkillsService } from '../directory/index.js';
import type { CallLog } from '../continuity/index.js';
import { LoggedCall } from '../continuity/index.js';
import { notCancellable, undialable, unknownSkill } from './callbacks.errors.js';
import type { Callback, CallbackFilters } from './callbacks.model.js';
import { callbacksRepo, toCallback, toCallbackEvent, type CallbackRow } from './callbacks.repo.js';

/** Rounds of insert-or-count-repeat before giving up: each lost round means another request changed the row meanwhile. */
const DEDUPE_ROUNDS = 5;

/** Callback requests: intake (with dedupe), reading and cancelling. Dispatch is `CallbackDispatcher`. */
export class CallbacksService {
  /** An account's default country never changes once created, so it is read once per account. */
  private readonly countries = new Map<string, string>();

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly accounts: AccountsService,
    private readonly skills: SkillsService,
    private readonly calls: CallLog,
    private readonly jobs: JobQueue<Job>,
    /** Where callback.queued goes, inside the transaction that queues the callback. */
    private readonly events: EventPublisher,
  ) {}

  /**
   * Queues a callback, or counts the request on the one already waiting for this number and
   * skill. Resolves once the request is committed and logged as a zero-second inbound call.
   */
  async request(accountId: string, skillName: string, callbackNumber: string, withResult?: WithResult<void>): Promise<void> {
    const skill = await this.skills.findByExactName(accountId, skillName);
    if (!skill) throw unknownSkill(skillName);
    const number = toAssignedE164(callbackNumber, await this.countryOf(accountId));
    if (number === null) throw undialable();

    for (let round = 0; round < DEDUPE_ROUNDS; round += 1) {
      const now = this.clock.now();
      const at = now.toISOString();
      const row: CallbackRow = {
        account_id: accountId, id: newId(now.getTime()), skill_id: skill.id, skill: skill.name, number, state: 'queued', agent_id: null,
        attempts: '[]', requests: 1, last_requested_at: at, queued_at: at, next_attempt_at: at, dialing_since: null, accepted_at: null,
        customer_call_id: null, created_at: at, updated_at: at,
      };
      // The queue is woken on this node as soon as the request commits (`here`).
      const stored = await this.jobs.transaction(async (trx) => {
        const repo = callbacksRepo(trx, this.storage.dialect);
        const queued = await repo.insertWaiting(row);
        if (queued) {
          await this.jobs.enqueue(trx, { type: 'callback.dispatch', payload: { skill_id: skill.id }, accountId, here: true });
          // A repeat request joins the waiting callback: only a new one is queued.
          await this.events.publish(trx, accountId, 'callback.queued', toCallbackEvent(row));
        }
        const recorded = queued || (await repo.recordRepeat(accountId, skill.id, number, at));
        if (recorded) await withResult?.(trx, undefined);
        return recorded;
      });
      if (stored) {
        await this.logRequest(accountId, number, skill.name);
        return;
      }
    }
    throw new Error('callback request kept racing with changes to the waiting callback');
  }

  async get(accountId: string, id: string): Promise<Callback> {
    const row = await callbacksRepo(this.storage.db, this.storage.dialect).find(accountId, id);
    if (!row) throw notFound('callback');
    return toCallback(row);
  }

  /**
   * `filters.skill` is a skill's current exact name, whose callbacks are found by id (a renamed
   * skill keeps them, and its old name finds none); a name no skill has now finds the callbacks of
   * a deleted skill that had it last.
   */
  async list(accountId: string, filters: CallbackFilters, after: [string, string] | undefined, perPage: number): Promise<Page<Callback>> {
    const repo = callbacksRepo(this.storage.db, this.storage.dialect);
    const { skill: skillName, ...rest } = filters;
    const skill = skillName === undefined ? undefined : await this.skills.findByExactName(accountId, skillName);
    const scoped = skill ? { ...rest, skillId: skill.id } : { ...rest, deletedSkill: skillName };
    const [rows, total] = await Promise.all([repo.list(accountId, scoped, after, perPage + 1), repo.count(accountId, scoped)]);
    const page = pageOf(rows, perPage, total, (row) => [row.created_at, row.id]);
    return { ...page, items: page.items.map(toCallback) };
  }

  /** Only a queued callback (waiting, or waiting to retry) can be cancelled; once an agent is held or the customer dialled it is too late. */
  async cancel(accountId: string, id: string): Promise<void> {
    const repo = callbacksRepo(this.storage.db, this.storage.dialect);
    const row = await repo.find(accountId, id);
    if (!row) throw notFound('callback');
    if (!(await repo.transition(accountId, id, 'queued', 'cancelled', {}, this.clock.now().toISOString()))) {
      throw notCancellable((await repo.find(accountId, id))?.state ?? row.state);
    }
  }

  /** Run inside the transaction that renames a skill: its callbacks show, and are found by, the new name. */
  skillRenamed(executor: Executor, accountId: string, skillId: string, name: string): Promise<void> {
    return callbacksRepo(executor, this.storage.dialect).renameSkill(accountId, skillId, name);
  }

  /** The state of the callback the agent is held for or on, if any: such an agent is not deleted from under the customer. */
  agentOnCallback(accountId: string, agentId: string): Promise<string | undefined> {
    return callbacksRepo(this.storage.db, this.storage.dialect).agentOnCallback(accountId, agentId);
  }

  private async countryOf(accountId: string): Promise<string> {
    let country = this.countries.get(accountId);
    if (country === undefined) {
      country = (await this.accounts.getAccount(accountId)).default_country;
      this.countries.set(accountId, country);
    }
    return country;
  }

  private logRequest(accountId: string, number: string, skill: string): Promise<void> {
    const call = new LoggedCall(this.calls, this.clock, accountId, { kind: 'callback_request', direction: 'inbound', from: number, to: skill, skill });
    return call.add({ type: 'queued', queue: skill }).end('completed').save();
  }
}
