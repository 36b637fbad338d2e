export type PathSegment = string | number;
export type Path = readonly PathSegment[];

const SHORTHAND_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

const quoted = (key: string): string => `'${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Renders a path as JSONPath (RFC 9535): `$.components[3].config.options['1']`. Keys that are not
 * plain names use the bracket form so every path reads back to exactly one node.
 */
export function toJsonPath(path: Path): string {
  let out = '$';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += SHORTHAND_KEY.test(segment) ? `.${segment}` : `[${quoted(segment)}]`;
  }
  return out;
}

/** The same path without the root, for messages: `config.ring_timeout_s`. */
export function toFieldLabel(path: Path): string {
  const full = toJsonPath(path);
  return full.startsWith('$.') ? full.slice(2) : full.slice(1);
}

/** Reads back a path `toJsonPath` wrote; null for anything else. */
export function fromJsonPath(text: string): PathSegment[] | null {
  if (!text.startsWith('$')) return null;
  const segment = /\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]/y;
  const path: PathSegment[] = [];
  segment.lastIndex = 1;
  while (segment.lastIndex < text.length) {
    const start = segment.lastIndex;
    const match = segment.exec(text);
    if (match === null || segment.lastIndex === start) return null;
    const [, name, index, quotedKey] = match;
    if (name !== undefined) path.push(name);
    else if (index !== undefined) path.push(Number(index));
    else path.push((quotedKey ?? '').replace(/\\(.)/g, '$1'));
  }
  return path;
}
