/** How a callback on the skill is dialled: hold an agent first, or dial and queue the customer. */
export const CALLBACK_STRATEGIES = ['reserve_agent', 'wait_in_queue'] as const;
export type CallbackStrategy = (typeof CALLBACK_STRATEGIES)[number];

/** What a callback says when the customer answers, in one language. */
export interface Announcement {
  greeting: string;
  prompt: string;
}

/** Announcements keyed by canonical BCP-47 language tag. */
export type Announcements = Record<string, Announcement>;

export interface Skill {
  id: string;
  name: string;
  callback_strategy: CallbackStrategy;
  language: string;
  max_attempts: number;
  retry_delay_s: number;
  announcements: Announcements;
  created_at: string;
  updated_at: string;
}

export type SkillSettings = Pick<Skill, 'callback_strategy' | 'language' | 'max_attempts' | 'retry_delay_s' | 'announcements'>;

export const DEFAULT_ANNOUNCEMENTS: Announcements = {
  'en-US': {
    greeting: 'Hello, this is the callback you requested from us.',
    prompt: 'Press 1 to be connected to an agent, 2 to snooze this callback, or 3 to cancel it.',
  },
};

/** What a skill created with only a name gets. */
export const SKILL_DEFAULTS: SkillSettings = {
  callback_strategy: 'reserve_agent',
  language: 'en-US',
  max_attempts: 3,
  retry_delay_s: 300,
  announcements: DEFAULT_ANNOUNCEMENTS,
};
