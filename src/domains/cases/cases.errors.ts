import { DomainError } from '../../kernel/errors.js';

export const closingIsAutomatic = (): DomainError =>
  new DomainError('closing_is_automatic', 'cases are closed only by auto-close, some days after they are resolved; resolve the case instead');

export const caseClosed = (): DomainError => new DomainError('case_closed', 'the case is closed; closed cases cannot change');

export const caseTrashed = (): DomainError => new DomainError('conflict', 'the case is in the trash; restore it first');

export const caseNotTrashed = (): DomainError => new DomainError('conflict', 'the case is not in the trash');

export const builtInStatusImmutable = (): DomainError => new DomainError('conflict', 'built-in case statuses cannot be changed');
