import type { Announcement, CallControl, LegOutcome } from '../../ports/telephony.js';
import { DEFAULT_ANNOUNCEMENTS, SKILL_DEFAULTS, type Skill } from '../directory/index.js';
import type { CallLog } from '../continuity/index.js';
import { LoggedCall } from '../continuity/index.js';
import { callbacksRepo, type CallbackRow } from './callbacks.repo.js';
import { newId } from '../../kernel/ids.js';
import { HeldCustomers } from './held-customers.js';
import { AttemptEndings, type EndingDependencies } from './attempt-endings.js';

/** How long the customer's and the agent's phones ring before the attempt counts as no answer. */
const RING_TIMEOUT_S = 30;
/** How long a wait_in_queue customer has to press a key after the prompt. */
const DIGIT_TIMEOUT_S = 10;
/** How soon a dispatcher that found every available agent held by another transaction looks again. */
const LOCKED_AGENT_RETRY_MS = 250;
/** Callbacks handed out per dispatch job; a longer queue continues in a fresh job. */
const DISPATCH_BATCH = 200;
/** How often a customer held on the line looks whether another node handed them an agent. */
const HOLD_POLL_MS = 1000;
/** The longest a customer holds on the line for an agent; then they are let go and called back later. */
const MAX_HOLD_S = 600;

interface Dependencies extends EndingDependencies {
  telephony: CallControl;
  calls: CallLog;
}

/**
 * Runs callbacks through their skill's strategy, one durable job per step. Every hand-out takes
 * the callback row and the agent row with FOR UPDATE SKIP LOCKED on PostgreSQL and moves them by
 * conditional updates, so two nodes never reserve one agent nor dial one callback twice.
 */
export class CallbackDispatcher {
  private readonly held: HeldCustomers;
  private readonly endings: AttemptEndings;

  constructor(private readonly deps: Dependencies) {
    this.held = new HeldCustomers(deps.clock, HOLD_POLL_MS);
    this.endings = new AttemptEndings(deps);
  }

  /** Hands out the front of the skill's queue until callbacks or agents run out. */
  async dispatch(accountId: string, skillId: string): Promise<void> {
    const skill = await this.deps.skills.find(accountId, skillId);
    if (!skill) {
      // The skill was deleted (its deletion wakes this queue): nobody can take its callbacks any more.
      await callbacksRepo(this.deps.storage.db, this.deps.storage.dialect).cancelQueuedOfSkill(accountId, skillId, this.now());
      return;
    }
    const repo = callbacksRepo(this.deps.storage.db, this.deps.storage.dialect);
    for (let handed = 0; handed < DISPATCH_BATCH; handed += 1) {
      if (!(await this.handOutOne(accountId, skill))) return;
      // Another pass only when an agent is left for it (one freed later wakes the queue itself).
      if (skill.callback_strategy === 'reserve_agent' && !(await repo.anyAvailableAgent(accountId, skill.id))) return;
    }
    await this.deps.jobs.enqueue(this.deps.storage.db, { type: 'callback.dispatch', payload: { skill_id: skillId }, accountId });
  }

  /** Dials the customer of a reserved (reserve_agent) or front-of-queue (wait_in_queue) callback. */
  async dial(accountId: string, callbackId: string): Promise<void> {
    const { storage } = this.deps;
    const at = this.now();
    const legId = newId(this.deps.clock.now().getTime());
    const claimed = await callbacksRepo(storage.db, storage.dialect).claimDial(accountId, callbackId, legId, at);
    if (!claimed) {
      // This job ran before and its node died mid-call (ringing, prompting, holding the customer
      // for an agent, or bridged): the call went with it, and every leg of it is closed.
      const row = await callbacksRepo(storage.db, storage.dialect).find(accountId, callbackId);
      const legs = row?.customer_call_id ? legIds(row.customer_call_id) : [];
      if (row?.state === 'dialing' || row?.state === 'connected') {
        for (const leg of legs) await LoggedCall.closeInterrupted(this.deps.calls, this.deps.clock, accountId, leg);
      }
      // A held customer's agent (handed out after the node died) is free again.
      if (row?.state === 'dialing') await this.endings.unsuccessful(row, 'interrupted', row.customer_call_id);
      if (row?.state === 'connected') await this.endings.finished(row, row.customer_call_id);
      return;
    }
    const skill = (await this.deps.skills.find(accountId, claimed.skill_id)) ?? { ...SKILL_DEFAULTS, id: claimed.skill_id, name: claimed.skill, created_at: at, updated_at: at };
    const customer = this.leg(accountId, claimed.skill, claimed.number, legId);
    const outcome = await this.ring(customer, claimed.number);
    if (outcome !== 'answered') {
      await customer.end(outcome).save();
      await this.endings.unsuccessful(claimed, outcome, customer.id);
      return;
    }
    const { greeting, prompt, language } = announcementOf(skill);
    if (skill.callback_strategy === 'reserve_agent') {
      await this.say(customer, claimed.number, { text: greeting, language });
      await this.connect(claimed, customer);
      return;
    }
    const text = `${greeting} ${prompt}`;
    await customer.add({ type: 'played', text, language }).save();
    const digit = await this.deps.telephony.promptDigit(accountId, claimed.number, { text, language }, DIGIT_TIMEOUT_S);
    if (digit !== null) await customer.add({ type: 'dtmf', digits: digit }).save();
    await this.afterPrompt(claimed, customer, digit);
  }

