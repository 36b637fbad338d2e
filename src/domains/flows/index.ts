export { FlowsService, type AccountNumbers } from './flows.service.js';
export { FlowEngine, MAX_REPEATS, MAX_STEPS } from './engine/engine.js';
export { InteractionsService, type StartAdmission } from './engine/interactions.service.js';
export * from './engine/interactions.schema.js';
export type { ComponentHandlers, FlowServices, CallbackRequests, SecretStore } from './engine/step-context.js';
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
