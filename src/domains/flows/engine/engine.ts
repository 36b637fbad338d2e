import { notFound } from '../../../kernel/errors.js';
import { newId } from '../../../kernel/ids.js';
import { parseJson } from '../../../kernel/json.js';
import type { EventPublisher } from '../../../ports/events.js';
import type { Job, JobQueue } from '../../../ports/jobs.js';
import type { Storage, WithResult } from '../../../ports/storage.js';
import { notPublished } from '../flows.errors.js';
import { flowsRepo } from '../flows.repo.js';
import type { ActiveCall, StartedInteraction } from './interaction.model.js';
import { LoggedCall } from '../../continuity/index.js';
import { interactionsRepo, type InteractionRow, type Progress } from './interactions.repo.js';
import { publishEnd } from './interaction-events.js';
import { interpret, loadVersion, type LoadedVersion, type ProgressStore } from './interpret.js';
import { startState } from './start-state.js';
import type { ComponentHandlers, FlowServices } from './step-context.js';

/** Versions are immutable, so parsed ones are kept; this bounds how many. */
const VERSION_CACHE = 200;

export interface FlowEngineDependencies {
  storage: Storage;
  jobs: JobQueue<Job>;
  services: FlowServices;
  handlers: ComponentHandlers;
  /** Where interaction.completed and interaction.failed go, inside the transaction that ends the interaction. */
  events: EventPublisher;
}

/**
 * Durable interactions: the interpreter over the database. After each component the step and
 * the new state are written in one transaction, fenced by the step count, so a node that dies
 * mid-component leaves the interaction at that component and the `flow.run` job (claimed again
 * once its lease runs out) runs it anew on another node.
 */
export class FlowEngine {
  private readonly versions = new Map<string, LoadedVersion>();

  constructor(private readonly deps: FlowEngineDependencies) {}

  /** Starts the published version of a flow with the caller's arguments; the run begins once this commits. */
  async start(accountId: string, flowId: string, args: Record<string, unknown>, withResult?: WithResult<StartedInteraction>): Promise<StartedInteraction> {
    const { storage, jobs, services } = this.deps;
    const flow = await flowsRepo(storage.db).find(accountId, flowId);
    if (!flow) throw notFound('flow');
    const published = flow.flow.published_version;
    if (!published) throw notPublished();
    const version = await this.version(accountId, published.flow_version_id);
    const now = services.clock.now();
    const at = now.toISOString();
    const id = newId(now.getTime());
    const executionId = newId(now.getTime());
    const state = startState(version.definition, { interactionId: id, flowId, flowVersionId: published.flow_version_id }, args);
    // The first component's leg id is reserved with the row, like every later one with the step before it.
    const leg = newId(now.getTime());
    const row: InteractionRow = {
      account_id: accountId, id, flow_id: flowId, flow_version_id: published.flow_version_id, flow_execution_id: executionId, status: 'running',
      arguments: JSON.stringify(args), variables: JSON.stringify(state.variables), current: state.current, call: null, placing: leg, steps: 0, repeats: 0,
      reason: null, created_at: at, updated_at: at, ended_at: null,
    };
    const started: StartedInteraction = { interaction_id: id, flow_version_id: published.flow_version_id, flow_execution_id: executionId };
    await jobs.transaction(async (trx) => {
      await interactionsRepo(trx).insert(row);
      await jobs.enqueue(trx, { type: 'flow.run', payload: { interaction_id: id }, accountId, here: true });
      await withResult?.(trx, started);
    }, { shared: true });
    return started;
  }

  /**
   * Runs the interaction from where it is until it ends (or another runner took it over). A run
   * after the first (`resumed`: the node running it died, or the platform failed mid-step) may
   * find the component's leg left ringing: it is closed, and the component gets a new one.
   */
  async run(accountId: string, interactionId: string, resumed: boolean): Promise<void> {
    const row = await interactionsRepo(this.deps.storage.db).find(accountId, interactionId);
    if (row?.status !== 'running') return;
    const progress: Progress = {
      status: 'running', current: row.current, variables: parseJson<Record<string, string>>(row.variables),
      call: row.call === null ? null : parseJson<ActiveCall>(row.call), steps: Number(row.steps), repeats: Number(row.repeats), reason: null,
      leg: resumed ? null : row.placing,
    };
    await interpret({
      accountId, interactionId, flowId: row.flow_id, flowVersionId: row.flow_version_id, progress, interruptedLeg: resumed ? row.placing : null,
      version: await this.version(accountId, row.flow_version_id),
      store: this.store(accountId, interactionId),
      services: this.deps.services,
      handlers: this.deps.handlers,
    });
  }

  /**
   * The platform failed to run the interaction however often it tried: it ends as failed, saying
   * why, and the calls it held or was placing end in the call log with it.
   */
  async giveUp(accountId: string, interactionId: string, error: string): Promise<void> {
    const { storage, services } = this.deps;
    const row = await interactionsRepo(storage.db).find(accountId, interactionId);
    await this.fail(accountId, interactionId, `the platform could not run it: ${error}`, services.clock.now().toISOString());
    if (row?.status !== 'running') return;
    if (row.placing !== null) await LoggedCall.closeInterrupted(services.calls, services.clock, accountId, row.placing);
    const held = row.call === null ? undefined : await LoggedCall.resume(services.calls, services.clock, accountId, parseJson<ActiveCall>(row.call).call_id).catch(() => undefined);
    if (held && !held.ended) await held.add({ type: 'failed', reason: 'the flow could not go on' }, { type: 'hangup', by: 'platform' }).end('failed').save();
  }

  private store(accountId: string, interactionId: string): ProgressStore {
    const { storage, jobs, events } = this.deps;
    return {
      // Steps of many interactions share commits: each resolves once its own step is durable.
      advance: (step, progress, at) =>
        jobs.transaction(async (trx) => {
          if (!(await interactionsRepo(trx).advance(accountId, interactionId, step, progress, at))) return false;
          if (progress.status !== 'running') await publishEnd(trx, events, accountId, interactionId);
          return true;
        }, { shared: true }),
      fail: (reason, at) => this.fail(accountId, interactionId, reason, at),
      reserveLeg: (steps, legId, at) => interactionsRepo(storage.db).reserveLeg(accountId, interactionId, steps, legId, at),
    };
  }

  /** Ends a running interaction as failed without a step, publishing that in the same transaction. */
  private fail(accountId: string, interactionId: string, reason: string, at: string): Promise<void> {
    return this.deps.jobs.transaction(async (trx) => {
      if (await interactionsRepo(trx).fail(accountId, interactionId, reason, at)) await publishEnd(trx, this.deps.events, accountId, interactionId);
    });
  }

  private async version(accountId: string, versionId: string): Promise<LoadedVersion> {
    const cached = this.versions.get(versionId);
    if (cached) return cached;
    const version = await flowsRepo(this.deps.storage.db).findVersion(accountId, versionId);
    if (!version) throw notFound('flow version');
    const loaded = loadVersion(version.definition);
    if (this.versions.size >= VERSION_CACHE) this.versions.delete(this.versions.keys().next().value ?? '');
    this.versions.set(versionId, loaded);
    return loaded;
  }
}
