import { invalid, notFound, type FieldProblem } from '../../../kernel/errors.js';
import { newId } from '../../../kernel/ids.js';
import { parseJson } from '../../../kernel/json.js';
import type { Job, JobQueue } from '../../../ports/jobs.js';
import type { Storage } from '../../../ports/storage.js';
import { LoggedCall } from '../../continuity/index.js';
import type { FlowComponent, FlowDefinition } from '../definition/index.js';
import { notPublished } from '../flows.errors.js';
import { flowsRepo } from '../flows.repo.js';
import type { ActiveCall, StartedInteraction, Step } from './interaction.model.js';
import { interactionsRepo, type InteractionRow, type Progress } from './interactions.repo.js';
import type { StepOutcome } from './outcome.js';
import { renderTemplate } from '../runtime/render-template.js';
import type { ComponentHandler, ComponentHandlers, FlowServices, StepContext } from './step-context.js';

/** An interaction stops as failed after this many steps (API.md). */
export const MAX_STEPS = 1000;
/** ... or when one component would run more often than this in a row. */
export const MAX_REPEATS = 10;
/** Versions are immutable, so parsed ones are kept; this bounds how many. */
const VERSION_CACHE = 200;

interface LoadedVersion {
  definition: FlowDefinition;
  byId: Map<string, FlowComponent>;
}

export interface FlowEngineDependencies {
  storage: Storage;
  jobs: JobQueue<Job>;
  services: FlowServices;
  handlers: ComponentHandlers;
}

/**
 * The interpreter: an interaction is a pointer into its pinned, immutable version plus its
 * variables and call. `run` executes components one at a time; after each, the step and the new
 * state are written in one transaction, fenced by the step count, so a node that dies
 * mid-component leaves the interaction at that component and the `flow.run` job (claimed again
 * once its lease runs out) runs it anew on another node.
 */
export class FlowEngine {
  private readonly versions = new Map<string, LoadedVersion>();

  constructor(private readonly deps: FlowEngineDependencies) {}

  /** Starts the published version of a flow with the caller's arguments; the run begins once this commits. */
  async start(accountId: string, flowId: string, args: Record<string, unknown>): Promise<StartedInteraction> {
    const { storage, jobs, services } = this.deps;
    const flow = await flowsRepo(storage.db).find(accountId, flowId);
    if (!flow) throw notFound('flow');
    const published = flow.flow.published_version;
    if (!published) throw notPublished();
    const version = await this.version(accountId, published.flow_version_id);
    const values = argumentValues(version.definition, args);
    const now = services.clock.now();
    const at = now.toISOString();
    const id = newId(now.getTime());
    const executionId = newId(now.getTime());
    const variables: Record<string, string> = {
      ...Object.fromEntries(Object.entries(version.definition.variables).map(([name, value]) => [name, value === null ? '' : String(value)])),
      interaction_id: id, flow_id: flowId, flow_version_id: published.flow_version_id, contact_number: '', touchpoint_number: '',
      ...values,
    };
    const row: InteractionRow = {
      account_id: accountId, id, flow_id: flowId, flow_version_id: published.flow_version_id, flow_execution_id: executionId, status: 'running',
      arguments: JSON.stringify(args), variables: JSON.stringify(variables), current: version.definition.start, call: null, steps: 0, repeats: 0,
      reason: null, created_at: at, updated_at: at, ended_at: null,
    };
    await jobs.transaction(async (trx) => {
      await interactionsRepo(trx).insert(row);
      await jobs.enqueue(trx, { type: 'flow.run', payload: { interaction_id: id }, accountId, here: true });
    });
    return { interaction_id: id, flow_version_id: published.flow_version_id, flow_execution_id: executionId };
  }

  /** Runs the interaction from where it is until it ends (or another runner took it over). */
  async run(accountId: string, interactionId: string): Promise<void> {
    const repo = interactionsRepo(this.deps.storage.db);
    const row = await repo.find(accountId, interactionId);
    if (row?.status !== 'running') return;
    const version = await this.version(accountId, row.flow_version_id);
    let progress: Progress = {
      status: 'running', current: row.current, variables: parseJson<Record<string, string>>(row.variables),
      call: row.call === null ? null : parseJson<ActiveCall>(row.call), steps: Number(row.steps), repeats: Number(row.repeats), reason: null,
    };
    while (progress.status === 'running') {
      const component = progress.current === null ? undefined : version.byId.get(progress.current);
      const stop = !component ? `the flow has no component ${String(progress.current)}`
        : progress.steps >= MAX_STEPS ? `stopped after ${MAX_STEPS} steps`
        : progress.repeats >= MAX_REPEATS ? `component ${component.id} ran ${MAX_REPEATS} times in a row`
        : undefined;
      if (stop !== undefined || !component) {
        await repo.fail(accountId, interactionId, stop ?? 'no component', this.now());
        await this.hangUp(accountId, progress.call);
        return;
      }
      const started = this.now();
      const outcome = await this.runComponent(component, this.context(accountId, row, progress, component));
      const step: Step = { component: component.id, type: component.type, exit: outcome.kind === 'fail' ? null : (outcome.exit ?? null), started_at: started, ended_at: this.now(), detail: outcome.detail };
      const after = advance(progress, component, outcome);
      // The call is closed in the log before the interaction reads as over.
      if (after.status !== 'running') await this.hangUp(accountId, after.call);
      const advanced = await this.deps.storage.db.transaction().execute((trx) => interactionsRepo(trx).advance(accountId, interactionId, step, after, step.ended_at));
      if (!advanced) return;
      progress = after;
    }
  }