  private async handOutOne(accountId: string, skill: Skill): Promise<boolean> {
    const { storage, jobs } = this.deps;
    let handedToHolder: string | undefined;
    // The call jobs it hands out start on this node as soon as it commits (`here`).
    const handed = await jobs.transaction(async (trx) => {
      const repo = callbacksRepo(trx, storage.dialect);
      const at = this.now();
      // The agent first: a dispatcher that finds none gives up without holding a callback row,
      // so concurrent dispatchers cannot push the front callback behind a later one.
      const agent = await repo.availableAgent(accountId, skill.id);
      if (!agent && storage.dialect === 'postgres' && (await repo.anyAvailableAgent(accountId, skill.id))) {
        // Another transaction holds the only available agents (SKIP LOCKED passed them) and may let
        // them go unused, e.g. a dispatcher of another skill with an empty queue: look again shortly
        // rather than leave this queue waiting for the next status change.
        const retryAt = new Date(this.deps.clock.now().getTime() + LOCKED_AGENT_RETRY_MS);
        await jobs.enqueue(trx, { type: 'callback.dispatch', payload: { skill_id: skill.id }, accountId, runAt: retryAt });
      }
      // Customers already on the line (wait_in_queue, pressed 1) come before anyone still queued,
      // whatever the skill's strategy is now.
      const holding = agent && (await repo.nextHolding(accountId, skill.id));
      if (agent && holding && (await repo.reserveAgent(accountId, agent.id, at))) {
        // The job holding the customer on the line connects them (woken here once this commits, or by its own next look).
        await repo.transition(accountId, holding.id, 'dialing', 'dialing', { agent_id: agent.id }, at);
        handedToHolder = holding.id;
        return true;
      }
      if (skill.callback_strategy === 'wait_in_queue') {
        // One customer of the skill on the line at a time, on every node: the check and the dial
        // happen under the skill's lock.
        await repo.lockSkill(accountId, skill.id);
        if (await repo.hasCustomerInProgress(accountId, skill.id)) return false;
        // Nobody with the skill is at work: a customer who chose to hold would wait for no one. An agent becoming available wakes the queue.
        if (!(await repo.anyStaffedAgent(accountId, skill.id))) return false;
        const front = await repo.nextQueued(accountId, skill.id, at);
        if (!front) return false;
        await repo.transition(accountId, front.id, 'queued', 'dialing', { dialing_since: null, agent_id: null }, at);
        await jobs.enqueue(trx, { type: 'callback.dial', payload: { callback_id: front.id }, accountId, here: true });
        return true;
      }
      if (!agent) return false;
      const front = await repo.nextQueued(accountId, skill.id, at);
      if (!front || !(await repo.reserveAgent(accountId, agent.id, at))) return false;
      await repo.transition(accountId, front.id, 'queued', 'reserved', { agent_id: agent.id, dialing_since: null }, at);
      await jobs.enqueue(trx, { type: 'callback.dial', payload: { callback_id: front.id }, accountId, here: true });
      return true;
    });
    if (handedToHolder !== undefined) this.held.wake(handedToHolder);
    return handed;
  }

  /** The customer answered and an agent is held for them: ring the agent, bridge, hold until the call ends. */
  private async connect(row: CallbackRow, customer: LoggedCall): Promise<void> {
    const { storage, telephony } = this.deps;
    const agentId = row.agent_id ?? '';
    const phone = await callbacksRepo(storage.db, storage.dialect).agentPhone(row.account_id, agentId);
    const [, agentLegId, bridgeId] = legIds(customer.id);
    const agentLeg = this.leg(row.account_id, row.skill, phone ?? '', agentLegId);
    const outcome = phone === null ? 'invalid_number' : await this.ring(agentLeg, phone);
    if (outcome !== 'answered') {
      await agentLeg.end(outcome).save();
      await customer.add({ type: 'hangup', by: 'platform' }).end('completed').save();
      await this.endings.unsuccessful(row, 'agent_unreachable', customer.id, { agentStatus: 'away' });
      return;
    }
    const at = this.now();
    await this.deps.jobs.transaction(async (trx) => {
      if (await callbacksRepo(trx, storage.dialect).transition(row.account_id, row.id, 'dialing', 'connected', { customer_call_id: customer.id }, at)) {
        await this.endings.publish(trx, row, 'callback.connected');
      }
      await this.endings.wake(trx, row);
    });
    const bridge = new LoggedCall(this.deps.calls, this.deps.clock, row.account_id, { id: bridgeId, kind: 'callback_bridge', direction: 'outbound', from: row.number, to: phone ?? '', skill: row.skill });
    await Promise.all([bridge.add({ type: 'bridged', to: phone ?? '' }).save(), customer.add({ type: 'bridged', to: phone ?? '' }).save()]);
    await telephony.bridge(row.account_id, row.number, phone ?? '');
    await Promise.all([
      bridge.add({ type: 'hangup', by: 'callee' }).end('completed').save(),
      customer.add({ type: 'hangup', by: 'callee' }).end('completed').save(),
      agentLeg.add({ type: 'hangup', by: 'callee' }).end('completed').save(),
    ]);
    await this.endings.finished(row, customer.id);
  }

