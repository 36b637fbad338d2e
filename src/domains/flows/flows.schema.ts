import { z } from 'zod';
import { PROBLEM_CODES } from './definition/index.js';
import { INTERACTIONS_METHOD, INTERACTIONS_SCOPE } from './flows.model.js';

/** Any JSON object: a draft is kept as written and judged by validation, not by the request schema. */
const definitionBody = z.record(z.string(), z.unknown()).describe('The flow definition (see "Flow definition format"); a draft may be incomplete');

const flowName = z
  .string()
  .min(1)
  .max(200)
  .refine((value) => value.trim() !== '', 'must not be blank');

export const createFlowBody = z.strictObject({
  name: flowName,
  description: z.string().max(2000).nullable().default(null),
  definition: definitionBody,
});

export const draftBody = z.strictObject({ definition: definitionBody });

export const versionRefSchema = z.object({
  flow_version_id: z.string(),
  version: z.number().int(),
  published_at: z.string(),
});

export const flowSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  draft: z.object({ definition: z.record(z.string(), z.unknown()), updated_at: z.string() }),
  published_version: versionRefSchema.nullable().describe('The latest published version, the one interactions run'),
  created_at: z.string(),
  updated_at: z.string(),
});

/** A definition that passed validation, as a published version holds it. */
const publishedDefinition = z
  .object({
    trigger: z.object({
      type: z.literal('api'),
      arguments: z.array(z.object({ name: z.string(), variable: z.string(), required: z.boolean() })),
    }),
    variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    start: z.string(),
    components: z.array(
      z.object({ id: z.string(), type: z.string(), config: z.record(z.string(), z.unknown()), exits: z.record(z.string(), z.string()) }),
    ),
  })
  .describe('The validated definition with every default applied, exactly as interactions of this version run it');

export const flowVersionSchema = versionRefSchema.extend({ flow_id: z.string(), definition: publishedDefinition });

export const definitionProblemSchema = z.object({
  component: z.string().nullable(),
  path: z.string().describe('JSONPath into the definition, e.g. $.components[0].config.ring_timeout_s'),
  code: z.enum(PROBLEM_CODES),
  message: z.string(),
});

export const validationReportSchema = z.object({ valid: z.boolean(), errors: z.array(definitionProblemSchema) });

export const requestDetailsSchema = z.object({
  flow_id: z.string(),
  flow_version_id: z.string(),
  version: z.number().int(),
  method: z.literal(INTERACTIONS_METHOD),
  url: z.string(),
  path: z.string(),
  scope: z.literal(INTERACTIONS_SCOPE),
  content_type: z.literal('application/json'),
  arguments: z.array(z.object({ name: z.string(), required: z.boolean() })),
  sample_request: z.object({
    method: z.literal(INTERACTIONS_METHOD),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    body: z.record(z.string(), z.string()),
  }),
});