  private runComponent(component: FlowComponent, context: StepContext): Promise<StepOutcome> {
    // The union of handlers is indexed by the component's own type, so config and handler match.
    const handler = this.deps.handlers[component.type] as ComponentHandler<typeof component.type>;
    return (handler as (config: unknown, context: StepContext) => Promise<StepOutcome>)(component.config, context);
  }

  private context(accountId: string, row: InteractionRow, progress: Progress, component: FlowComponent): StepContext {
    const { services } = this.deps;
    const variables = progress.variables;
    return {
      accountId,
      interactionId: row.id,
      flowId: row.flow_id,
      flowVersionId: row.flow_version_id,
      variables,
      call: progress.call,
      wired: new Set(Object.keys(component.exits)),
      services,
      render: (text) => renderTemplate(text, variables),
      logOnCall: async (...events) => {
        if (!progress.call) return;
        const call = await LoggedCall.resume(services.calls, services.clock, accountId, progress.call.call_id);
        await call.add(...events).save();
      },
    };
  }

  /** The platform's side of the call ends with the interaction. */
  private async hangUp(accountId: string, call: ActiveCall | null): Promise<void> {
    if (!call) return;
    const { calls, clock } = this.deps.services;
    const record = await calls.get(accountId, call.call_id);
    if (record.ended_at !== null) return;
    const forwarded = record.events.some((event) => event.type === 'bridged');
    const logged = await LoggedCall.resume(calls, clock, accountId, call.call_id);
    await logged.add({ type: 'hangup', by: forwarded ? 'callee' : 'platform' }).end(forwarded ? 'forwarded' : 'completed').save();
  }

  private async version(accountId: string, versionId: string): Promise<LoadedVersion> {
    const cached = this.versions.get(versionId);
    if (cached) return cached;
    const version = await flowsRepo(this.deps.storage.db).findVersion(accountId, versionId);
    if (!version) throw notFound('flow version');
    const loaded = { definition: version.definition, byId: new Map(version.definition.components.map((c) => [c.id, c])) };
    if (this.versions.size >= VERSION_CACHE) this.versions.delete(this.versions.keys().next().value ?? '');
    this.versions.set(versionId, loaded);
    return loaded;
  }

  private now(): string {
    return this.deps.services.clock.now().toISOString();
  }
}

/** The state after a component's outcome: where to go next, or how the interaction ended. */
function advance(progress: Progress, component: FlowComponent, outcome: StepOutcome): Progress {
  const steps = progress.steps + 1;
  if (outcome.kind === 'fail') return { ...progress, status: 'failed', current: null, steps, reason: `${component.id}: ${outcome.error}` };
  if (outcome.kind === 'end') return { ...progress, status: 'completed', current: null, steps };
  const variables = outcome.variables ? { ...progress.variables, ...outcome.variables } : progress.variables;
  const call = outcome.call === undefined ? progress.call : outcome.call;
  const target = component.exits[outcome.exit];
  // An optional exit left unwired ends the flow there.
  if (target === undefined) return { ...progress, status: 'completed', current: null, variables, call, steps };
  const repeats = target === component.id ? progress.repeats + 1 : 0;
  return { ...progress, current: target, variables, call, steps, repeats };
}

/**
 * The start request's body against the version's declared arguments: a flat object of strings,
 * no unknown names, every required one present. Resolves to variable values by variable name.
 */
function argumentValues(definition: FlowDefinition, args: Record<string, unknown>): Record<string, string> {
  const declared = new Map(definition.trigger.arguments.map((arg) => [arg.name, arg]));
  const problems: FieldProblem[] = [];
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(args)) {
    const argument = declared.get(name);
    if (!argument) problems.push({ name, description: 'is not an argument of this flow' });
    else if (typeof value !== 'string') problems.push({ name, description: 'must be a string' });
    else values[argument.variable] = value;
  }
  for (const argument of declared.values()) {
    if (argument.required && !(argument.name in args)) problems.push({ name: argument.name, description: 'is required' });
  }
  if (problems.length > 0) throw invalid(problems);
  return values;
}
