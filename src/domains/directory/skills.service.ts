import type { Executor, Storage } from '../../ports/storage.js';
import type { Clock } from '../../kernel/clock.js';
import { notFound } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import type { Page } from '../../kernel/page.js';
import { pageOf } from '../../kernel/page.js';
import { isUniqueViolation, skillNameTaken } from './directory.errors.js';
import { SKILL_DEFAULTS, type Skill, type SkillSettings } from './skills.model.js';
import { skillsRepo, type SkillPatch } from './skills.repo.js';

/** Called inside the transaction of a skill's change: what depends on the skill follows exactly when the change commits. */
export interface SkillHooks {
  /** Whatever waits on the skill learns of its deletion. */
  deleted?: (executor: Executor, accountId: string, skillId: string) => Promise<void>;
  /** What shows the skill's name shows its new one. */
  renamed?: (executor: Executor, accountId: string, skillId: string, name: string) => Promise<void>;
}

/** Skills: what callbacks queue on and agents are matched by. Names are unique per account and matched exactly. */
export class SkillsService {
  constructor(private readonly storage: Storage, private readonly clock: Clock, private readonly hooks: SkillHooks = {}) {}

  async create(accountId: string, input: { name: string } & Partial<SkillSettings>): Promise<Skill> {
    const now = this.clock.now();
    const at = now.toISOString();
    const skill: Skill = {
      id: newId(now.getTime()),
      name: input.name,
      callback_strategy: input.callback_strategy ?? SKILL_DEFAULTS.callback_strategy,
      language: input.language ?? SKILL_DEFAULTS.language,
      max_attempts: input.max_attempts ?? SKILL_DEFAULTS.max_attempts,
      retry_delay_s: input.retry_delay_s ?? SKILL_DEFAULTS.retry_delay_s,
      announcements: input.announcements ?? structuredClone(SKILL_DEFAULTS.announcements),
      created_at: at,
      updated_at: at,
    };
    if (!(await skillsRepo(this.storage.db).insert(accountId, skill))) throw skillNameTaken(input.name);
    return skill;
  }

  async get(accountId: string, id: string): Promise<Skill> {
    const found = await this.find(accountId, id);
    if (!found) throw notFound('skill');
    return found;
  }

  /** The skill, or undefined once it is deleted. */
  find(accountId: string, id: string): Promise<Skill | undefined> {
    return skillsRepo(this.storage.db).find(accountId, id);
  }

  /** The skill whose name is exactly `name` (case and spaces included), if the account has one. */
  findByExactName(accountId: string, name: string): Promise<Skill | undefined> {
    return skillsRepo(this.storage.db).findByName(accountId, name);
  }

  /** Every skill name of the account: what a flow may queue callbacks on. */
  names(accountId: string): Promise<string[]> {
    return skillsRepo(this.storage.db).names(accountId);
  }

  async list(accountId: string, after: string | undefined, perPage: number): Promise<Page<Skill>> {
    const repo = skillsRepo(this.storage.db);
    const [rows, total] = await Promise.all([repo.list(accountId, after, perPage + 1), repo.count(accountId)]);
    return pageOf(rows, perPage, total, (row) => row.id);
  }

  async update(accountId: string, id: string, patch: SkillPatch): Promise<Skill> {
    let updated: boolean;
    try {
      updated = await this.storage.db.transaction().execute(async (trx) => {
        if (!(await skillsRepo(trx).update(accountId, id, patch, this.clock.now().toISOString()))) return false;
        if (patch.name !== undefined) await this.hooks.renamed?.(trx, accountId, id, patch.name);
        return true;
      });
    } catch (error) {
      if (patch.name !== undefined && isUniqueViolation(error)) throw skillNameTaken(patch.name);
      throw error;
    }
    if (!updated) throw notFound('skill');
    return this.get(accountId, id);
  }

  /** Agents lose the skill with it (agent_skills cascades); whatever waits on the skill hears of it in the same transaction. */
  async delete(accountId: string, id: string): Promise<void> {
    await this.storage.db.transaction().execute(async (trx) => {
      if (!(await skillsRepo(trx).delete(accountId, id))) throw notFound('skill');
      await this.hooks.deleted?.(trx, accountId, id);
    });
  }
}
