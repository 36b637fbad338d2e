import { z } from 'zod';
import { defineComponent, exitsFrom } from '../component-spec.js';
import { exitName, reportDuplicates, variableName } from '../fields.js';
import type { ProblemCode } from '../problems.js';

/** Percentages are decimals; this absorbs the binary rounding of sums such as 33.3 + 33.3 + 33.4. */
const SUM_TOLERANCE = 1e-9;

const config = z.strictObject({
  branches: z
    .array(z.strictObject({ exit: exitName, percent: z.number().min(0).max(100) }))
    .min(1)
    .max(100)
    .superRefine((branches, ctx) => {
      reportDuplicates(branches.map((b) => b.exit), ctx, (index) => [index, 'exit'], 'exit');
      const sum = branches.reduce((total, b) => total + b.percent, 0);
      if (Math.abs(sum - 100) > SUM_TOLERANCE) {
        const message = `percentages must add up to 100, not ${Number(sum.toFixed(6))}`;
        ctx.addIssue({ code: 'custom', message, params: { code: 'splitter_percent_sum' satisfies ProblemCode } });
      }
    }),
  sticky_by: variableName.optional(),
});

type Config = z.output<typeof config>;

/** Sends each run down one branch at random by percentage; `sticky_by` keeps a value on one branch. */
export const trafficSplitter = defineComponent({
  kind: 'non_voice',
  config,
  exits: exitsFrom((parsed: Config) => ({ mandatory: parsed.branches.map((b) => b.exit), optional: [] })),
  references: (parsed) => (parsed.sticky_by === undefined ? [] : [{ path: ['sticky_by'], variable: parsed.sticky_by }]),
});
