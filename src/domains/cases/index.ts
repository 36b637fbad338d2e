import type { CasesService } from './cases.service.js';
import type { CaseStatusesService } from './statuses.service.js';
import type { CaseSettingsService } from './case-settings.service.js';

export * from './cases.model.js';
export { toCaseView, type CaseRow } from './case-view.js';
export { CaseStatusesService } from './statuses.service.js';
export { nameKey as statusNameKey } from './statuses.repo.js';
export { CasesService, type CasesDependencies } from './cases.service.js';
export { CaseSettingsService } from './case-settings.service.js';
export { CaseAutomation, TRASH_RETENTION_MS, autoCloseKey } from './case-automation.js';
export { noonIn } from './due-date.js';
export { planChange } from './case-plan.js';
export * from './cases.schema.js';
export * from './case-search.model.js';
export * from './case-search.schema.js';
export { CaseSearchService } from './case-search.service.js';

/** The cases domain's services, as the composition root wires them. */
export interface CaseServices {
  cases: CasesService;
  statuses: CaseStatusesService;
  settings: CaseSettingsService;
}
