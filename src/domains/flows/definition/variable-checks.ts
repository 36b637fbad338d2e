import { isComplete, outputsKnown, readConfig, type ComponentNode } from './component-node.js';
import type { PathFacts } from './path-analysis.js';
import { toFieldLabel } from './json-path.js';
import { problem, type DefinitionProblem } from './problems.js';
import { scanTemplate } from './templates.js';
import { isBuiltIn, readOnly } from './declarations.js';

export interface VariableScope {
  /** Built-ins, declared `variables` and argument variables: set before the first component runs. */
  declared: ReadonlySet<string>;
  /** Each variable a component writes → the ids of the components that write it. */
  writers: ReadonlyMap<string, readonly string[]>;
  /** True when some component may write variables nobody can list (unknown type, broken config). */
  hidden: boolean;
}

export function buildScope(declared: Iterable<string>, nodes: readonly ComponentNode[]): VariableScope {
  const writers = new Map<string, string[]>();
  for (const node of nodes) {
    if (!isComplete(node)) continue;
    for (const { variable } of node.spec.outputs?.(node.config) ?? []) {
      writers.set(variable, [...(writers.get(variable) ?? []), node.id ?? `#${node.index}`]);
    }
  }
  return { declared: new Set(declared), writers, hidden: nodes.some((node) => !outputsKnown(node)) };
}

const DECLARE_HINT = 'declare it in "variables" or as a trigger argument';

/**
 * Why a template at a component cannot read `name`, or null when it can. Where the facts say
 * nothing (unreachable component, path through a broken one), only the declaration is checked.
 */
function templateProblem(name: string, scope: VariableScope, facts: PathFacts | undefined): { code: 'undeclared_variable' | 'variable_possibly_unset'; why: string } | null {
  if (scope.declared.has(name)) return null;
  const writers = scope.writers.get(name);
  const assigned = facts?.assigned ?? 'any';
  if (assigned !== 'any') {
    if (assigned.has(name)) return null;
    if (writers === undefined) return { code: 'undeclared_variable', why: `names the undeclared variable "${name}"; ${DECLARE_HINT}` };
    const by = writers.map((id) => `"${id}"`).join(', ');
    return {
      code: 'variable_possibly_unset',
      why: `reads "${name}", which only ${by} sets, and not on every path to this component; declare it in "variables" to give it a starting value`,
    };
  }
  if (writers !== undefined || scope.hidden) return null;
  return { code: 'undeclared_variable', why: `names the undeclared variable "${name}"; ${DECLARE_HINT}` };
}

/** Template syntax and variables, and variables named directly (conditions, `sticky_by`). */
export function reportVariables(
  nodes: readonly ComponentNode[],
  scope: VariableScope,
  facts: ReadonlyMap<ComponentNode, PathFacts>,
  problems: DefinitionProblem[],
): void {
  for (const node of nodes) {
    for (const site of readConfig(node, (spec, config) => spec.templates?.(config), (site) => typeof site.text === 'string')) {
      const path = [...node.path, 'config', ...site.path];
      const scan = scanTemplate(site.text);
      if (scan.malformed !== null) problems.push(problem('malformed_template', node.label, path, `${toFieldLabel(path)} ${scan.malformed}`));
      for (const name of scan.variables) {
        const found = templateProblem(name, scope, facts.get(node));
        if (found !== null) problems.push(problem(found.code, node.label, path, `${toFieldLabel(path)} ${found.why}`));
      }
    }
    for (const ref of readConfig(node, (spec, config) => spec.references?.(config), (ref) => typeof ref.variable === 'string')) {
      if (scope.declared.has(ref.variable) || scope.writers.has(ref.variable) || scope.hidden) continue;
      const path = [...node.path, 'config', ...ref.path];
      problems.push(problem('undeclared_variable', node.label, path, `${toFieldLabel(path)} names the undeclared variable "${ref.variable}"; ${DECLARE_HINT}`));
    }
  }
}

/** A component may not write a built-in variable: `interaction_id` and the others are the platform's. */
export function reportBuiltInOutputs(nodes: readonly ComponentNode[], problems: DefinitionProblem[]): void {
  for (const node of nodes) {
    for (const output of readConfig(node, (spec, config) => spec.outputs?.(config), (output) => typeof output.variable === 'string')) {
      if (isBuiltIn(output.variable)) problems.push(problem('read_only_variable', node.label, [...node.path, 'config', ...output.path], readOnly(output.variable)));
    }
  }
}
