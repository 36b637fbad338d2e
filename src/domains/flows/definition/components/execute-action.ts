import { z } from 'zod';
import { defineComponent, fixedExits, type TemplateSite } from '../component-spec.js';
import { headerName, httpUrlOrTemplate, jsonPath, variableName, wholeNumber } from '../fields.js';
import type { Path } from '../json-path.js';

/** Every string inside a JSON body is a template. */
function bodyTemplates(value: unknown, path: Path): TemplateSite[] {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => bodyTemplates(item, [...path, index]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => bodyTemplates(item, [...path, key]));
  }
  return [];
}

/** An HTTP request to the customer's systems; `output` maps JSON paths of the response to variables. */
export const executeAction = defineComponent({
  kind: 'non_voice',
  config: z.strictObject({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    url: httpUrlOrTemplate,
    headers: z.record(headerName, z.string().max(8000)).default({}),
    body: z.json().optional(),
    timeout_ms: wholeNumber(1, 10_000).default(5000),
    retry: z
      .strictObject({
        max_retries: wholeNumber(0, 5).default(2),
        backoff_ms: wholeNumber(0, 10_000).default(500),
      })
      .prefault({}),
    output: z.record(variableName, jsonPath).default({}),
  }),
  exits: fixedExits(['success', 'failure']),
  templates: (config) => [
    { path: ['url'], text: config.url },
    ...Object.entries(config.headers).map(([name, value]) => ({ path: ['headers', name], text: value })),
    ...bodyTemplates(config.body, ['body']),
  ],
  outputs: (config) => Object.keys(config.output).map((variable) => ({ variable, exits: ['success'], path: ['output', variable] })),
});
