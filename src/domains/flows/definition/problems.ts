import { toJsonPath, type Path } from './json-path.js';

/** Every stable code a definition problem can carry. Clients branch on these; never rename one. */
export const PROBLEM_CODES = [
  'invalid_definition',
  'missing_start',
  'unknown_start',
  'duplicate_component_id',
  'duplicate_argument',
  'unknown_component_type',
  'invalid_config',
  'invalid_timezone',
  'splitter_percent_sum',
  'unknown_exit',
  'unwired_exit',
  'dangling_target',
  'unreachable_component',
  'multiple_outbound_calls',
  'voice_without_call',
  'malformed_template',
  'undeclared_variable',
  'variable_possibly_unset',
  'unknown_from_number',
  'unknown_skill',
  'unsupported_language',
  'read_only_variable',
] as const;

export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** One thing wrong with a definition: the shape of an entry in the validate response's `errors`. */
export interface DefinitionProblem {
  code: ProblemCode;
  /** The id of the component the problem is about; null for problems outside any component. */
  component: string | null;
  /** Where in the submitted definition, as a JSON path: `$.components[3].config.ring_timeout_s`. */
  path: string;
  message: string;
}

export const isProblemCode = (value: unknown): value is ProblemCode =>
  typeof value === 'string' && (PROBLEM_CODES as readonly string[]).includes(value);

export const problem = (code: ProblemCode, component: string | null, path: Path, message: string): DefinitionProblem => ({
  code,
  component,
  path: toJsonPath(path),
  message,
});
