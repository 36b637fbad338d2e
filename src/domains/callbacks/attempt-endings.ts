import type { Clock } from '../../kernel/clock.js';
import { parseJson } from '../../kernel/json.js';
import type { EventPublisher } from '../../ports/events.js';
import type { Job, JobQueue } from '../../ports/jobs.js';
import type { Executor, Storage } from '../../ports/storage.js';
import { SKILL_DEFAULTS, type AgentsService, type SkillsService } from '../directory/index.js';
import type { Attempt, AttemptOutcome } from './callbacks.model.js';
import { callbacksRepo, toCallbackEvent, type CallbackChange, type CallbackRow } from './callbacks.repo.js';

/**
 * Snoozes (the customer pressed 2: call me later) that do not count towards the skill's
 * max_attempts; past these, each counts like an unanswered attempt, so no callback is rescheduled
 * without end.
 */
const FREE_SNOOZES = 3;

/** Attempts that count towards max_attempts: all but the first FREE_SNOOZES snoozes. */
function countedAttempts(attempts: readonly Attempt[]): number {
  const snoozes = attempts.filter((attempt) => attempt.outcome === 'snoozed').length;
  return attempts.length - Math.min(snoozes, FREE_SNOOZES);
}

export interface EndingDependencies {
  storage: Storage;
  clock: Clock;
  skills: SkillsService;
  agents: AgentsService;
  jobs: JobQueue<Job>;
  /** Where callback.connected and callback.failed go, inside the transaction of the change. */
  events: EventPublisher;
}

export interface SettleOptions {
  /** What the agent held by the callback becomes: `away` when they did not answer their phone. */
  agentStatus?: 'available' | 'away';
  /** Back in the queue: not dialled again before this many seconds. */
  retryAfterS?: number;
  /** Back in the queue at the back, as if requested now (the customer snoozed). */
  toBack?: boolean;
}

/**
 * How a callback attempt ends: each way records the attempt, frees the agent it held and wakes
 * the skill's queue in the transaction that moves the callback on.
 */
export class AttemptEndings {
  constructor(private readonly deps: EndingDependencies) {}

  /** Records the attempt and retries after the skill's delay, or fails the callback when attempts are used up or the number is invalid. */
  async unsuccessful(row: CallbackRow, outcome: AttemptOutcome, callId: string | null, options: Omit<SettleOptions, 'retryAfterS'> = {}): Promise<void> {
    const skill = await this.deps.skills.find(row.account_id, row.skill_id);
    const maxAttempts = skill?.max_attempts ?? SKILL_DEFAULTS.max_attempts;
    const attempts = [...parseJson<Attempt[]>(row.attempts), { at: '', outcome, agent_id: null, call_id: null }];
    if (outcome === 'invalid_number' || countedAttempts(attempts) >= maxAttempts) return this.settle(row, 'failed', outcome, callId, options);
    // A callback whose skill was deleted meanwhile has no queue to go back to.
    if (!skill) return this.settle(row, 'cancelled', outcome, callId, options);
    await this.settle(row, 'queued', outcome, callId, { ...options, retryAfterS: skill.retry_delay_s });
  }

  /** The call the callback connected has ended. */
  finished(row: CallbackRow, callId: string | null): Promise<void> {
    return this.settle({ ...row, state: 'connected' }, 'completed', 'answered', callId);
  }

  /** The customer cancelled, or the skill went away while they held. */
  cancelled(row: CallbackRow, callId: string | null): Promise<void> {
    return this.settle(row, 'cancelled', 'cancelled', callId);
  }

  /** Leaves the current state with the attempt recorded, frees the agent and wakes the skill's queue, in one transaction. */
  private async settle(row: CallbackRow, to: 'queued' | 'completed' | 'failed' | 'cancelled', outcome: AttemptOutcome, callId: string | null, options: SettleOptions = {}): Promise<void> {
    const { storage, jobs, agents } = this.deps;
    const { agentStatus = 'available', retryAfterS = 0, toBack = false } = options;
    // The attempt, the retry time and the new place in the queue all count from one instant.
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const retryAt = new Date(now.getTime() + retryAfterS * 1000);
    const attempts = [...parseJson<Attempt[]>(row.attempts), { at, outcome, agent_id: row.agent_id, call_id: callId }];
    // A callback that ends unserved holds no agent (its attempts still say who took each); a completed one keeps the agent who served it.
    const change: CallbackChange = to === 'queued'
      ? { agent_id: null, dialing_since: null, accepted_at: null, customer_call_id: null, next_attempt_at: retryAt.toISOString(), ...(toBack ? { queued_at: at } : {}) }
      : to === 'completed' ? {} : { agent_id: null };
    const from = row.state === 'connected' ? 'connected' : 'dialing';
    await jobs.transaction(async (trx) => {
      if (!(await callbacksRepo(trx, storage.dialect).transition(row.account_id, row.id, from, to, { ...change, attempts: JSON.stringify(attempts) }, at))) return;
      if (row.agent_id !== null) await agents.leaveBusy(trx, row.account_id, row.agent_id, agentStatus);
      await this.wake(trx, row);
      if (to === 'queued') await jobs.enqueue(trx, { type: 'callback.dispatch', payload: { skill_id: row.skill_id }, accountId: row.account_id, runAt: retryAt });
      // Cancelled (by the customer, or with a deleted skill) is not failed: API.md keeps the two states apart.
      if (to === 'failed') await this.publish(trx, row, 'callback.failed');
    });
  }

  /** Publishes the callback as `GET /callbacks/{id}` now shows it, inside the transaction that changed it. */
  async publish(trx: Executor, row: CallbackRow, type: 'callback.connected' | 'callback.failed'): Promise<void> {
    const current = await callbacksRepo(trx, this.deps.storage.dialect).find(row.account_id, row.id);
    if (current) await this.deps.events.publish(trx, row.account_id, type, toCallbackEvent(current));
  }

  /** Runs the skill's dispatch once `trx` commits. */
  wake(trx: Executor, row: CallbackRow): Promise<string | null> {
    return this.deps.jobs.enqueue(trx, { type: 'callback.dispatch', payload: { skill_id: row.skill_id }, accountId: row.account_id });
  }
}
