import { isVariableName } from './names.js';

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

export interface TemplateScan {
  /** Variable names the text reads, each once, in order of first use. */
  variables: string[];
  /** Why the text is not a valid template, or null when it is. */
  malformed: string | null;
}

/** True when the text contains a `{{...}}` placeholder (or tries to). */
export const hasTemplate = (text: string): boolean => text.includes('{{');

/**
 * Reads the `{{name}}` placeholders of a text. Spaces inside the braces are allowed. A lone `}}`
 * is left alone because JSON bodies end with it; a `{{` that never closes is malformed.
 */
export function scanTemplate(text: string): TemplateScan {
  const variables: string[] = [];
  let malformed: string | null = null;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = (match[1] ?? '').trim();
    if (!isVariableName(name)) malformed ??= `"${match[0]}" does not name a variable`;
    else if (!variables.includes(name)) variables.push(name);
  }
  if (malformed === null && text.replace(PLACEHOLDER, '').includes('{{')) malformed = 'has a "{{" that is never closed by "}}"';
  return { variables, malformed };
}
