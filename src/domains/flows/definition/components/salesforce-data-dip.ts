import { z } from 'zod';
import { defineComponent, fixedExits } from '../component-spec.js';
import { httpsUrl, text, variableName } from '../fields.js';

const fieldName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'must be a field name such as Name or Account.Owner.Email');

/** A SOQL query against a Salesforce org; fields of the first record land in variables. */
export const salesforceDataDip = defineComponent({
  kind: 'non_voice',
  config: z.strictObject({
    connection: z.strictObject({ instance_url: httpsUrl, token_ref: text(200) }),
    soql: text(20_000),
    output: z.record(variableName, fieldName).default({}),
  }),
  exits: fixedExits(['found', 'not_found', 'error']),
  templates: (config) => [{ path: ['soql'], text: config.soql }],
  outputs: (config) => Object.keys(config.output).map((variable) => ({ variable, exits: ['found'], path: ['output', variable] })),
});
