import type { ComponentNode } from './component-node.js';
import { BUILTIN_VARIABLES, type FlowTrigger, type FlowVariables } from './definition.model.js';
import { triggerSchema, variablesSchema } from './definition.schema.js';
import type { FlowGraph } from './graph.js';
import { isPlainObject } from './plain-object.js';
import { problem, type DefinitionProblem } from './problems.js';
import { parseInto } from './zod-issues.js';

/**
 * Two arguments may share neither a name (one request field) nor a variable (one destination).
 * Read from the arguments as written, so an argument's other mistakes do not hide the clash.
 */
function reportDuplicateArguments(args: readonly unknown[], problems: DefinitionProblem[]): void {
  for (const field of ['name', 'variable'] as const) {
    const seen = new Map<string, number>();
    args.forEach((arg, index) => {
      const value = isPlainObject(arg) ? arg[field] : undefined;
      if (typeof value !== 'string') return;
      const first = seen.get(value);
      if (first === undefined) {
        seen.set(value, index);
        return;
      }
      const path = ['trigger', 'arguments', index, field];
      problems.push(problem('duplicate_argument', null, path, `trigger.arguments[${index}].${field} "${value}" is already used by trigger.arguments[${first}]`));
    });
  }
}

export function readTrigger(raw: unknown, problems: DefinitionProblem[]): FlowTrigger | null {
  const trigger = parseInto(triggerSchema, raw, { base: ['trigger'], component: null, fallback: 'invalid_definition' }, problems);
  const written = trigger?.arguments ?? (isPlainObject(raw) && Array.isArray(raw.arguments) ? raw.arguments : []);
  reportDuplicateArguments(written, problems);
  written.forEach((arg, index) => {
    const variable = isPlainObject(arg) ? arg.variable : undefined;
    if (typeof variable === 'string' && isBuiltIn(variable)) {
      problems.push(problem('read_only_variable', null, ['trigger', 'arguments', index, 'variable'], readOnly(variable)));
    }
  });
  return trigger;
}

export const isBuiltIn = (variable: string): boolean => (BUILTIN_VARIABLES as readonly string[]).includes(variable);
export const readOnly = (variable: string): string => `"${variable}" is a built-in variable the platform sets; choose another name`;

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
