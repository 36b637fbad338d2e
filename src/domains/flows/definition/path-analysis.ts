import { isComplete, outputsKnown, type ComponentNode } from './component-node.js';
import type { FlowGraph } from './graph.js';
import { problem, type DefinitionProblem } from './problems.js';

/**
 * What holds on every path from the start to a component, before it runs:
 * - `answered`: a `make_outbound_call` was passed through its `answered` exit (and no call since);
 * - `assigned`: the variables that components have written; `'any'` when a path crosses a
 *   component whose outputs are unknown (unknown type, broken config), so nothing can be said.
 */
export interface PathFacts {
  answered: boolean;
  assigned: ReadonlySet<string> | 'any';
}

const isCall = (node: ComponentNode): boolean => node.type === 'make_outbound_call';

function writes(node: ComponentNode, exit: string): string[] {
  if (!isComplete(node)) return [];
  return (node.spec.outputs?.(node.config) ?? []).filter((o) => o.exits.includes(exit)).map((o) => o.variable);
}

/** The facts after leaving `node` by `exit`. */
function transfer(node: ComponentNode, exit: string, before: PathFacts): PathFacts {
  const answered = isCall(node) ? exit === 'answered' : before.answered;
  if (!outputsKnown(node) || before.assigned === 'any') return { answered, assigned: 'any' };
  const written = writes(node, exit);
  return { answered, assigned: written.length === 0 ? before.assigned : new Set([...before.assigned, ...written]) };
}

/** Facts that hold on both of two sets of paths. */
function meet(a: PathFacts, b: PathFacts): PathFacts {
  const answered = a.answered && b.answered;
  if (a.assigned === 'any') return { answered, assigned: b.assigned };
  if (b.assigned === 'any') return { answered, assigned: a.assigned };
  const other = b.assigned;
  return { answered, assigned: new Set([...a.assigned].filter((v) => other.has(v))) };
}

function sameFacts(a: PathFacts | undefined, b: PathFacts): boolean {
  if (a === undefined || a.answered !== b.answered) return false;
  if (a.assigned === 'any' || b.assigned === 'any') return a.assigned === b.assigned;
  return a.assigned.size === b.assigned.size && [...a.assigned].every((v) => (b.assigned as ReadonlySet<string>).has(v));
}

/**
 * Computes the facts at every reachable component. Facts start at "anything holds" and only
 * shrink at each pass over the nodes; with finitely many variables and components that ends, loops
 * included, once a pass changes nothing.
 */
export function analysePaths(graph: FlowGraph, start: ComponentNode, reachable: readonly ComponentNode[]): Map<ComponentNode, PathFacts> {
  const incoming = new Map<ComponentNode, { from: ComponentNode; exit: string }[]>();
  for (const node of reachable) {
    for (const { exit, target } of graph.edges.get(node) ?? []) {
      const list = incoming.get(target) ?? [];
      list.push({ from: node, exit });
      incoming.set(target, list);
    }
  }
  const facts = new Map<ComponentNode, PathFacts>();
  const entry: PathFacts = { answered: false, assigned: new Set() };
  let changed = true;
  while (changed) {
    changed = false;
    for (const node of reachable) {
      let next: PathFacts | undefined = node === start ? entry : undefined;
      for (const { from, exit } of incoming.get(node) ?? []) {
        const before = facts.get(from);
        if (before === undefined) continue;
        const after = transfer(from, exit, before);
        next = next === undefined ? after : meet(next, after);
      }
      if (next === undefined || sameFacts(facts.get(node), next)) continue;
      facts.set(node, next);
      changed = true;
    }
  }
  return facts;
}

/** A voice component needs a call that was answered on every path to it. */
export function reportVoiceWithoutCall(graph: FlowGraph, facts: ReadonlyMap<ComponentNode, PathFacts>, problems: DefinitionProblem[]): void {
  for (const node of graph.nodes) {
    const at = facts.get(node);
    if (at === undefined || node.spec?.kind !== 'voice' || isCall(node) || at.answered) continue;
    problems.push(
      problem(
        'voice_without_call',
        node.label,
        node.path,
        `"${node.id ?? ''}" is a voice component (${node.type ?? ''}) but some path reaches it without passing the "answered" exit of a make_outbound_call`,
      ),
    );
  }
}

/**
 * At most one `make_outbound_call` on any path: reports every call that can run after another one
 * (or after itself, through a loop), naming the earlier call.
 */
export function reportRepeatedCalls(graph: FlowGraph, reachable: readonly ComponentNode[], problems: DefinitionProblem[]): void {
  const after = new Map<ComponentNode, ComponentNode>();
  for (const call of reachable.filter(isCall)) {
    const seen = new Set<ComponentNode>();
    const queue = (graph.edges.get(call) ?? []).map((e) => e.target);
    for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
      if (seen.has(node)) continue;
      seen.add(node);
      if (isCall(node) && !after.has(node)) after.set(node, call);
      queue.push(...(graph.edges.get(node) ?? []).map((e) => e.target));
    }
  }
  for (const node of graph.nodes) {
    const earlier = after.get(node);
    if (earlier === undefined) continue;
    const message =
      earlier === node
        ? `"${node.id ?? ''}" can run again after itself through a loop, which puts two make_outbound_calls on one path`
        : `"${node.id ?? ''}" can run after the make_outbound_call "${earlier.id ?? ''}"; a path may hold only one`;
    problems.push(problem('multiple_outbound_calls', node.label, node.path, message));
  }
}