  private async afterPrompt(row: CallbackRow, customer: LoggedCall, digit: string | null): Promise<void> {
    const { storage } = this.deps;
    if (digit === '1') {
      // The customer stays on the line; the next available agent is handed to them by dispatch.
      await customer.add({ type: 'queued', queue: row.skill }).save();
      await storage.db.transaction().execute(async (trx) => {
        await callbacksRepo(trx, storage.dialect).transition(row.account_id, row.id, 'dialing', 'dialing', { accepted_at: this.now(), customer_call_id: customer.id }, this.now());
        await this.endings.wake(trx, row);
      });
      return this.holdForAgent(row, customer);
    }
    await customer.add({ type: 'hangup', by: 'platform' }).end('completed').save();
    if (digit === '2') {
      // To the back of the queue, and not before the skill's retry delay even when nobody else waits.
      return this.endings.unsuccessful(row, 'snoozed', customer.id, { toBack: true });
    }
    if (digit === '3') return this.endings.cancelled(row, customer.id);
    return this.endings.unsuccessful(row, 'no_input', customer.id);
  }

  /**
   * Holds a customer who chose to wait on the line until dispatch hands them an agent, then
   * connects them. This job holds the call for as long as it lasts: if its node dies, the job
   * runs again elsewhere once its lease is out, finds the customer gone with the node, and puts
   * the callback back in the queue (`dial`), instead of an agent later being joined to a dead call.
   * A skill deleted meanwhile lets the customer go.
   */
  private async holdForAgent(row: CallbackRow, customer: LoggedCall): Promise<void> {
    const { storage } = this.deps;
    const repo = callbacksRepo(storage.db, storage.dialect);
    const letGoAt = this.deps.clock.now().getTime() + MAX_HOLD_S * 1000;
    for (;;) {
      await this.held.nextLook(row.id);
      const current = await repo.find(row.account_id, row.id);
      if (current?.state !== 'dialing') {
        await customer.add({ type: 'hangup', by: 'platform' }).end('completed').save();
        return;
      }
      if (current.agent_id !== null) return this.connect(current, customer);
      if (!(await this.deps.skills.find(row.account_id, row.skill_id))) {
        await customer.add({ type: 'hangup', by: 'platform' }).end('completed').save();
        return this.endings.cancelled(current, customer.id);
      }
      // Held too long: let them go and call back later, unless an agent was handed to them just now.
      if (this.deps.clock.now().getTime() >= letGoAt && (await repo.stopHolding(row.account_id, row.id, this.now()))) {
        await customer.add({ type: 'hangup', by: 'platform' }).end('completed').save();
        return this.endings.unsuccessful({ ...current, accepted_at: null }, 'hold_timeout', customer.id);
      }
    }
  }

  private async ring(leg: LoggedCall, to: string): Promise<LegOutcome> {
    // The leg is logged while the network already dials it.
    const logged = leg.save();
    const outcome = await this.deps.telephony.dial(leg.accountId, to, RING_TIMEOUT_S, (event) => void leg.add(event).save());
    await logged;
    const ended = { busy: 'busy', no_answer: 'no_answer', invalid_number: 'invalid_number', failed: 'failed', answered: 'answered' } as const;
    if (outcome === 'failed') leg.add({ type: 'failed', reason: 'network failure', leg: to });
    else leg.add({ type: ended[outcome], leg: to });
    await leg.save();
    return outcome;
  }

  private async say(leg: LoggedCall, to: string, announcement: Announcement): Promise<void> {
    await leg.add({ type: 'played', text: announcement.text, language: announcement.language }).save();
    await this.deps.telephony.play(leg.accountId, to, announcement);
  }

  private leg(accountId: string, skill: string, to: string, id?: string): LoggedCall {
    return new LoggedCall(this.deps.calls, this.deps.clock, accountId, { id, kind: 'callback_leg', direction: 'outbound', from: skill, to, skill });
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}

/**
 * The skill's announcement in its language; else one the admin wrote in another language (their
 * own words, in the language they are written in); only a skill with none gets the English defaults.
 */
function announcementOf(skill: Skill): { greeting: string; prompt: string; language: string } {
  const own = skill.announcements[skill.language];
  if (own) return { ...own, language: skill.language };
  const [language, written] = Object.entries(skill.announcements)[0] ?? ['en-US', DEFAULT_ANNOUNCEMENTS['en-US'] ?? { greeting: '', prompt: '' }];
  return { ...written, language };
}

/** A callback attempt's legs in the call log: the customer's (its id names the attempt), the agent's, and their bridge. */
function legIds(customerCallId: string): [string, string, string] {
  return [customerCallId, `${customerCallId}-agent`, `${customerCallId}-bridge`];
}
