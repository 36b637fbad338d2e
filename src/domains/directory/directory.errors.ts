import { DomainError } from '../../kernel/errors.js';

/**
 * A write broke a unique constraint: PostgreSQL's SQLSTATE 23505 or SQLite's extended result
 * code. Read from the error's `code` so the domain needs neither driver.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  return error.code === '23505' || error.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export const skillNameTaken = (name: string): DomainError =>
  new DomainError('already_exists', `the account already has a skill named ${JSON.stringify(name)}`, [{ name: 'name', description: 'already exists' }]);

/** An agent or group still holding cases not yet closed cannot be deleted. */
export const holdsCases = (what: 'agent' | 'group', count: number): DomainError =>
  new DomainError('conflict', `the ${what} holds ${count >= 1000 ? '1,000 or more' : count} case${count === 1 ? '' : 's'} not yet closed: reassign ${count === 1 ? 'it' : 'them'} first`);

export const onCallback = (state: string): DomainError =>
  new DomainError('conflict', `the agent is held for a callback (${state}): delete them once that call has ended`);
