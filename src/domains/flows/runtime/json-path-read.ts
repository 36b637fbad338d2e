import { fromJsonPath, type PathSegment } from '../definition/json-path.js';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** One step down: an index reads only arrays, a name reads only objects (own keys, never `length`). */
function step(value: unknown, segment: PathSegment): unknown {
  if (typeof segment === 'number') return Array.isArray(value) ? (value as unknown[])[segment] : undefined;
  return isRecord(value) && Object.hasOwn(value, segment) ? value[segment] : undefined;
}

/**
 * Reads the node a JSONPath names in a parsed JSON document, in the subset output mappings
 * accept: `$.a.b`, `$.a[0].b`, `$['x-id']`, and `$` for the whole document. Undefined when the
 * path does not resolve or is not in that subset.
 */
export function readJsonPath(document: unknown, path: string): unknown {
  const segments = fromJsonPath(path);
  if (segments === null) return undefined;
  let node = document;
  for (const segment of segments) {
    node = step(node, segment);
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * A JSON value as a flow variable (variables are strings): strings as they are, numbers and
 * booleans printed, null as the empty string, objects and arrays as compact JSON.
 */
export function toVariableValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}
