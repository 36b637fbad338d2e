import { newId } from '../../../kernel/ids.js';
import { LoggedCall } from '../../continuity/index.js';
import type { FlowComponent, FlowDefinition } from '../definition/index.js';
import { renderTemplate } from '../runtime/render-template.js';
import type { ActiveCall, Step } from './interaction.model.js';
import type { Progress } from './interactions.repo.js';
import { fail, type StepOutcome } from './outcome.js';
import type { ComponentHandler, ComponentHandlers, FlowServices, StepContext } from './step-context.js';

/** An interaction stops as failed after this many steps (API.md). */
export const MAX_STEPS = 1000;
/** ... or when one component would run more often than this in a row. */
export const MAX_REPEATS = 10;
/** The most one variable holds, and all of an interaction's variables together, in characters. */
export const MAX_VARIABLE_CHARS = 64 * 1024;
export const MAX_VARIABLES_CHARS = 256 * 1024;

/** A version ready to run: its definition and its components by id. */
export interface LoadedVersion {
  definition: FlowDefinition;
  byId: Map<string, FlowComponent>;
}

export const loadVersion = (definition: FlowDefinition): LoadedVersion => ({ definition, byId: new Map(definition.components.map((c) => [c.id, c])) });

/** Where the interpreter writes each step and the state after it: the database, or memory when simulating. */
export interface ProgressStore {
  /** Records the step and the new state together; false when another runner moved the interaction on meanwhile. */
  advance(step: Step, progress: Progress, at: string): Promise<boolean>;
  /** Ends the interaction as failed without a step (a limit was reached). */
  fail(reason: string, at: string): Promise<void>;
  /** Reserves the call-log id of a leg the component at step `steps` may place (when the state in hand has none). */
  reserveLeg(steps: number, legId: string, at: string): Promise<void>;
}

export interface Run {
  accountId: string;
  interactionId: string;
  flowId: string;
  flowVersionId: string;
  version: LoadedVersion;
  progress: Progress;
  /** A leg an earlier run was dialling when its node died: closed in the call log before going on. */
  interruptedLeg?: string | null;
  store: ProgressStore;
  services: FlowServices;
  handlers: ComponentHandlers;
}

/**
 * The interpreter: runs components one at a time from `progress.current` until the interaction
 * ends (or another runner took it over), writing every step with the state after it. Resolves to
 * the last state written.
 */
export async function interpret(run: Run): Promise<Progress> {
  const { store, services, version } = run;
  const now = () => services.clock.now().toISOString();
  let progress = run.progress;
  const held = heldCalls(run);
  if (run.interruptedLeg) await LoggedCall.closeInterrupted(run.services.calls, run.services.clock, run.accountId, run.interruptedLeg);
  while (progress.status === 'running') {
    let leg = progress.leg;
    if (leg === null) {
      leg = newId(services.clock.now().getTime());
      await store.reserveLeg(progress.steps, leg, now());
      progress = { ...progress, leg };
    }
    const component = progress.current === null ? undefined : version.byId.get(progress.current);
    const stop = !component
      ? `the flow has no component ${String(progress.current)}`
      : progress.steps >= MAX_STEPS
        ? `stopped after ${MAX_STEPS} steps`
        : progress.repeats >= MAX_REPEATS
          ? `component ${component.id} ran ${MAX_REPEATS} times in a row`
          : undefined;
    if (stop !== undefined || !component) {
      await hangUp(held, progress.call);
      await store.fail(stop ?? 'no component', now());
      return { ...progress, status: 'failed', current: null, reason: stop ?? 'no component' };
    }
    const started = now();
    const outcome = withinLimits(await runComponent(run, component, contextFor(run, progress, component, held, leg)), progress.variables);
    const step: Step = {
      component: component.id, type: component.type, exit: outcome.kind === 'fail' ? null : (outcome.exit ?? null),
      started_at: started, ended_at: now(), detail: outcome.detail,
    };
    const after = advance(progress, component, outcome, services.clock.now().getTime());
    // The call is closed in the log before the interaction reads as over.
    if (after.status !== 'running') await hangUp(held, after.call);
    if (!(await store.advance(step, after, step.ended_at))) return progress;
    progress = after;
  }
  return progress;
}

