export { ContinuityService } from './continuity.service.js';
export { CallLog, type CallLogOptions } from './call-log.js';
export { LoggedCall } from './logged-call.js';
export { CALL_KINDS, type CallKind, type CallRecord, type CallRecords, type CallFilters } from './calls.model.js';
export type { FallbackSettings, Activation, AuditEntry } from './continuity.model.js';
export * from './continuity.schema.js';
