import { z } from 'zod';
import { isE164, isTimeZone } from '../../../kernel/phone.js';
import type { Path } from './json-path.js';
import { VARIABLE_NAME } from './names.js';
import type { ProblemCode } from './problems.js';
import { hasTemplate } from './templates.js';
import { emailAddress } from '../../../kernel/email.js';

/** Refinement params that give a failed check its own problem code instead of `invalid_config`. */
export const coded = (code: ProblemCode, message: string) => ({ error: message, params: { code } });

export const variableName = z
  .string()
  .regex(VARIABLE_NAME, 'must be a variable name: a letter or "_", then letters, digits or "_" (64 at most)');

export const exitName = z
  .string()
  .regex(VARIABLE_NAME, 'must be an exit name: a letter or "_", then letters, digits or "_" (64 at most)');

/** An integer in [min, max]; one message for every way of missing it. */
export function wholeNumber(min: number, max: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.number(message).int(message).min(min, message).max(max, message);
}

export const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

export const e164 = z.string().refine(isE164, 'must be an E.164 number such as +14155550100');

/** A number to dial: E.164, or a template that yields one at run time. */
export const phoneOrTemplate = z
  .string()
  .trim()
  .refine(
    (value) => hasTemplate(value) || isE164(value),
    'must be an E.164 number such as +14155550100, or a template such as {{customer_number}}',
  );

/** An email address, or a template that yields one at run time. */
export const emailOrTemplate = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .refine((value) => hasTemplate(value) || emailAddress().safeParse(value).success, 'must be an email address, or a template such as {{customer_email}}');

/** A calendar date (YYYY-MM-DD), or a template that yields one at run time. */
export const dateOrTemplate = z
  .string()
  .trim()
  .refine((value) => hasTemplate(value) || z.iso.date().safeParse(value).success, 'must be a date such as 2026-11-30, or a template such as {{due_date}}');

export const timeZone = z.string().refine(isTimeZone, coded('invalid_timezone', 'must be an IANA time zone such as Europe/Lisbon'));

const isHttpUrl = (value: string, protocols: readonly string[]): boolean =>
  URL.canParse(value) && protocols.includes(new URL(value).protocol);

/** An http(s) URL; a templated one is checked when it is rendered. */
export const httpUrlOrTemplate = z
  .string()
  .trim()
  .refine(
    (value) => (hasTemplate(value) ? /^(https?:\/\/|\{\{)/.test(value) : isHttpUrl(value, ['http:', 'https:'])),
    'must be an http or https URL',
  );

export const httpsUrl = z.string().trim().refine((value) => isHttpUrl(value, ['https:']), 'must be an https URL');

const isLanguageTag = (value: string): boolean => {
  try {
    return Intl.getCanonicalLocales(value).length === 1;
  } catch {
    return false;
  }
};

export const language = z.string().refine(isLanguageTag, 'must be a language tag such as en-US').default('en-US');

/** What a voice component plays: text-to-speech, or a recording at a URL. Exactly one of the two. */
export const audioSource = z
  .strictObject({
    tts: z.strictObject({ text: text(2000), language }).optional(),
    audio_url: httpUrlOrTemplate.optional(),
  })
  .refine((source) => (source.tts === undefined) !== (source.audio_url === undefined), 'must have exactly one of "tts" or "audio_url"');

export type AudioSource = z.output<typeof audioSource>;

/** The templated strings of an audio source, at their paths below `base`. */
export function audioTemplates(source: AudioSource | undefined, base: Path): { path: Path; text: string }[] {
  if (source === undefined) return [];
  if (source.tts !== undefined) return [{ path: [...base, 'tts', 'text'], text: source.tts.text }];
  if (source.audio_url !== undefined) return [{ path: [...base, 'audio_url'], text: source.audio_url }];
  return [];
}

const JSON_PATH = /^\$(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\['(?:[^'\\]|\\.)*'\])*$/;

/** The JSONPath subset an output mapping reads with: names, indexes and quoted keys. */
export const jsonPath = z.string().regex(JSON_PATH, "must be a JSON path such as $.data.items[0].id or $['x-id']");

/** An HTTP header name (an RFC 9110 token). */
export const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name');

/** Reports the values that appear more than once, at `[...at(index)]`; used for exit names. */
export function reportDuplicates(values: readonly string[], ctx: z.core.$RefinementCtx, at: (index: number) => Path, what: string): void {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [...at(index)], message: `repeats the ${what} "${value}"` });
    seen.add(value);
  });
}

/** Reports exit names that clash with a component's fixed exits. */
export function reportReserved(values: readonly string[], reserved: readonly string[], ctx: z.core.$RefinementCtx, at: (index: number) => Path): void {
  values.forEach((value, index) => {
    if (reserved.includes(value)) ctx.addIssue({ code: 'custom', path: [...at(index)], message: `cannot be "${value}": that exit is already taken by the component` });
  });
}
