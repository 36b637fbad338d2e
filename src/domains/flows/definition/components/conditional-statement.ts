import { z } from 'zod';
import { defineComponent, exitsFrom, type TemplateSite, type VariableReference } from '../component-spec.js';
import { exitName, reportDuplicates, reportReserved, variableName } from '../fields.js';

export const CONDITION_OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains', 'starts_with', 'exists'] as const;

const comparison = z
  .strictObject({
    variable: variableName,
    op: z.enum(CONDITION_OPERATORS),
    value: z.union([z.string(), z.number(), z.boolean()], 'must be a string, a number or a boolean').optional(),
  })
  .superRefine((comparison, ctx) => {
    if (comparison.op === 'exists' && comparison.value !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be left out when op is "exists"' });
    }
    if (comparison.op !== 'exists' && comparison.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `is required when op is "${comparison.op}"` });
    }
  });

const condition = z.strictObject({ exit: exitName, all: z.array(comparison).min(1).max(50) });

const config = z.strictObject({
  conditions: z
    .array(condition)
    .min(1)
    .max(50)
    .superRefine((conditions, ctx) => {
      const exits = conditions.map((c) => c.exit);
      reportDuplicates(exits, ctx, (index) => [index, 'exit'], 'exit');
      reportReserved(exits, ['default'], ctx, (index) => [index, 'exit']);
    }),
});

type Config = z.output<typeof config>;

const comparisons = (parsed: Config) =>
  parsed.conditions.flatMap((c, i) => c.all.map((comparison, j) => ({ comparison, path: ['conditions', i, 'all', j] as const })));

/** Leaves by the exit of the first condition whose comparisons all hold, else by `default`. */
export const conditionalStatement = defineComponent({
  kind: 'non_voice',
  config,
  exits: exitsFrom((parsed: Config) => ({ mandatory: [...parsed.conditions.map((c) => c.exit), 'default'], optional: [] })),
  templates: (parsed): TemplateSite[] =>
    comparisons(parsed).flatMap(({ comparison, path }) =>
      typeof comparison.value === 'string' ? [{ path: [...path, 'value'], text: comparison.value }] : [],
    ),
  references: (parsed): VariableReference[] =>
    comparisons(parsed).map(({ comparison, path }) => ({ path: [...path, 'variable'], variable: comparison.variable })),
});
