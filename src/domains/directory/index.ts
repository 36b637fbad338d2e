import type { NumbersService } from './numbers.service.js';
import type { SkillsService } from './skills.service.js';
import type { AgentsService } from './agents.service.js';
import type { GroupsService } from './groups.service.js';

export { NumbersService } from './numbers.service.js';
export type { PhoneNumber } from './numbers.model.js';
export * from './numbers.schema.js';
export { SkillsService } from './skills.service.js';
export { CALLBACK_STRATEGIES, DEFAULT_ANNOUNCEMENTS, SKILL_DEFAULTS } from './skills.model.js';
export type { Announcement, Announcements, CallbackStrategy, Skill, SkillSettings } from './skills.model.js';
export * from './skills.schema.js';
export { AgentsService, type AgentAvailableHook } from './agents.service.js';
export { AGENT_STATUSES } from './agents.model.js';
export type { Agent, AgentFilters, AgentInput, AgentPatch, AgentStatus } from './agents.model.js';
export * from './agents.schema.js';
export { GroupsService } from './groups.service.js';
export type { Group, GroupInput, GroupPatch } from './groups.model.js';
export * from './groups.schema.js';

/** The directory's services, as the composition root wires them. */
export interface DirectoryServices {
  numbers: NumbersService;
  skills: SkillsService;
  agents: AgentsService;
  groups: GroupsService;
}
