export { FlowsService, type AccountFacts } from './flows.service.js';
export { FlowEngine } from './engine/engine.js';
export { stepWrites, type StepWrite } from './engine/step-writes.js';
export { MAX_REPEATS, MAX_STEPS, interpret, loadVersion, type ProgressStore } from './engine/interpret.js';
export { startState } from './engine/start-state.js';
export type { Step, Interaction, InteractionStatus } from './engine/interaction.model.js';
export { InteractionsService, type StartAdmission } from './engine/interactions.service.js';
export * from './engine/interactions.schema.js';
export type { ComponentHandlers, FlowServices, CallbackRequests, CaseChange, CaseRequests, SecretStore } from './engine/step-context.js';
export { COMPONENT_HANDLERS } from './engine/handlers/index.js';
export {
  INTERACTIONS_METHOD,
  INTERACTIONS_SCOPE,
  interactionsPath,
  type DraftDefinition,
  type Flow,
  type FlowInput,
  type FlowVersion,
  type RequestDetails,
  type ValidationReport,
  type VersionRef,
} from './flows.model.js';
export * from './flows.schema.js';
export * from './definition/index.js';