/**
 * A component that would set a variable past `MAX_VARIABLE_CHARS`, or all of them past
 * `MAX_VARIABLES_CHARS` (a function returning megabytes, a whole HTTP answer mapped with `$`),
 * fails instead: the state is stored with every step, and nothing is kept of the oversized value.
 */
function withinLimits(outcome: StepOutcome, variables: Record<string, string>): StepOutcome {
  if (outcome.kind !== 'next' || !outcome.variables) return outcome;
  for (const [name, value] of Object.entries(outcome.variables)) {
    if (value.length > MAX_VARIABLE_CHARS) return fail(`it set ${name} to ${value.length} characters; a variable holds at most ${MAX_VARIABLE_CHARS}`);
  }
  const total = Object.values({ ...variables, ...outcome.variables }).reduce((sum, value) => sum + value.length, 0);
  if (total > MAX_VARIABLES_CHARS) return fail(`its variables would hold ${total} characters; an interaction's hold at most ${MAX_VARIABLES_CHARS}`);
  return outcome;
}

function runComponent(run: Run, component: FlowComponent, context: StepContext): Promise<StepOutcome> {
  // The handlers are indexed by the component's own type, so config and handler match.
  const handler = run.handlers[component.type] as ComponentHandler<typeof component.type>;
  return (handler as (config: unknown, context: StepContext) => Promise<StepOutcome>)(component.config, context);
}

/**
 * The held call's call-log entry, read once per run: the interpreter is the only writer of that
 * entry while it runs, so the copy in hand is the latest (no read per event).
 */
function heldCalls(run: Run): (callId: string) => Promise<LoggedCall> {
  const known = new Map<string, Promise<LoggedCall>>();
  return (callId) => {
    let call = known.get(callId);
    if (!call) {
      call = LoggedCall.resume(run.services.calls, run.services.clock, run.accountId, callId);
      known.set(callId, call);
    }
    return call;
  };
}

function contextFor(run: Run, progress: Progress, component: FlowComponent, held: (callId: string) => Promise<LoggedCall>, legId: string): StepContext {
  const { services, accountId } = run;
  const variables = progress.variables;
  return {
    accountId,
    interactionId: run.interactionId,
    flowId: run.flowId,
    flowVersionId: run.flowVersionId,
    variables,
    call: progress.call,
    wired: new Set(Object.keys(component.exits)),
    services,
    render: (text) => renderTemplate(text, variables),
    legId,
    stepKey: `${run.interactionId}:${progress.steps}`,
    logOnCall: async (...events) => {
      if (!progress.call) return;
      await (await held(progress.call.call_id)).add(...events).save();
    },
  };
}


/** The platform's side of the call ends with the interaction. */
async function hangUp(held: (callId: string) => Promise<LoggedCall>, call: ActiveCall | null): Promise<void> {
  if (!call) return;
  const logged = await held(call.call_id);
  if (logged.ended) return;
  const forwarded = logged.events.some((event) => event.type === 'bridged');
  await logged.add({ type: 'hangup', by: forwarded ? 'callee' : 'platform' }).end(forwarded ? 'forwarded' : 'completed').save();
}

/** The state after a component's outcome: where to go next, or how the interaction ended. */
function advance(progress: Progress, component: FlowComponent, outcome: StepOutcome, nowMs: number): Progress {
  const steps = progress.steps + 1;
  if (outcome.kind === 'fail') return { ...progress, status: 'failed', current: null, steps, reason: `${component.id}: ${outcome.error}`, leg: null };
  if (outcome.kind === 'end') return { ...progress, status: 'completed', current: null, steps, leg: null };
  const variables = outcome.variables ? { ...progress.variables, ...outcome.variables } : progress.variables;
  const call = outcome.call === undefined ? progress.call : outcome.call;
  const target = component.exits[outcome.exit];
  // An optional exit left unwired ends the flow there.
  if (target === undefined) return { ...progress, status: 'completed', current: null, variables, call, steps, leg: null };
  const repeats = target === component.id ? progress.repeats + 1 : 0;
  // The next component's leg id is reserved with this step, in the same write.
  return { ...progress, current: target, variables, call, steps, repeats, leg: newId(nowMs) };
}
