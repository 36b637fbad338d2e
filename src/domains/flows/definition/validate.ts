import { isComplete, readConfig, type ComponentNode } from './component-node.js';
import type { AccountReference, ComponentSpec } from './component-spec.js';
import { BUILTIN_VARIABLES, type FlowComponent, type FlowDefinition, type FlowTrigger, type FlowVariables } from './definition.model.js';
import { TOP_LEVEL_FIELDS } from './definition.schema.js';
import { readStart, readTrigger, readVariables } from './declarations.js';
import { buildGraph, reachableFrom, reportUnreachable } from './graph.js';
import { toFieldLabel } from './json-path.js';
import { analysePaths, reportRepeatedCalls, reportVoiceWithoutCall, type PathFacts } from './path-analysis.js';
import { isPlainObject } from './plain-object.js';
import { problem, type DefinitionProblem } from './problems.js';
import { readComponents } from './read-components.js';
import { buildScope, reportBuiltInOutputs, reportVariables } from './variable-checks.js';

export interface ValidationContext {
  /** The account's own numbers; when given, every `make_outbound_call.from` must be one of them. */
  accountNumbers?: Iterable<string>;
  /** The account's skill names; when given, every skill a component names must be one of them. */
  accountSkills?: Iterable<string>;
  /** Whether the text-to-speech engine has a voice for a language; when given, every `tts.language` must pass. */
  speaks?: (language: string) => boolean;
}

export interface ValidationResult {
  /** The definition with every default applied; null whenever there is a problem. */
  definition: FlowDefinition | null;
  /** Every problem found, in the order: structure, components, graph, paths, variables. */
  problems: DefinitionProblem[];
}

/** The things of the account a definition may name, each checked against what the caller passes. */
const ACCOUNT_REFERENCES = [
  {
    known: (context: ValidationContext) => context.accountNumbers,
    read: (spec: ComponentSpec, config: never): readonly AccountReference[] | undefined => spec.accountNumbers?.(config),
    code: 'unknown_from_number',
    says: (value: string) => `${value} is not one of the account's numbers`,
  },
  {
    known: (context: ValidationContext) => context.accountSkills,
    read: (spec: ComponentSpec, config: never): readonly AccountReference[] | undefined => spec.accountSkills?.(config),
    code: 'unknown_skill',
    says: (value: string) => `"${value}" is not one of the account's skills (names match exactly)`,
  },
] as const;

function reportUnknownReferences(nodes: readonly ComponentNode[], context: ValidationContext, problems: DefinitionProblem[]): void {
  for (const reference of ACCOUNT_REFERENCES) {
    const known = reference.known(context);
    if (known === undefined) continue;
    const own = new Set(known);
    for (const node of nodes) {
      for (const field of readConfig(node, reference.read, (field) => typeof field.value === 'string')) {
        if (own.has(field.value)) continue;
        const path = [...node.path, 'config', ...field.path];
        problems.push(problem(reference.code, node.label, path, `${toFieldLabel(path)} ${reference.says(field.value)}`));
      }
    }
  }
}

/** Every `tts` prompt in a config (play_audio's own, or an IVR's `prompt`), with its path inside the config. */
function ttsPrompts(value: unknown, path: (string | number)[] = []): { language: string; path: (string | number)[] }[] {
  if (!isPlainObject(value)) return [];
  const own = isPlainObject(value.tts) && typeof value.tts.language === 'string' ? [{ language: value.tts.language, path: [...path, 'tts', 'language'] }] : [];
  return [...own, ...Object.entries(value).flatMap(([key, child]) => (key === 'tts' ? [] : ttsPrompts(child, [...path, key])))];
}

function reportUnspokenLanguages(nodes: readonly ComponentNode[], speaks: (language: string) => boolean, problems: DefinitionProblem[]): void {
  for (const node of nodes) {
    if (!isComplete(node)) continue;
    for (const prompt of ttsPrompts(node.config)) {
      if (speaks(prompt.language)) continue;
      const path = [...node.path, 'config', ...prompt.path];
      problems.push(problem('unsupported_language', node.label, path, `${toFieldLabel(path)} ${prompt.language} has no text-to-speech voice`));
    }
  }
}

function assemble(trigger: FlowTrigger, variables: FlowVariables, start: ComponentNode, nodes: readonly ComponentNode[]): FlowDefinition {
  const components = nodes.map(
    // Without problems every node has a valid id, a known type and the config its type's schema produced.
    (node) => ({ id: node.id, type: node.type, config: node.config, exits: Object.fromEntries(node.exits) }) as FlowComponent,
  );
  return { trigger, variables, start: start.id ?? '', components };
}

/**
 * Validates a flow definition (API.md, "Flow definition format") and reports every problem at
 * once, each with a stable code, the component it concerns and its JSON path. Pure: no I/O, no
 * clock; the account's numbers come in through `context`.
 */
export function validateDefinition(input: unknown, context: ValidationContext = {}): ValidationResult {
  const problems: DefinitionProblem[] = [];
  if (!isPlainObject(input)) {
    return { definition: null, problems: [problem('invalid_definition', null, [], 'the definition must be a JSON object')] };
  }
  for (const key of Object.keys(input)) {
    if (!(TOP_LEVEL_FIELDS as readonly string[]).includes(key)) problems.push(problem('invalid_definition', null, [key], `${key} is not a known field`));
  }
  const trigger = readTrigger(input.trigger, problems);
  const variables = readVariables(input.variables, problems);
  const nodes = readComponents(input.components, problems);
  const graph = buildGraph(nodes, problems);
  const start = readStart(input.start, graph, problems);

  let facts = new Map<ComponentNode, PathFacts>();
  if (start !== null) {
    const reachable = reachableFrom(graph, start);
    reportUnreachable(graph, start, new Set(reachable), problems);
    reportRepeatedCalls(graph, reachable, problems);
    facts = analysePaths(graph, start, reachable);
    reportVoiceWithoutCall(graph, facts, problems);
  }
  const declared = [
    ...BUILTIN_VARIABLES,
    ...Object.keys(variables ?? {}),
    ...(trigger?.arguments.map((arg) => arg.variable) ?? []),
  ];
  reportVariables(nodes, buildScope(declared, nodes), facts, problems);
  reportBuiltInOutputs(nodes, problems);
  reportUnknownReferences(nodes, context, problems);
  if (context.speaks !== undefined) reportUnspokenLanguages(nodes, context.speaks, problems);

  if (problems.length > 0 || trigger === null || variables === null || start === null) return { definition: null, problems };
  return { definition: assemble(trigger, variables, start, nodes), problems };
}
