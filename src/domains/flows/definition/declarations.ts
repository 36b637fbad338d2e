import type { ComponentNode } from './component-node.js';
import type { FlowTrigger, FlowVariables } from './definition.model.js';
import { triggerSchema, variablesSchema } from './definition.schema.js';
import type { FlowGraph } from './graph.js';
import { problem, type DefinitionProblem } from './problems.js';
import { parseInto } from './zod-issues.js';

/** Two arguments may share neither a name (one request field) nor a variable (one destination). */
function reportDuplicateArguments(trigger: FlowTrigger, problems: DefinitionProblem[]): void {
  for (const field of ['name', 'variable'] as const) {
    const seen = new Map<string, number>();
    trigger.arguments.forEach((arg, index) => {
      const first = seen.get(arg[field]);
      if (first === undefined) {
        seen.set(arg[field], index);
        return;
      }
      const path = ['trigger', 'arguments', index, field];
      problems.push(problem('duplicate_argument', null, path, `trigger.arguments[${index}].${field} "${arg[field]}" is already used by trigger.arguments[${first}]`));
    });
  }
}

export function readTrigger(raw: unknown, problems: DefinitionProblem[]): FlowTrigger | null {
  const trigger = parseInto(triggerSchema, raw, { base: ['trigger'], component: null, fallback: 'invalid_definition' }, problems);
  if (trigger !== null) reportDuplicateArguments(trigger, problems);
  return trigger;
}

export const readVariables = (raw: unknown, problems: DefinitionProblem[]): FlowVariables | null =>
  parseInto(variablesSchema, raw, { base: ['variables'], component: null, fallback: 'invalid_definition' }, problems);

/** The component `start` names, or null (reported) when there is none. */
export function readStart(raw: unknown, graph: FlowGraph, problems: DefinitionProblem[]): ComponentNode | null {
  if (raw === undefined || raw === null || raw === '') {
    problems.push(problem('missing_start', null, ['start'], 'start is required: the id of the first component to run'));
    return null;
  }
  if (typeof raw !== 'string') {
    problems.push(problem('invalid_definition', null, ['start'], 'start must be the id of a component'));
    return null;
  }
  const node = graph.byId.get(raw);
  if (node === undefined) problems.push(problem('unknown_start', null, ['start'], `start names "${raw}", which is not a component id`));
  return node ?? null;
}
