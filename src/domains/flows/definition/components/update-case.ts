import { z } from 'zod';
import { NOTE_VISIBILITIES, PRIORITIES } from '../../../cases/index.js';
import { defineComponent, fixedExits, type TemplateSite } from '../component-spec.js';
import { text } from '../fields.js';

/** The templated fields of update_case, in the order they are reported. */
const TEMPLATED = ['case_id', 'status', 'assignee_id', 'group_id', 'resolution', 'note'] as const;

/** The fields update_case can change; at least one must be given. */
export const CASE_CHANGES = ['status', 'priority', 'assignee_id', 'group_id', 'resolution', 'note'] as const;

/**
 * Changes a case and optionally adds a note to it. Every string is a template; a field whose
 * template renders empty is left unchanged. `not_found` is taken for a case the account does not
 * have (left unwired: `failed`), `failed` when the cases domain refuses the change (the case is
 * closed, resolving without a resolution, an unknown status); left unwired, the refusal fails the
 * interaction.
 */
export const updateCase = defineComponent({
  kind: 'non_voice',
  config: z
    .strictObject({
      case_id: text(200),
      status: text(100).optional(),
      priority: z.enum(PRIORITIES).optional(),
      assignee_id: text(100).optional(),
      group_id: text(100).optional(),
      resolution: text(10_000).optional(),
      note: text(100_000).optional(),
      note_visibility: z.enum(NOTE_VISIBILITIES).default('internal'),
    })
    .refine((config) => CASE_CHANGES.some((field) => config[field] !== undefined), {
      error: `must change something: give at least one of ${CASE_CHANGES.join(', ')}`,
    }),
  exits: fixedExits(['updated'], ['not_found', 'failed']),
  templates: (config) =>
    TEMPLATED.flatMap((field): TemplateSite[] => {
      const value = config[field];
      return value === undefined ? [] : [{ path: [field], text: value }];
    }),
});
