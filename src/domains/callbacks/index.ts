export { CallbacksService } from './callbacks.service.js';
export { undialable, unknownSkill } from './callbacks.errors.js';
export { CallbackDispatcher } from './callbacks.dispatch.js';
export { ATTEMPT_OUTCOMES, CALLBACK_STATES, type Attempt, type AttemptOutcome, type Callback, type CallbackFilters, type CallbackState } from './callbacks.model.js';
export * from './callbacks.schema.js';
