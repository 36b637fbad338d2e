import type { ComponentSpec } from './component-spec.js';
import type { ComponentType } from './components/index.js';
import type { Path } from './json-path.js';

/** One entry of `components`, read as far as it could be. */
export interface ComponentNode {
  index: number;
  /** `$.components[index]` */
  path: Path;
  /** The id when it is a valid one; only such nodes can be targets. */
  id: string | null;
  /** What problems name the component by: the id as written when it is a string. */
  label: string | null;
  type: ComponentType | null;
  spec: ComponentSpec | null;
  /** The parsed config (defaults applied), or null when it did not parse. */
  config: unknown;
  /** The config as written. */
  rawConfig: unknown;
  configValid: boolean;
  /** Exit name → target id, for every exit written as a non-empty string. */
  exits: Map<string, string>;
  /** Exits written with a target that is not a string (reported); they count as wired. */
  malformedExits: Set<string>;
  /** True for a later component reusing an earlier one's id. */
  duplicate: boolean;
}

/** Known type and valid config: the node's exits, templates and outputs can be trusted. */
export const isComplete = (node: ComponentNode): node is ComponentNode & { spec: ComponentSpec; type: ComponentType } =>
  node.spec !== null && node.type !== null && node.configValid;

/**
 * Whether the variables a node writes are known: false for an unknown type, or for a type that
 * writes variables whose config did not parse.
 */
export const outputsKnown = (node: ComponentNode): boolean =>
  node.spec !== null && (node.configValid || node.spec.outputs === undefined);

/**
 * What `read` finds in a node's config, also when the config did not parse: then `read` runs on
 * the config as written and keeps only the items `usable` accepts (nothing when it cannot read
 * it at all), so one bad field does not hide what the others get wrong.
 */
export function readConfig<T>(node: ComponentNode, read: (spec: ComponentSpec, config: never) => readonly T[] | undefined, usable: (item: T) => boolean): readonly T[] {
  if (node.spec === null) return [];
  if (node.configValid) return read(node.spec, node.config as never) ?? [];
  try {
    return (read(node.spec, (node.rawConfig ?? {}) as never) ?? []).filter(usable);
  } catch {
    return [];
  }
}
