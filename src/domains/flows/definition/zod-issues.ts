import type { z } from 'zod';
import { toFieldLabel, type Path, type PathSegment } from './json-path.js';
import { isProblemCode, problem, type DefinitionProblem, type ProblemCode } from './problems.js';

type RawIssue = z.core.$ZodRawIssue;

const withArticle = (type: string): string => {
  if (type === 'int') return 'a whole number';
  if (type === 'record') return 'an object';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
};

const unitOf = (origin: string): string => {
  if (origin === 'string') return ' characters';
  if (origin === 'array') return ' items';
  return '';
};

const bound = (word: 'most' | 'least', value: number | bigint, inclusive: boolean | undefined, origin: string): string => {
  if (inclusive === false) return `must be ${word === 'most' ? 'less' : 'more'} than ${String(value)}${unitOf(origin)}`;
  if (origin === 'string' && word === 'least' && Number(value) === 1) return 'must not be empty';
  if (origin === 'array' || origin === 'string') return `must have at ${word} ${String(value)}${unitOf(origin)}`;
  return `must be at ${word} ${String(value)}`;
};

/**
 * Messages for the issues a schema did not word itself. They read after the field name:
 * "config.ring_timeout_s must be at most 35".
 */
export const definitionErrorMap: z.core.$ZodErrorMap = (issue: RawIssue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${withArticle(issue.expected)}`;
    case 'too_big':
      return bound('most', issue.maximum, issue.inclusive, issue.origin);
    case 'too_small':
      return bound('least', issue.minimum, issue.inclusive, issue.origin);
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return 'has fields that are not part of the format';
    case 'invalid_key':
      return 'is not an allowed key';
    case 'invalid_union':
    case 'invalid_element':
    case 'custom':
      return 'is not valid';
  }
};

export interface IssueContext {
  /** The path of the value that was parsed, inside the whole definition. */
  base: Path;
  component: string | null;
  /** The code of an issue whose check did not name its own (`coded()` in fields.ts does). */
  fallback: ProblemCode;
}

const pathOf = (issue: z.core.$ZodIssue): PathSegment[] =>
  issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));

/** One problem per Zod issue; an object with several unknown fields gets one problem per field. */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[], context: IssueContext): DefinitionProblem[] {
  const out: DefinitionProblem[] = [];
  const add = (code: ProblemCode, path: Path, message: string) => {
    const full = [...context.base, ...path];
    out.push(problem(code, context.component, full, `${toFieldLabel(full)} ${message}`));
  };
  for (const issue of issues) {
    const path = pathOf(issue);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add(context.fallback, [...path, key], 'is not a known field');
    } else if (issue.code === 'invalid_key') {
      const reason = issue.issues[0]?.message ?? issue.message;
      add(context.fallback, path, `is not an allowed key: ${reason}`);
    } else {
      const own: unknown = issue.code === 'custom' ? issue.params?.code : undefined;
      add(isProblemCode(own) ? own : context.fallback, path, issue.message);
    }
  }
  return out;
}

/** Parses a value with a schema, reporting every issue as a problem; returns the output or null. */
export function parseInto<S extends z.ZodType>(
  schema: S,
  value: unknown,
  context: IssueContext,
  problems: DefinitionProblem[],
): z.output<S> | null {
  const result = schema.safeParse(value, { error: definitionErrorMap });
  if (result.success) return result.data;
  problems.push(...issuesToProblems(result.error.issues, context));
  return null;
}
