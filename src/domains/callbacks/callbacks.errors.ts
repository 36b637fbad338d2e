import { DomainError } from '../../kernel/errors.js';

export const unknownSkill = (name: string): DomainError =>
  new DomainError('unknown_skill', `no skill is named exactly ${JSON.stringify(name)}`, [{ name: 'skill', description: 'matches no skill of this account' }]);

export const undialable = (): DomainError =>
  new DomainError('validation_failed', 'callbackNumber cannot be dialled', [{ name: 'callbackNumber', description: 'is not a dialable phone number' }]);

export const notCancellable = (state: string): DomainError =>
  new DomainError('conflict', `a callback that is ${state} can no longer be cancelled`);
