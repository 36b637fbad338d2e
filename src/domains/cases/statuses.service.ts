import type { Executor, Storage } from '../../ports/storage.js';
import type { Clock } from '../../kernel/clock.js';
import { DomainError, notFound } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { decodeCursor, pageOf, type Page } from '../../kernel/page.js';
import { z } from 'zod';
import { isUniqueViolation } from '../directory/directory.errors.js';
import { BUILT_IN_STATUSES, isBuiltInStatusId, type CaseStatus, type CustomStatusCategory } from './cases.model.js';
import { nameKey, statusesRepo } from './statuses.repo.js';
import { builtInStatusImmutable } from './cases.errors.js';

const nameTaken = (name: string): DomainError =>
  new DomainError('already_exists', `the account already has a case status named ${JSON.stringify(name)}`, [{ name: 'name', description: 'already exists' }]);

const builtInByName = (name: string): CaseStatus | undefined => BUILT_IN_STATUSES.find((status) => status.name === nameKey(name));
const builtInById = (id: string): CaseStatus | undefined => BUILT_IN_STATUSES.find((status) => status.id === id);

/**
 * Case statuses: the six built-in ones (ids and names are their categories, never changed) and
 * the account's custom ones. Names are unique per account case-insensitively, built-in names included.
 */
export class CaseStatusesService {
  constructor(private readonly storage: Storage, private readonly clock: Clock) {}

  /** Built-ins first (in category order), then the custom statuses in creation order. */
  async all(accountId: string, executor: Executor = this.storage.db): Promise<CaseStatus[]> {
    return [...BUILT_IN_STATUSES, ...(await statusesRepo(executor).all(accountId))];
  }

  /** The status named `name`, compared case-insensitively; `executor` lets a transaction in progress ask. */
  async byName(accountId: string, name: string, executor: Executor = this.storage.db): Promise<CaseStatus | undefined> {
    return builtInByName(name) ?? statusesRepo(executor).findByName(accountId, name);
  }

  async byId(accountId: string, id: string, executor: Executor = this.storage.db): Promise<CaseStatus | undefined> {
    return builtInById(id) ?? statusesRepo(executor).find(accountId, id);
  }

  /** One page of `all`, keyed by the last status's id. */
  async list(accountId: string, cursor: string | undefined, perPage: number): Promise<Page<CaseStatus>> {
    const all = await this.all(accountId);
    // Statuses are never deleted, so a cursor this API issued always names one.
    const after = decodeCursor(cursor, z.string().refine((id) => all.some((status) => status.id === id)));
    const start = after === undefined ? 0 : all.findIndex((status) => status.id === after) + 1;
    return pageOf(all.slice(start, start + perPage + 1), perPage, all.length, (status) => status.id);
  }

  async get(accountId: string, id: string): Promise<CaseStatus> {
    const found = await this.byId(accountId, id);
    if (!found) throw notFound('case status');
    return found;
  }

  /** Every status's name by id, for rendering many cases at once. */
  async names(accountId: string, executor: Executor = this.storage.db): Promise<Map<string, string>> {
    return new Map((await this.all(accountId, executor)).map((status) => [status.id, status.name]));
  }

  async create(accountId: string, input: { name: string; category: CustomStatusCategory; active?: boolean | undefined }): Promise<CaseStatus> {
    if (builtInByName(input.name)) throw nameTaken(input.name);
    const now = this.clock.now();
    const status: CaseStatus = { id: newId(now.getTime()), name: input.name.trim(), category: input.category, active: input.active ?? true, built_in: false };
    try {
      await statusesRepo(this.storage.db).insert(accountId, status, now.toISOString());
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(input.name);
      throw error;
    }
    return status;
  }

  /** Renames, deactivates or reactivates a custom status; built-ins cannot change (409). */
  async update(accountId: string, id: string, patch: { name?: string | undefined; active?: boolean | undefined }): Promise<CaseStatus> {
    if (isBuiltInStatusId(id)) throw builtInStatusImmutable();
    const repo = statusesRepo(this.storage.db);
    if (!(await repo.find(accountId, id))) throw notFound('case status');
    if (patch.name !== undefined && builtInByName(patch.name)) throw nameTaken(patch.name);
    try {
      await repo.update(accountId, id, { ...patch, name: patch.name?.trim() }, this.clock.now().toISOString());
    } catch (error) {
      if (patch.name !== undefined && isUniqueViolation(error)) throw nameTaken(patch.name);
      throw error;
    }
    return this.get(accountId, id);
  }
}
