// The same placeholder shape `definition/templates.ts` validates: a variable name, spaces allowed.
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * Fills the `{{name}}` placeholders of a validated template. A variable with no value renders as
 * the empty string (a flow may reach a template on a path where an earlier component did not set
 * it). `escape` is applied to each value, never to the template's own text, so a value cannot
 * change the structure of what it is placed in (a SOQL string literal, for example).
 */
export function renderTemplate(
  text: string,
  vars: Readonly<Record<string, string>>,
  escape: (value: string) => string = (value) => value,
): string {
  return text.replace(PLACEHOLDER, (_match, name: string) => escape(Object.hasOwn(vars, name) ? (vars[name] ?? '') : ''));
}

/** Sub-delimiters a path segment may hold as they are (`+14155550100`, `a,b`, `user@host`). */
const KEPT = /%(2B|2C|3B|3A|40|24)/g;

/**
 * Percent-encodes what would change a URL's structure (`/`, `?`, `#`, `&`, `=`, `%`), spaces,
 * controls and non-ASCII; keeps the characters a path segment may hold as data.
 */
const encodeUrlValue = (value: string): string => encodeURIComponent(value).replace(KEPT, (escaped) => decodeURIComponent(escaped));

/**
 * Fills a URL template. Values placed in the path, query or fragment are percent-encoded, so a
 * value is data there and cannot add a path segment, a parameter or a `#`; a placeholder before
 * the path (the scheme and host, or a whole base URL in front of the template's first `/`) is
 * placed as it is.
 */
export function renderUrlTemplate(template: string, vars: Readonly<Record<string, string>>): string {
  const scheme = template.indexOf('://');
  const from = scheme < 0 ? 0 : scheme + 3;
  const pathAt = template.slice(from).search(/[/?#]/);
  const split = pathAt < 0 ? template.length : from + pathAt;
  return renderTemplate(template.slice(0, split), vars) + renderTemplate(template.slice(split), vars, encodeUrlValue);
}

