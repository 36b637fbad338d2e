import { invalid, type FieldProblem } from '../../../kernel/errors.js';
import type { FlowDefinition } from '../definition/index.js';
import type { Progress } from './interactions.repo.js';

export interface InteractionIds {
  interactionId: string;
  flowId: string;
  flowVersionId: string;
}

/**
 * Where a new interaction starts: at `start`, with the declared variables, the built-in ones and
 * the caller's arguments (checked against the declaration: strings only, none unknown, every
 * required one present — 400 with a field per problem otherwise, named after `fieldPrefix`: the
 * path of the arguments in the request).
 */
export function startState(definition: FlowDefinition, ids: InteractionIds, args: Record<string, unknown>, fieldPrefix = ''): Progress {
  const declared: [string, string][] = Object.entries(definition.variables).map(([name, value]) => [name, value === null ? '' : String(value)]);
  const builtIn = { interaction_id: ids.interactionId, flow_id: ids.flowId, flow_version_id: ids.flowVersionId, contact_number: '', touchpoint_number: '' };
  const variables: Record<string, string> = { ...Object.fromEntries(declared), ...builtIn, ...argumentValues(definition, args, fieldPrefix) };
  return { status: 'running', current: definition.start, variables, call: null, steps: 0, repeats: 0, reason: null, leg: null };
}

function argumentValues(definition: FlowDefinition, args: Record<string, unknown>, fieldPrefix: string): Record<string, string> {
  const declared = new Map(definition.trigger.arguments.map((arg) => [arg.name, arg]));
  const problems: FieldProblem[] = [];
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(args)) {
    const argument = declared.get(name);
    if (!argument) problems.push({ name: fieldPrefix + name, description: 'is not an argument of this flow' });
    else if (typeof value !== 'string') problems.push({ name: fieldPrefix + name, description: 'must be a string' });
    else values[argument.variable] = value;
  }
  for (const argument of declared.values()) {
    if (argument.required && !Object.hasOwn(args, argument.name)) problems.push({ name: fieldPrefix + argument.name, description: 'is required' });
  }
  if (problems.length > 0) throw invalid(problems);
  return values;
}
