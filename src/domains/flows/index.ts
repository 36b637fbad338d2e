export { FlowsService, type AccountNumbers } from './flows.service.js';
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
