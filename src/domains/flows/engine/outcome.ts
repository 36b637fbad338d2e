import type { ActiveCall } from './interaction.model.js';

/** What a step did, as the execution report shows it (dialled number and outcome, text played, ...). */
export type StepDetail = Record<string, unknown>;

/** How a component's run ended; the engine records it as a step and moves on. */
export type StepOutcome =
  /** Leave by `exit`, with variables (and the call) changed as given. */
  | { kind: 'next'; exit: string; detail: StepDetail; variables?: Record<string, string>; call?: ActiveCall | null }
  /** The flow is over here and completed (end_flow, or a forward that connected). */
  | { kind: 'end'; detail: StepDetail; exit?: string }
  /** The interaction fails here with `error` as its reason. */
  | { kind: 'fail'; error: string; detail: StepDetail };

export const next = (exit: string, detail: StepDetail = {}, changes: { variables?: Record<string, string>; call?: ActiveCall | null } = {}): StepOutcome => ({
  kind: 'next', exit, detail, ...changes,
});
export const end = (detail: StepDetail = {}, exit?: string): StepOutcome => ({ kind: 'end', detail, ...(exit === undefined ? {} : { exit }) });
export const fail = (error: string, detail: StepDetail = {}): StepOutcome => ({ kind: 'fail', error, detail });
