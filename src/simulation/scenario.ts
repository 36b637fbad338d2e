import { z } from 'zod';
import { phoneScriptSchema } from '../adapters/telephony/simulated/index.js';
import { NOTE_VISIBILITIES } from '../domains/cases/index.js';
import { callSchema } from '../domains/continuity/index.js';
import { isE164 } from '../kernel/phone.js';

const instant = z.iso.datetime({ offset: true });

/** One scripted answer to a request a flow makes (execute_action, salesforce_data_dip). */
export const scriptedResponseSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
  /** The request's URL exactly, or a prefix ending in `*`. */
  url: z.string().min(1).max(2000),
  status: z.number().int().min(100).max(599).default(200),
  /** A JSON value (sent as JSON) or a string (sent as is). */
  body: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).default({}),
});

/** What a scenario expects; the CLI exits non-zero when the run differs. */
export const expectationSchema = z.strictObject({
  status: z.enum(['completed', 'failed']).optional(),
  /** The components in the order they ran, each `id` or `id:exit`. */
  path: z.array(z.string().min(1)).optional(),
});

/**
 * A simulation's world: the arguments, how each dialled number behaves, the answers to HTTP
 * requests, the start time, and what should happen. The same shape is the body of
 * `POST /flows/{flow_id}/simulate` and the `--scenario` file of `switchboard flows simulate`.
 */
export const scenarioSchema = z.strictObject({
  /** `draft` (the default) or a published version number; the CLI runs the file it is given. */
  version: z.union([z.literal('draft'), z.number().int().min(1)]).default('draft'),
  arguments: z.record(z.string(), z.unknown()).default({}),
  // Keys checked here rather than by the record's key schema, whose failure only says "Invalid key in record".
  phones: z
    .record(z.string(), phoneScriptSchema)
    .superRefine((phones, ctx) => {
      for (const number of Object.keys(phones)) {
        if (!isE164(number)) ctx.addIssue({ code: 'custom', path: [number], message: 'must be an E.164 number such as +14155550100' });
      }
    })
    .default({}),
  http: z.array(scriptedResponseSchema).max(1000).default([]),
  start_at: instant.refine((at) => Date.parse(at) >= 0, 'must be 1970-01-01 or later').optional(),
  /** Seeds the traffic splitter's draws, so a run repeats exactly. */
  seed: z.number().int().min(0).default(1),
  expect: expectationSchema.optional(),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScriptedResponse = z.output<typeof scriptedResponseSchema>;
export type Expectation = z.output<typeof expectationSchema>;

export const simulationResultSchema = z.object({
  status: z.enum(['completed', 'failed']),
  reason: z.string().nullable(),
  steps: z.array(
    z.object({ component: z.string(), type: z.string(), exit: z.string().nullable(), started_at: z.string(), ended_at: z.string(), detail: z.record(z.string(), z.unknown()) }),
  ),
  variables: z.record(z.string(), z.string()),
  virtual_duration_s: z.number(),
  calls: z.array(callSchema).describe('The calls the flow placed, as GET /calls shows them'),
  requests: z.array(z.object({ method: z.string(), url: z.string() })),
  callbacks: z.array(z.object({ skill: z.string(), number: z.string() })).describe('Callbacks request_direct_callback would have queued'),
  cases: z
    .object({
      created: z.array(z.object({ case_id: z.string(), fields: z.record(z.string(), z.unknown()) })),
      updated: z.array(
        z.object({
          case_id: z.string(),
          changes: z.record(z.string(), z.unknown()),
          note: z.object({ body: z.string(), visibility: z.enum(NOTE_VISIBILITIES) }).nullable(),
        }),
      ),
    })
    .describe('Cases create_case would have created and changes update_case would have made (simulated-case-<n> ids); nothing is stored'),
  expectations: z.object({ met: z.boolean(), mismatches: z.array(z.string()) }).optional(),
});
