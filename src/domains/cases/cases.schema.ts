import { z } from 'zod';
import { e164 } from '../directory/numbers.schema.js';
import { AUTO_CLOSE_DAYS, CASE_TYPES, CUSTOM_STATUS_CATEGORIES, NOTE_VISIBILITIES, PRIORITIES, STATUS_CATEGORIES } from './cases.model.js';
import { emailAddress } from '../../kernel/email.js';

const MAX_RELATED = 100;
const MAX_CUSTOM_FIELDS_BYTES = 16_384;

const id = z.string().min(1).max(100);
const text = (max: number) => z.string().max(max);
const email = emailAddress().max(254);
/** A calendar date; whether it exists (2026-02-30 does not) is checked too. */
// A year before 1900 is a typo (0026 for 2026), not a due date.
const date = z.iso.date().refine((value) => !/^\d{4}-/.test(value) || value >= '1900-01-01', 'must be a date from 1900 on');
const timestamp = z.iso.datetime({ offset: true });
const channel = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be a lowercase word such as phone, email, chat or api');
const idList = z.array(z.string().min(1).max(100)).max(MAX_RELATED);

/** Each kind given replaces that kind's list; kinds left out are kept. */
export const relatedBody = z.strictObject({
  calls: idList.optional(),
  interactions: idList.optional(),
  messages: idList.optional(),
  callbacks: idList.optional(),
});

const customFields = z
  .record(z.string().min(1).max(100), z.unknown())
  .refine((value) => JSON.stringify(value).length <= MAX_CUSTOM_FIELDS_BYTES, `must be at most ${MAX_CUSTOM_FIELDS_BYTES} bytes of JSON`);

/** Fields both create and PATCH take; `null` clears a field. */
const caseFields = {
  description: text(100_000).nullable(),
  status: z.string().min(1).max(100).describe('the status name (case-insensitive)'),
  type: z.enum(CASE_TYPES),
  priority: z.enum(PRIORITIES).nullable(),
  requester_id: id.nullable(),
  requester_name: text(200).nullable(),
  requester_email: email.nullable(),
  requester_phone: e164.nullable(),
  assignee_id: id.nullable(),
  group_id: id.nullable(),
  problem_id: id.nullable().describe('incidents only: the problem case this incident belongs to'),
  due_date: date.nullable().describe("tasks only: due at 12:00 that day in the account's time zone"),
  due_at: timestamp.nullable().describe('tasks only'),
  resolution: text(10_000).nullable(),
  custom_fields: customFields.describe('PATCH merges: a key set to null is removed'),
  channel: channel.nullable(),
  related: relatedBody,
};

const title = z.string().trim().min(1, 'must not be empty').max(500);

const optionalFields = z.object(caseFields).partial().shape;

export const createCaseBody = z.strictObject({ title, ...optionalFields });
export const updateCaseBody = z.strictObject({ title: title.optional(), ...optionalFields });

export type CreateCaseInput = z.output<typeof createCaseBody>;
export type UpdateCaseInput = z.output<typeof updateCaseBody>;

const nullableString = z.string().nullable();

export const caseSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: nullableString,
  status: z.string(),
  status_category: z.enum(STATUS_CATEGORIES),
  type: z.enum(CASE_TYPES),
  priority: z.enum(PRIORITIES).nullable(),
  requester_id: nullableString,
  requester_name: nullableString,
  requester_email: nullableString,
  requester_phone: nullableString,
  assignee_id: nullableString,
  group_id: nullableString,
  problem_id: nullableString,
  due_at: nullableString,
  resolution: nullableString,
  custom_fields: z.record(z.string(), z.unknown()),
  channel: nullableString,
  related: z.object({ calls: z.array(z.string()), interactions: z.array(z.string()), messages: z.array(z.string()), callbacks: z.array(z.string()) }),
  created_at: z.string(),
  updated_at: z.string(),
  resolved_at: nullableString,
  closed_at: nullableString,
  deleted_at: nullableString.describe('set while the case is in the trash'),
});

export const createNoteBody = z.strictObject({
  body: z.string().trim().min(1, 'must not be empty').max(100_000),
  visibility: z.enum(NOTE_VISIBILITIES).default('public'),
});

export const noteSchema = z.object({
  id: z.string(),
  case_id: z.string(),
  body: z.string(),
  visibility: z.enum(NOTE_VISIBILITIES),
  author: z.string(),
  created_at: z.string(),
});

export const auditEntrySchema = z.object({
  id: z.string(),
  case_id: z.string(),
  actor: z.string(),
  action: z.string(),
  field: nullableString,
  old_value: z.unknown(),
  new_value: z.unknown(),
  detail: nullableString,
  created_at: z.string(),
});

const statusName = z.string().trim().min(1, 'must not be empty').max(100);

export const caseStatusSchema = z.object({
  id: z.string(),
  name: z.string(),
  category: z.enum(STATUS_CATEGORIES),
  active: z.boolean(),
  built_in: z.boolean(),
});

export const createCaseStatusBody = z.strictObject({
  name: statusName,
  category: z.enum(CUSTOM_STATUS_CATEGORIES),
  active: z.boolean().default(true),
});

/** A status's category cannot change: cases in it would silently change category. */
export const updateCaseStatusBody = z.strictObject({
  name: statusName.optional(),
  active: z.boolean().optional(),
});

export const caseSettingsSchema = z.object({ auto_close_after_days: z.number().int() });

export const caseSettingsBody = z.strictObject({
  auto_close_after_days: z.number().int().min(AUTO_CLOSE_DAYS.min).max(AUTO_CLOSE_DAYS.max),
});
