import { z } from 'zod';
import { variableName } from './fields.js';
import { VARIABLE_NAME } from './names.js';

export const TOP_LEVEL_FIELDS = ['trigger', 'variables', 'start', 'components'] as const;
export const COMPONENT_FIELDS = ['id', 'type', 'config', 'exits'] as const;

/** An input argument of the start request; its value lands in `variable` (by default, its own name). */
const argument = z
  .strictObject({
    name: z.string().regex(VARIABLE_NAME, 'must be an argument name: a letter or "_", then letters, digits or "_"'),
    variable: variableName.optional(),
    required: z.boolean().default(false),
  })
  .transform((arg) => ({ name: arg.name, variable: arg.variable ?? arg.name, required: arg.required }));

export const triggerSchema = z
  .strictObject({
    type: z.literal('api'),
    arguments: z.array(argument).max(100).default([]),
  })
  .default({ type: 'api', arguments: [] });

const variableValue = z.union([z.string(), z.number(), z.boolean(), z.null()], 'must be a string, a number, a boolean or null');

/** Flow variables with their starting values. */
export const variablesSchema = z.record(variableName, variableValue).default({});
