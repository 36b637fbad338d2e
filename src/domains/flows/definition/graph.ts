import type { ComponentNode } from './component-node.js';
import { problem, type DefinitionProblem } from './problems.js';
import { toJsonPath } from './json-path.js';

export interface Edge {
  exit: string;
  target: ComponentNode;
}

/** Components as nodes, wired exits as edges. Cycles are allowed. */
export interface FlowGraph {
  nodes: readonly ComponentNode[];
  /** Each valid id → the first component that has it. */
  byId: ReadonlyMap<string, ComponentNode>;
  edges: ReadonlyMap<ComponentNode, readonly Edge[]>;
}

function indexIds(nodes: readonly ComponentNode[], problems: DefinitionProblem[]): Map<string, ComponentNode> {
  const byId = new Map<string, ComponentNode>();
  for (const node of nodes) {
    if (node.id === null) continue;
    const first = byId.get(node.id);
    if (first === undefined) {
      byId.set(node.id, node);
      continue;
    }
    node.duplicate = true;
    problems.push(
      problem('duplicate_component_id', node.label, [...node.path, 'id'], `id "${node.id}" is already used by ${toJsonPath(first.path)}`),
    );
  }
  return byId;
}

const listExits = (names: readonly string[]): string => (names.length === 0 ? 'it has no exits' : `its exits are ${names.join(', ')}`);

/**
 * Checks one component's exits against its type's rules and the other ids, and returns the edges
 * a run can take. An exit the type does not have never fires, so it adds no edge.
 */
function wire(node: ComponentNode, byId: ReadonlyMap<string, ComponentNode>, problems: DefinitionProblem[]): Edge[] {
  const rules = node.spec?.exits(node.configValid ? node.config : null) ?? null;
  const known = rules === null ? null : [...rules.mandatory, ...rules.optional];
  const at = (exit: string) => [...node.path, 'exits', exit];
  if (rules !== null) {
    for (const exit of rules.mandatory) {
      if (!node.exits.has(exit) && !node.malformedExits.has(exit)) {
        problems.push(problem('unwired_exit', node.label, at(exit), `exit "${exit}" of ${node.type ?? 'this component'} must be wired to a component`));
      }
    }
  }
  const edges: Edge[] = [];
  for (const [exit, targetId] of node.exits) {
    const exists = known === null || known.includes(exit);
    if (!exists) {
      problems.push(problem('unknown_exit', node.label, at(exit), `"${exit}" is not an exit of ${node.type ?? 'this component'}; ${listExits(known ?? [])}`));
    }
    const target = byId.get(targetId);
    if (target === undefined) {
      problems.push(problem('dangling_target', node.label, at(exit), `exit "${exit}" points at "${targetId}", which is not a component id`));
    } else if (exists) {
      edges.push({ exit, target });
    }
  }
  return edges;
}

/** Indexes ids and wires exits, reporting duplicate ids and every exit problem. */
export function buildGraph(nodes: readonly ComponentNode[], problems: DefinitionProblem[]): FlowGraph {
  const byId = indexIds(nodes, problems);
  const edges = new Map<ComponentNode, Edge[]>();
  for (const node of nodes) edges.set(node, wire(node, byId, problems));
  return { nodes, byId, edges };
}

/** Every node a run from `start` can reach, in breadth-first order; terminates on cycles. */
export function reachableFrom(graph: FlowGraph, start: ComponentNode): ComponentNode[] {
  const seen = new Set<ComponentNode>([start]);
  const order = [start];
  for (let i = 0; i < order.length; i++) {
    const node = order[i];
    if (node === undefined) break;
    for (const { target } of graph.edges.get(node) ?? []) {
      if (seen.has(target)) continue;
      seen.add(target);
      order.push(target);
    }
  }
  return order;
}

export function reportUnreachable(graph: FlowGraph, start: ComponentNode, reachable: ReadonlySet<ComponentNode>, problems: DefinitionProblem[]): void {
  for (const node of graph.nodes) {
    // A node without a valid, unique id is already reported and could never be a target.
    if (node.id === null || node.duplicate || reachable.has(node)) continue;
    problems.push(problem('unreachable_component', node.label, node.path, `"${node.id}" cannot be reached from the start component "${start.id ?? ''}"`));
  }
}
