import { z } from 'zod';
import { CALLBACK_STRATEGIES, SKILL_DEFAULTS } from './skills.model.js';

/** The canonical form of a BCP-47 language tag (`en-us` → `en-US`), or undefined when it is not one. */
export function canonicalLanguage(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

const NOT_A_LANGUAGE = 'must be a BCP-47 language tag such as en-US';
const MAX_LANGUAGES = 50;

/** A BCP-47 language tag, read into its canonical form. */
export const languageTag = z
  .string()
  .min(2)
  .max(35)
  .transform((value, ctx) => {
    const canonical = canonicalLanguage(value);
    if (canonical !== undefined) return canonical;
    ctx.issues.push({ code: 'custom', message: NOT_A_LANGUAGE, input: value });
    return z.NEVER;
  });

/** Skill names are matched exactly, so they are stored as written: no trimming or case folding. */
export const skillName = z
  .string()
  .min(1)
  .max(200)
  .refine((value) => value.trim() !== '', 'must not be blank');

const announcementBody = z.strictObject({
  greeting: z.string().trim().min(1).max(1000),
  prompt: z.string().trim().min(1).max(1000),
});

/** Keyed by language tag; keys are canonicalised, and two spellings of one language are rejected. */
const announcementsBody = z
  .record(
    z.string().refine((key) => canonicalLanguage(key) !== undefined),
    announcementBody,
    { error: (issue) => (issue.code === 'invalid_key' ? NOT_A_LANGUAGE : undefined) },
  )
  .refine((value) => Object.keys(value).length >= 1, 'must have at least one language')
  .refine((value) => Object.keys(value).length <= MAX_LANGUAGES, `must have at most ${MAX_LANGUAGES} languages`)
  .transform((value, ctx) => {
    const canonical: Record<string, z.infer<typeof announcementBody>> = {};
    for (const [key, announcement] of Object.entries(value)) {
      const language = canonicalLanguage(key) ?? key;
      if (language in canonical) {
        ctx.issues.push({ code: 'custom', message: `names the same language as another key (${language})`, input: key, path: [key] });
      }
      canonical[language] = announcement;
    }
    return canonical;
  });

const callbackStrategy = z.enum(CALLBACK_STRATEGIES);
const maxAttempts = z.number().int().min(1).max(10);
const retryDelay = z.number().int().min(10).max(86_400);

export const skillSchema = z.object({
  id: z.string(),
  name: z.string(),
  callback_strategy: callbackStrategy,
  language: z.string(),
  max_attempts: z.number().int(),
  retry_delay_s: z.number().int(),
  announcements: z.record(z.string(), z.object({ greeting: z.string(), prompt: z.string() })),
  created_at: z.string(),
  updated_at: z.string(),
});

export const createSkillBody = z.strictObject({
  name: skillName,
  callback_strategy: callbackStrategy.default(SKILL_DEFAULTS.callback_strategy),
  language: languageTag.default(SKILL_DEFAULTS.language),
  max_attempts: maxAttempts.default(SKILL_DEFAULTS.max_attempts),
  retry_delay_s: retryDelay.default(SKILL_DEFAULTS.retry_delay_s),
  announcements: announcementsBody.default(() => structuredClone(SKILL_DEFAULTS.announcements)),
});

export const updateSkillBody = z.strictObject({
  name: skillName.optional(),
  callback_strategy: callbackStrategy.optional(),
  language: languageTag.optional(),
  max_attempts: maxAttempts.optional(),
  retry_delay_s: retryDelay.optional(),
  announcements: announcementsBody.optional(),
});

export type CreateSkillInput = z.output<typeof createSkillBody>;
export type UpdateSkillInput = z.output<typeof updateSkillBody>;
