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
