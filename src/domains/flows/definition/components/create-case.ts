import { z } from 'zod';
import { CASE_TYPES, PRIORITIES } from '../../../cases/index.js';
import { defineComponent, fixedExits, type TemplateSite } from '../component-spec.js';
import { dateOrTemplate, emailOrTemplate, phoneOrTemplate, text, variableName } from '../fields.js';

/** The templated fields of create_case, in the order they are reported. */
const TEMPLATED = ['title', 'description', 'status', 'requester_name', 'requester_email', 'requester_phone', 'assignee_id', 'group_id', 'due_date'] as const;

/**
 * Opens a case in the cases domain, linked to the interaction (and to the call it holds). Every
 * string is a template; an optional field whose template renders empty is left unset. `failed`
 * is taken when the cases domain refuses the case (an unknown status, a rendered email that is
 * not one); left unwired, the refusal fails the interaction.
 */
export const createCase = defineComponent({
  kind: 'non_voice',
  config: z
    .strictObject({
      title: text(500),
      description: z.string().max(100_000, 'must be at most 100000 characters').optional(),
      type: z.enum(CASE_TYPES).default('question'),
      priority: z.enum(PRIORITIES).optional(),
      status: text(100).optional(),
      requester_name: text(200).optional(),
      requester_email: emailOrTemplate.optional(),
      requester_phone: phoneOrTemplate.optional(),
      assignee_id: text(100).optional(),
      group_id: text(100).optional(),
      due_date: dateOrTemplate.optional(),
      custom_fields: z.record(z.string().min(1).max(100), z.string().max(10_000, 'must be at most 10000 characters')).default({}),
      case_id_variable: variableName.optional(),
    })
    .refine((config) => config.due_date === undefined || config.type === 'task', { path: ['due_date'], error: 'only tasks have a due date' }),
  exits: fixedExits(['created'], ['failed']),
  templates: (config) => [
    ...TEMPLATED.flatMap((field): TemplateSite[] => {
      const value = config[field];
      return value === undefined ? [] : [{ path: [field], text: value }];
    }),
    ...Object.entries(config.custom_fields).map(([key, value]) => ({ path: ['custom_fields', key], text: value })),
  ],
  outputs: (config) => (config.case_id_variable === undefined ? [] : [{ variable: config.case_id_variable, exits: ['created'], path: ['case_id_variable'] }]),
});
